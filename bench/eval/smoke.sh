#!/usr/bin/env bash
# bench/eval/smoke.sh BUILD - CTest's smoke test of bench/evaluate (bench_evaluate_smoke):
# runs `bench/evaluate --smoke` on the built tree into a temporary directory and checks
# that every step ran or says why not, that each step that ran left a non-empty CSV, that
# every plot is a PNG, and that the report has every section and links only plots that
# exist. It never looks at a speed. Exit 0 pass, 1 fail, 77 skip (no gnuplot).
set -uo pipefail
BUILD=${1:?usage: smoke.sh BUILD}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
command -v gnuplot >/dev/null || { echo "SKIP: no gnuplot (apt-get install gnuplot-nox)"; exit 77; }
OUT=$(mktemp -d /tmp/eval-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

"$ROOT/bench/evaluate" --smoke --no-build --build "$BUILD" --out "$OUT" || fail "bench/evaluate exited $?"
R=$OUT/evaluation.md
[[ -s $R ]] || { echo "FAIL: no report $R"; exit 1; }

# every step has a status; "failed" is a failure, "not run" must say why
declare -A CSV=([overhead]=overhead.csv [latency]=latency.csv [fwd_inproc]=fwd_inproc.csv
    [fwd_veth]=fwd_veth.csv [fwd_large]=fwd_veth_large.csv [sweep]=fwd_sweep.csv [tcp]=fwd_tcp.csv [qemu]=qemu.csv
    [scale]=scale_packet.csv [pool]=pool.csv [ring]=ring.csv [lpm]=lpm.csv
    [path_latency]=path_latency.csv)
for s in "${!CSV[@]}"; do
    line=$(awk -F, -v s="$s" 'NR > 1 && $1 == s' "$OUT/status.csv")
    st=$(cut -d, -f2 <<<"$line") why=$(cut -d, -f4- <<<"$line")
    case $st in
    ok)
        [[ $(wc -l <"$OUT/${CSV[$s]}" 2>/dev/null || echo 0) -ge 2 ]] ||
            fail "step $s ran but ${CSV[$s]} has no data row"
        ;;
    "not run") [[ -n $why ]] || fail "step $s did not run and does not say why" ;;
    failed) fail "step $s failed: $why" ;;
    *) fail "step $s has no status" ;;
    esac
done
# the steps that need nothing but the build must have run
for s in overhead latency fwd_inproc ring lpm; do
    grep -q "^$s,ok," "$OUT/status.csv" || fail "step $s did not run"
done
if [[ $(id -u) -eq 0 ]]; then
    for s in scale pool; do grep -q "^$s,ok," "$OUT/status.csv" || fail "step $s did not run as root"; done
    # with iperf3 (CI installs it) the VR experiments measure TCP too
    if command -v iperf3 >/dev/null; then
        for f in scale_packet_tcp.csv pool_tcp.csv; do
            [[ $(wc -l <"$OUT/$f" 2>/dev/null || echo 0) -ge 2 ]] || fail "$f has no data row"
            grep -q ',0\.0$' "$OUT/$f" && fail "$f: a TCP flow moved nothing (it failed; see logs/)"
        done
    fi
fi
# plots: each one a PNG; the ones the steps above imply must exist
for p in "$OUT"/*.png; do
    [[ -e $p ]] || continue
    [[ $(head -c 8 "$p" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$(basename "$p") is not a PNG"
done
for p in overhead fwd_inproc latency idle ring lpm; do
    [[ -s $OUT/$p.png ]] || fail "no $p.png"
done
# the report: every section, every linked plot exists, no empty table cell from a lost value
for h in "## The machine" "## 1. The overhead table" "## 2. UDP forwarding" "## 3. TCP" \
    "## 4. Scalability" "## 5. Pool size" "## 6. Beyond the paper"; do
    grep -qF "$h" "$R" || fail "the report has no section '$h'"
done
while read -r img; do
    [[ -s $OUT/$img ]] || fail "the report links $img, which does not exist"
done < <(grep -o '([^)]*\.png)' "$R" | tr -d '()' | xargs -rn1 basename)
grep -q '| - | - |' "$R" && echo "note: some table cells are empty ('-'): see $R"
if ((FAILED)); then
    echo "--- status"
    cat "$OUT/status.csv"
    exit 1
fi
echo "bench_evaluate_smoke: PASSED ($(grep -c ',ok,' "$OUT/status.csv") steps ran)"
