#!/usr/bin/env bash
# bench/europad-veth.sh - frames per second through europad, per port driver, beside
# Linux kernel IP forwarding between the same namespaces, in the same run.
#
# Topology (tests/integration/switch-common.bash): SRC:eus0 <-> SW:euw0, SW:euw1 <->
# SINK:euk0. The source blasts 64-byte frames (60 bytes + FCS) at 198.19.0.99 through
# SW for SECONDS; the rate is what the sink's kernel counts on euk0, divided by the time.
#
#   kernel   SW forwards them itself (addresses on euw0/euw1, ip_forward=1, a static
#            neighbour for 198.19.0.99)
#   xdp      europad owns euw0 and euw1 with AF_XDP; a forwarding VR (eu-reflect -m
#            forward: MAC rewrite, TTL - 1) in its own process
#   packet   the same with AF_PACKET (TPACKET_V3)
#
# Each configuration runs RUNS times, interleaved; the median is printed. Nothing is
# asserted: this measures. Run as root from a built tree:
#
#   bench/europad-veth.sh [RUNS [SECONDS]]          (defaults 3 and 3)
#
# Environment: EU_BENCH_MODES (default "kernel xdp packet"), EU_BENCH_BUSY=1 (europad
# and the VR busy-poll instead of sleeping when idle), EU_BUILD_DIR, EU_INTEGRATION_BIN.
# Note: on a small host the source, europad and the VR share the CPUs; the numbers say
# how many cores this host has (nproc) with them.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/switch-common.bash"
BUILD=${EU_BUILD_DIR:-$here/../../build}

need_root "network namespaces"
RUNS=${1:-3}
SECS=${2:-3}
MODES=${EU_BENCH_MODES:-kernel xdp packet}
BUSY=${EU_BENCH_BUSY:-0}
topo_up b$$
cd "$TMP" || exit 1

kernel_on() {
    ip -n "$SW" addr add 198.18.0.254/24 dev "$A0"
    ip -n "$SW" addr add 198.19.0.254/24 dev "$A1"
    ip -n "$SW" neigh replace 198.19.0.99 lladdr "$K0MAC" dev "$A1" nud permanent
    ip netns exec "$SW" sysctl -qw net.ipv4.ip_forward=1
}
kernel_off() {
    ip netns exec "$SW" sysctl -qw net.ipv4.ip_forward=0
    ip -n "$SW" addr flush dev "$A0"
    ip -n "$SW" addr flush dev "$A1"
}

# blast: send for SECS at full speed; prints the sink's frames per second
blast() {
    local k0 k1 t0 t1
    k0=$(ifcount "$SINK" "$K0" rx)
    t0=$(date +%s.%N)
    ip netns exec "$SRC" "$TRAFFIC" send -i "$S0" -d "$A0MAC" -n 0 -t "$SECS" -R 77 >blast.log
    sleep 0.2 # the tail still in flight
    t1=$(date +%s.%N)
    k1=$(ifcount "$SINK" "$K0" rx)
    awk -v n=$((k1 - k0)) -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a - 0.2) }'
}

europad_on() {
    local drv=$1 busy=false
    ((BUSY)) && busy=true
    cat >bench.conf <<EOF
control = { socket = "$SOCK"; };
switch = { busy = $busy; };
ports = ( { name = "in"; port = "$drv:$A0"; }, { name = "out"; port = "$drv:$A1"; } );
vrs = ( { name = "fwd"; default = true; } );
EOF
    start_europad bench.conf "$SW"
    local extra=()
    ((BUSY)) && extra=(--busy)
    bg vr.log "$REFLECT" -q -m forward -t 1 -d "1=$K0MAC" "${extra[@]}" "europad:$SOCK#fwd"
    VR=$BGPID
    wait_until 10 is vrs.fwd.state attached || { echo "the VR did not attach"; exit 1; }
}
europad_off() {
    kill -TERM "$VR"
    wait "$VR" 2>/dev/null
    stop_europad
    PIDS=()
}

declare -A R
for ((run = 1; run <= RUNS; run++)); do
    for m in $MODES; do
        case $m in
        kernel)
            kernel_on
            r=$(blast)
            kernel_off
            ;;
        xdp | packet)
            europad_on "$m"
            r=$(blast)
            mode=$(val ports.in.mode)
            europad_off
            ;;
        *) echo "unknown mode $m"; exit 2 ;;
        esac
        R[$m]+="$r "
        printf 'run %d %-7s %9s frames/s   (source: %s)\n' "$run" "$m" "$r" "$(sed 's/.*(//; s/)//' blast.log)"
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo
echo "64-byte frames through SW, median of $RUNS runs of ${SECS}s, $(nproc) CPUs, $(uname -r)"
[[ -n ${mode:-} ]] && echo "(europad ports: last mode seen \"$mode\"; busy polling: $BUSY)"
kmed=$(echo "${R[kernel]:-}" | median)
for m in $MODES; do
    med=$(echo "${R[$m]}" | median)
    if [[ -n $kmed && $kmed -gt 0 ]]; then
        printf '  %-7s %9s frames/s   %5.2f x kernel forwarding\n' "$m" "$med" \
            "$(awk -v a="$med" -v b="$kmed" 'BEGIN { print a / b }')"
    else
        printf '  %-7s %9s frames/s\n' "$m" "$med"
    fi
done
FAILED=0
exit 0
