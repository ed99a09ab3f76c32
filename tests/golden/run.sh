#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/golden/run.sh - europa-fwd's golden pcap tests (CMakeLists.txt here runs one
# case per CTest test).
#
#   run.sh --fwd EUROPA_FWD --gen FWD_GOLDEN --work DIR [--update] CASE...
#
# For each CASE (a directory cases/CASE/):
#   1. fwd-golden gen CASE writes the frames arriving on p0 (in0.pcap) and p1 (in1.pcap);
#   2. europa-fwd routes them on an in-process switch with two pcap ports, configured by
#      common.conf (the topology, see fwd-golden.c) then cases/CASE/conf if present, with
#      the options in cases/CASE/args if present; --burst 1 makes it take the frames one
#      at a time in a fixed order, --exit-idle ends it 300 ms after the last;
#   3. the frames it sent on p0 and p1, dumped by fwd-golden (decoded headers, checksums
#      verified, every byte in hex, no timestamps), must equal cases/CASE/p0.txt and
#      p1.txt, byte for byte;
#   4. every frame received must be accounted for once (rx = fwd + local + arp.ignored +
#      drops - drop_made, docs/fwd.md), and its --stats-json summary must match
#      cases/CASE/expect, whose lines are
#        drops: NAME=N ...   exactly the drop reasons that are not zero, with their counts
#        hdr: NAME=N ...     likewise for the header-check reasons (none if absent)
#        jq EXPR             a jq expression on the summary that must give true
#      ("#" comments and blank lines are skipped).
# --update writes the outputs (3) into cases/CASE/ instead of comparing them, and prints
# the counters, for a deliberate change: review the diff before committing it.
#
# Exit: 0 all passed, 1 a case failed, 2 usage, 77 jq missing (skipped).
set -u

here=$(cd "$(dirname "$0")" && pwd)
fwd= gen= work= update=0
cases=()
while (($#)); do
	case "$1" in
	--fwd) fwd=$2; shift 2 ;;
	--gen) gen=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--update) update=1; shift ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) cases+=("$1"); shift ;;
	esac
done
if [[ -z $fwd || -z $gen || -z $work || ${#cases[@]} -eq 0 ]]; then
	echo "usage: run.sh --fwd EUROPA_FWD --gen FWD_GOLDEN --work DIR [--update] CASE..." >&2
	exit 2
fi
if ! command -v jq >/dev/null; then
	echo "run.sh: jq is needed to read europa-fwd's JSON summary (apt-get install jq): skipped"
	exit 77
fi

# "name=N name=N" of the non-zero members of object KEY of the summary
nonzero() {
	jq -r --arg k "$1" '.[$k] // {} | to_entries | map(select(.value != 0))
		| map("\(.key)=\(.value)") | join(" ")' "$2"
}

fail=0
for c in "${cases[@]}"; do
	src=$here/cases/$c
	w=$work/$c
	if [[ ! -d $src ]]; then
		echo "run.sh: no case $c (no directory $src)" >&2
		exit 2
	fi
	rm -rf "$w"
	mkdir -p "$w"
	"$gen" gen "$c" "$w" || { echo "FAIL $c: fwd-golden gen"; fail=1; continue; }
	args=(--vr "inproc:pcap:$w/in0.pcap,$w/out0.pcap;pcap:$w/in1.pcap,$w/out1.pcap"
		--config "$here/common.conf" --burst 1 --exit-idle 300 --stats-json --quiet)
	[[ -f $src/conf ]] && args+=(--config "$src/conf")
	if [[ -f $src/args ]]; then
		read -r -a extra < <(grep -v '^#' "$src/args" | tr '\n' ' ')
		args+=("${extra[@]}")
	fi
	echo "$fwd ${args[*]}" >"$w/cmd"
	if ! timeout 30 "$fwd" "${args[@]}" >"$w/stats.json" 2>"$w/stderr"; then
		echo "FAIL $c: europa-fwd failed (exit $?):"
		cat "$w/stderr"
		fail=1
		continue
	fi
	for p in 0 1; do
		"$gen" dump "$w/out$p.pcap" >"$w/p$p.txt" || { fail=1; continue 2; }
	done
	if ((update)); then
		cp "$w/p0.txt" "$w/p1.txt" "$src/"
		echo "updated $c: drops: $(nonzero drop "$w/stats.json")  hdr: $(nonzero hdr "$w/stats.json")"
		continue
	fi
	bad=0
	for p in 0 1; do
		if ! diff -u "$src/p$p.txt" "$w/p$p.txt" >"$w/p$p.diff"; then
			echo "FAIL $c: frames sent on p$p differ from cases/$c/p$p.txt:"
			head -60 "$w/p$p.diff"
			bad=1
		fi
	done
	want_drops= want_hdr=
	while IFS= read -r line; do
		case "$line" in
		'#'* | '') ;;
		drops:*) want_drops=$(echo ${line#drops:}) ;;
		hdr:*) want_hdr=$(echo ${line#hdr:}) ;;
		jq\ *)
			if [[ $(jq "${line#jq }" "$w/stats.json") != true ]]; then
				echo "FAIL $c: counters: '${line#jq }' is not true"
				bad=1
			fi
			;;
		*) echo "run.sh: cases/$c/expect: cannot read line: $line" >&2; bad=1 ;;
		esac
	done <"$src/expect"
	# every frame received is accounted for once (docs/fwd.md; nothing is held at the end)
	if [[ $(jq '.rx == .fwd + .local + .arp.ignored + ([.drop | to_entries[]
			| select(.key != "icmp_rate" and .key != "no_slot") | .value] | add)
			- .drop_made' "$w/stats.json") != true ]]; then
		echo "FAIL $c: counters: rx is not fwd + local + arp.ignored + drops - drop_made"
		bad=1
	fi
	got=$(nonzero drop "$w/stats.json")
	if [[ $got != "$want_drops" ]]; then
		echo "FAIL $c: drops are '$got', expected '$want_drops'"
		bad=1
	fi
	got=$(nonzero hdr "$w/stats.json")
	if [[ $got != "$want_hdr" ]]; then
		echo "FAIL $c: header drops are '$got', expected '$want_hdr'"
		bad=1
	fi
	if ((bad)); then
		echo "  (work files in $w; the summary: $(tr -d '\n' <"$w/stats.json" | head -c 2000))"
		fail=1
	else
		echo "ok   $c"
	fi
done
exit $fail
