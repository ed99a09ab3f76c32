#!/usr/bin/env bash
# Build bench/ring_bench and run it: libeuropa's ring and slot hand-off against DPDK
# rte_ring and Concurrency Kit ck_ring (see bench/README.md).
#
#   bench/ring_bench.sh [ring_bench options]     e.g. --quick, --runs 9, --csv out.csv
#
# Environment:
#   BUILD       build directory, relative to the source root (default: build)
#   QUIET_WAIT  seconds to wait for the machine to go idle before starting (default: 120;
#               0 starts at once). The figures are only meaningful on an idle machine:
#               ring_bench redoes runs during which another task took one of its CPUs,
#               but on a busy machine it may run out of retries.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
QUIET_WAIT=${QUIET_WAIT:-120}

if (($(nproc) < 2)); then
    echo "ring_bench.sh: needs CPUs 0 and 1 (this machine has $(nproc) CPU)" >&2
    exit 1
fi

cmake -S "$ROOT" -B "$ROOT/$BUILD" -DEU_BUILD_BENCH=ON >/dev/null
cmake --build "$ROOT/$BUILD" --target ring_bench -j"$(nproc)"
BIN=$ROOT/$BUILD/bench/ring_bench
[[ -x $BIN ]] || { echo "ring_bench.sh: $BIN was not built" >&2; exit 1; }

# Runnable tasks right now, from /proc/loadavg ("1.00 0.50 0.20 RUNNING/TOTAL LASTPID").
runnable() { awk '{ split($4, a, "/"); print a[1] }' /proc/loadavg; }

# Wait until nothing but this script runs, for 5 samples in a row (0.2 s apart).
waited=0 calm=0
while ((calm < 5)); do
    if (($(runnable) <= 1)); then
        calm=$((calm + 1))
    else
        calm=0
    fi
    if ((waited >= QUIET_WAIT * 5)); then
        echo "ring_bench.sh: the machine is still busy after ${QUIET_WAIT}s (load:" \
            "$(cut -d' ' -f1-3 /proc/loadavg)); running anyway, expect redone runs" >&2
        break
    fi
    sleep 0.2
    waited=$((waited + 1))
done

exec "$BIN" "$@"
