#!/usr/bin/env bash
# tests/integration/lpm_vs_kernel.sh - eu_lpm against the Linux kernel's own FIB.
#
# A network namespace (named with this script's pid) gets two interfaces (dummy, or
# veth pairs where the kernel has no dummy driver) with addresses in 198.18.0.0/15
# (d0 198.18.0.1/24, d1 198.18.1.1/24). eu-mktable generates a
# BGP-like table of EU_LPM_ROUTES routes (default 4000; 5% of them longer than /24 so
# that the second level is exercised, none inside 198.18.0.0/15) over eight gateways on
# those interfaces; `ip -batch` loads it into the namespace's FIB and lpm_query into
# eu_lpm. For EU_LPM_SAMPLES destinations (default 1000: half inside random routes of the
# table, a fifth of those on a prefix's first or last address or just outside it, half
# uniformly random outside the martian ranges and 198.18.0.0/15), `ip route get` (batched)
# and lpm_query must give the same gateway and device, or both no route. Then a random
# fifth of the routes is deleted from both and the comparison repeated. Nothing is sent:
# the routes only have to be accepted and looked up.
#
#   tests/integration/lpm_vs_kernel.sh        (as root; CTest runs it as "lpm_vs_kernel")
#
# Environment: EU_INTEGRATION_BIN (directory of lpm_query; default
# build/tests/integration), EU_BUILD_DIR (for tools/eu-mktable; default build),
# EU_LPM_ROUTES, EU_LPM_SAMPLES, EU_TEST_SEED (table and sample seed, default 4242).
# Exit: 0 pass, 1 fail, 77 skipped (not root, no ip(8), no network namespaces).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${EU_INTEGRATION_BIN:-$here/../../build/tests/integration}
builddir=${EU_BUILD_DIR:-$here/../../build}
query=$bin/lpm_query
mktable=$builddir/tools/eu-mktable
ROUTES=${EU_LPM_ROUTES:-4000}
SAMPLES=${EU_LPM_SAMPLES:-1000}
SEED=${EU_TEST_SEED:-4242}

skip() { echo "lpm_vs_kernel: SKIP: $*"; exit 77; }
fail() { echo "lpm_vs_kernel: FAIL: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || skip "needs root (a network namespace and its routing table)"
command -v ip >/dev/null || skip "no ip(8): apt-get install iproute2"
command -v awk >/dev/null || skip "no awk"
[[ -x $query ]] || fail "no $query (build the tree first)"
[[ -x $mktable ]] || fail "no $mktable (build the tree first)"

ns=eulpm$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lpm_vs_kernel.XXXXXX") || fail "mktemp"
cleanup() {
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$ns" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
nsip() { ip -n "$ns" "$@"; }
nsip link set lo up || fail "lo up"
# dummy interfaces if the kernel has them, else veth pairs (both ends in the namespace)
for i in 0 1; do
    if ! nsip link add "d$i" type dummy 2>/dev/null; then
        nsip link add "d$i" type veth peer name "d${i}p" 2>"$tmp/err" ||
            skip "neither dummy nor veth interfaces: $(cat "$tmp/err")"
        nsip link set "d${i}p" up || fail "d${i}p up"
    fi
    nsip addr add "198.18.$i.1/24" dev "d$i" || fail "address on d$i"
    nsip link set "d$i" up || fail "d$i up"
done

echo "lpm_vs_kernel: namespace $ns, $ROUTES routes, $SAMPLES destinations, seed $SEED"
# eight gateways, so that a wrong route rarely gives the right answer by chance
vias=()
for g in 2 3 4 5; do vias+=(--via "198.18.0.$g@d0" --via "198.18.1.$g@d1"); done
"$mktable" -q --count "$ROUTES" --seed "$SEED" --long 5 --exclude 198.18.0.0/15 \
    "${vias[@]}" >"$tmp/routes" || fail "eu-mktable"
[[ $(wc -l <"$tmp/routes") -eq $ROUTES ]] || fail "eu-mktable printed $(wc -l <"$tmp/routes") routes"
sed 's/^/route add /' "$tmp/routes" | nsip -batch - 2>"$tmp/err" ||
    fail "the kernel refused the table: $(head -3 "$tmp/err")"
kroutes=$(nsip -4 route show | grep -c ' via ')
[[ $kroutes -eq $ROUTES ]] || fail "the kernel holds $kroutes routes via a gateway, not $ROUTES"

# Destinations: inside routes of the table (some on the edges), and random ones.
awk -v seed="$SEED" -v n="$SAMPLES" '
function ip2n(s,  a) { split(s, a, "."); return ((a[1] * 256 + a[2]) * 256 + a[3]) * 256 + a[4] }
function n2ip(x) { return int(x / 16777216) % 256 "." int(x / 65536) % 256 "." int(x / 256) % 256 "." x % 256 }
function ok(x,  f) {
    if (x < 0 || x > 4294967295) return 0
    f = int(x / 16777216)
    if (f == 0 || f == 127 || f >= 224) return 0      # martians, multicast, class E
    if (int(x / 131072) == 25353) return 0            # 198.18.0.0/15: the interfaces
    return 1
}
function rnd32() { return int(rand() * 65536) * 65536 + int(rand() * 65536) }
BEGIN { srand(seed) }
{ split($1, p, "/"); base[NR] = ip2n(p[1]); len[NR] = p[2] }
END {
    for (i = 0; i < n / 2; ) {
        k = 1 + int(rand() * NR); size = 2 ^ (32 - len[k]); r = rand()
        if (r < 0.05) x = base[k]; else if (r < 0.1) x = base[k] + size - 1
        else if (r < 0.15) x = base[k] - 1; else if (r < 0.2) x = base[k] + size
        else x = base[k] + int(rand() * size)
        if (ok(x)) { print n2ip(x); i++ }
    }
    for (i = 0; i < n - int(n / 2); ) { x = rnd32(); if (ok(x)) { print n2ip(x); i++ } }
}' "$tmp/routes" >"$tmp/dsts" || fail "making destinations"

# Kernel answers: "A via G dev D src ... uid 0" lines; no line for no route.
kernel_answers() {
    sed 's/^/route get /' "$tmp/dsts" | nsip -force -batch - 2>/dev/null |
        awk '$1 ~ /^[0-9]/ {
            via = ""; dev = ""
            for (i = 2; i < NF; i++) { if ($i == "via") via = $(i + 1); if ($i == "dev") dev = $(i + 1) }
            print $1, via, dev
        }' | sort -u >"$tmp/kernel.raw"
    # every destination: its answer, or "unreachable"
    awk 'NR == FNR { a[$1] = $2 " " $3; next }
         { print $1, (($1 in a) ? a[$1] : "unreachable") }' "$tmp/kernel.raw" "$tmp/dsts" |
        sort >"$tmp/kernel"
}

eu_answers() { # [deletions]
    "$query" "$tmp/routes" "$@" <"$tmp/dsts" 2>"$tmp/query.err" |
        awk '{ if ($2 == "via") print $1, $3, $5; else print $1, "unreachable" }' |
        sort >"$tmp/eu" || fail "lpm_query: $(cat "$tmp/query.err")"
    [[ $(wc -l <"$tmp/eu") -eq $SAMPLES ]] ||
        fail "lpm_query answered $(wc -l <"$tmp/eu") of $SAMPLES: $(cat "$tmp/query.err")"
}

compare() { # <phase>
    local phase=$1 nd nroute
    if ! diff -u "$tmp/kernel" "$tmp/eu" >"$tmp/diff"; then
        echo "lpm_vs_kernel: $phase: kernel (-) and eu_lpm (+) disagree:"
        head -40 "$tmp/diff"
        fail "$phase: $(grep -c '^+[0-9]' "$tmp/diff") of $SAMPLES destinations differ"
    fi
    nroute=$(grep -vc unreachable "$tmp/kernel")
    nd=$(awk '{ print $2, $3 }' "$tmp/kernel" | sort -u | wc -l)
    echo "lpm_vs_kernel: $phase: all $SAMPLES destinations agree" \
        "($nroute routed, $((SAMPLES - nroute)) unreachable, $nd distinct answers)"
    # the comparison must have had something to compare
    ((nroute > SAMPLES / 3 && SAMPLES - nroute > 0 && nd >= 8)) ||
        fail "$phase: the sample is degenerate (routed $nroute, answers $nd)"
}

kernel_answers
eu_answers
compare "full table"

# Delete a random fifth of the routes from both, compare again.
awk -v seed="$SEED" 'BEGIN { srand(seed + 1) } rand() < 0.2 { print }' "$tmp/routes" >"$tmp/dels"
ndel=$(wc -l <"$tmp/dels")
awk '{ print "route del", $1 }' "$tmp/dels" | nsip -batch - 2>"$tmp/err" ||
    fail "the kernel refused a delete: $(head -3 "$tmp/err")"
kernel_answers
eu_answers "$tmp/dels"
compare "after deleting $ndel routes"
echo "lpm_vs_kernel: PASS"
exit 0
