#!/usr/bin/env bash
# bench/eval/vrs.sh - several VRs forwarding at once through one europad over veth, UDP
# and TCP (issue 6, experiments 4 and 5). Run by bench/evaluate; usable alone (root).
#
#   bench/eval/vrs.sh scale CSV [COUNTS]   VRs 1 2 4 8 16 (default), default pool size
#   bench/eval/vrs.sh pool  CSV [SLOTS]    2 VRs, slots per VR 256 ... 65536 (default
#                                          256 1024 4096 16384 65536)
#
# Topology (tests/integration/switch-common.bash): SRC:eus0 <-> SW:euw0 (europad port
# "in"), SW:euw1 (port "out") <-> SINK:euk0. Every VR is a europa-fwd router in a process
# of its own, attached to europad with two rules: port "in", destination MAC
# 02:00:00:00:<i>:01, and port "out", destination MAC 02:00:00:00:<i>:02. VR i has
# 198.18.<i>.1/24 on "in" and 198.19.<i>.1/24 on "out"; SRC has 198.18.<i>.2 and SINK
# 198.19.<i>.2, each with a route to the other's subnet through VR i (static neighbours
# everywhere: no ARP in the measurement).
#
# UDP: one source sends 64-byte frames (198.18.0.1 -> 198.19.0.99, which every VR routes
# to SINK, whose kernel counts and drops them) at EVAL_RATE frames/s, frame k to VR k mod
# N, so the offered load is the same whatever N (what the source really sent is measured
# too: on a small machine it competes for the CPUs). Per VR: frames it sent (europad's
# counters.tx_frames); aggregate: frames the sink's kernel counted on euk0.
# TCP (with iperf3): N flows at once, flow i from 198.18.<i>.2 to 198.19.<i>.2 through
# VR i, EVAL_SECS seconds; per VR and aggregate goodput as iperf3's receivers saw it.
# Every point runs RUNS times.
#
# CSV rows: experiment,x,run,what,fps   (what: sent | sink | vr1 ... vrN)
# TCP CSV (CSV with _tcp before .csv): experiment,x,run,what,mbps  (what: sum | vr1 ... vrN)
# Environment: EVAL_RUNS (3), EVAL_SECS (3 s per run), EVAL_RATE (offered frames/s,
# default 300000; 0: as fast as one AF_PACKET socket goes), EVAL_DRIVER (packet: AF_PACKET;
# xdp: AF_XDP), EVAL_BUSY (0: europad sleeps when idle; 1: busy polling), EVAL_TCP (1: also
# TCP, the default when iperf3 is installed; 0: UDP only), EVAL_TCP_RUNS (default RUNS),
# EU_BUILD_DIR, EU_INTEGRATION_BIN (the built tree).
# Exit: 0 done, 77 not root (no namespaces), 1 error.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/integration/switch-common.bash"

MODE=${1:?usage: vrs.sh scale|pool CSV [LIST]}
CSV=${2:?usage: vrs.sh scale|pool CSV [LIST]}
RUNS=${EVAL_RUNS:-3}
SECS=${EVAL_SECS:-3}
DRV=${EVAL_DRIVER:-packet}
RATE=${EVAL_RATE:-300000}
BUSY=${EVAL_BUSY:-0}
TCP=${EVAL_TCP:-1}
TCP_RUNS=${EVAL_TCP_RUNS:-$RUNS}
case $MODE in
scale) LIST=${3:-1 2 4 8 16} ;;
pool) LIST=${3:-256 1024 4096 16384 65536} ;;
*) echo "vrs.sh: unknown mode '$MODE' (scale or pool)" >&2; exit 2 ;;
esac
[[ $CSV == /* ]] || CSV=$PWD/$CSV
TCSV=${CSV%.csv}_tcp.csv
FWD=$BUILD/examples/ipv4fwd/europa-fwd
[[ -x $FWD ]] || { echo "vrs.sh: $FWD is not built"; exit 1; }
if ((TCP)) && ! command -v iperf3 >/dev/null; then
    echo "vrs.sh: no iperf3 (apt-get install iperf3): UDP only"
    TCP=0
fi
if ((TCP)) && ! command -v jq >/dev/null; then
    echo "vrs.sh: no jq (apt-get install jq): UDP only"
    TCP=0
fi

need_root "network namespaces"
topo_up v$$
cd "$TMP" || exit 1
echo "experiment,x,run,what,fps" >"$CSV"
((TCP)) && echo "experiment,x,run,what,mbps" >"$TCSV"

mac_of() { printf '02:00:00:00:%02x:%02x' "$1" "$2"; } # <vr> <1: in | 2: out>
busy=false
((BUSY)) && busy=true
VRPIDS=()

# The hosts' side, once for as many VRs as the largest point needs. The hosts' kernels
# must fill in their checksums and segment themselves: a frame leaving a veth with its
# checksum still to be done (or as one 64 KiB TSO frame) reaches a user-space switch as
# it is.
if ((TCP)); then
    command -v ethtool >/dev/null || { echo "vrs.sh: no ethtool (apt-get install ethtool): UDP only"; TCP=0; }
    ip netns exec "$SRC" ethtool -K "$S0" tx off tso off gso off >/dev/null 2>&1
    ip netns exec "$SINK" ethtool -K "$K0" tx off tso off gso off >/dev/null 2>&1
fi
MAXN=2
if [[ $MODE == scale ]]; then
    for x in $LIST; do ((x > MAXN)) && MAXN=$x; done
fi
for ((i = 1; i <= MAXN; i++)); do
    ip -n "$SRC" addr add "198.18.$i.2/24" dev "$S0"
    ip -n "$SRC" route add "198.19.$i.0/24" via "198.18.$i.1" dev "$S0"
    ip -n "$SRC" neigh replace "198.18.$i.1" lladdr "$(mac_of "$i" 1)" dev "$S0" nud permanent
    ip -n "$SINK" addr add "198.19.$i.2/24" dev "$K0"
    ip -n "$SINK" route add "198.18.$i.0/24" via "198.19.$i.1" dev "$K0"
    ip -n "$SINK" neigh replace "198.19.$i.1" lladdr "$(mac_of "$i" 2)" dev "$K0" nud permanent
done

# setup <nvrs> <slots|default>: europad with that many VRs, each with its router
setup() {
    local n=$1 slots=$2 i slot_line=""
    [[ $slots != default ]] && slot_line="slots = $slots;"
    {
        echo "control = { socket = \"$SOCK\"; };"
        echo "switch = { busy = $busy; };"
        echo "ports = ( { name = \"in\"; port = \"$DRV:$A0\"; }, { name = \"out\"; port = \"$DRV:$A1\"; } );"
        echo "vrs = ("
        for ((i = 1; i <= n; i++)); do
            ((i > 1)) && echo ","
            echo "  { name = \"vr$i\"; $slot_line rules = ( { port = \"in\"; mac = \"$(mac_of "$i" 1)\"; },"
            echo "    { port = \"out\"; mac = \"$(mac_of "$i" 2)\"; } ); }"
        done
        echo ");"
    } >eval.conf
    start_europad eval.conf "$SW"
    VRPIDS=()
    for ((i = 1; i <= n; i++)); do
        cat >"vr$i.conf" <<EOC
link set in address $(mac_of "$i" 1)
link set out address $(mac_of "$i" 2)
addr add 198.18.$i.1/24 dev in
addr add 198.19.$i.1/24 dev out
route add 198.19.0.0/24 via 198.19.$i.2 dev out
neigh add 198.18.$i.2 lladdr $S0MAC dev in
neigh add 198.19.$i.2 lladdr $K0MAC dev out
EOC
        bg "vr$i.log" ip netns exec "$SW" "$FWD" --vr "europad:$SOCK#vr$i" --config "vr$i.conf" \
            --quiet --stats-interval 0
        VRPIDS+=("$BGPID")
    done
    for ((i = 1; i <= n; i++)); do
        wait_until 20 is "vrs.vr$i.state" attached ||
            { echo "vrs.sh: VR vr$i did not attach"; cat "vr$i.log" europad.log; exit 1; }
    done
}

teardown() {
    local p
    for p in "${VRPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${VRPIDS[@]}"; do wait "$p" 2>/dev/null; done
    stop_europad
    PIDS=()
}

# measure <x> <nvrs> <run>: one UDP blast of SECS seconds; appends CSV rows
measure() {
    local x=$1 n=$2 run=$3 i d=() k0 k1 s0 s1 t0 t1
    local -a v0 v1
    for ((i = 1; i <= n; i++)); do
        d+=(-d "$(mac_of "$i" 1)")
        v0[i]=$(val "vrs.vr$i.counters.tx_frames")
    done
    k0=$(ifcount "$SINK" "$K0" rx)
    s0=$(ifcount "$SRC" "$S0" tx)
    t0=$(date +%s.%N)
    ip netns exec "$SRC" "$TRAFFIC" send -i "$S0" "${d[@]}" -n 0 -r "$RATE" -t "$SECS" -R $((run % 250 + 1)) >blast.log 2>&1
    sleep 0.2 # the tail still in flight
    t1=$(date +%s.%N)
    k1=$(ifcount "$SINK" "$K0" rx)
    s1=$(ifcount "$SRC" "$S0" tx)
    for ((i = 1; i <= n; i++)); do v1[i]=$(val "vrs.vr$i.counters.tx_frames"); done
    local dt
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a - 0.2 }')
    rate() { awk -v n="$1" -v t="$dt" 'BEGIN { printf "%.0f", n / t }'; }
    echo "$MODE,$x,$run,sent,$(rate $((s1 - s0)))" >>"$CSV"
    echo "$MODE,$x,$run,sink,$(rate $((k1 - k0)))" >>"$CSV"
    for ((i = 1; i <= n; i++)); do
        echo "$MODE,$x,$run,vr$i,$(rate $((${v1[i]:-0} - ${v0[i]:-0})))" >>"$CSV"
    done
    printf 'vrs.sh %s x=%s run %d UDP: sent %s/s, sink %s/s\n' "$MODE" "$x" "$run" \
        "$(rate $((s1 - s0)))" "$(rate $((k1 - k0)))"
}

# measure_tcp <x> <nvrs> <run>: N iperf3 flows at once, one through each VR
measure_tcp() {
    local x=$1 n=$2 run=$3 i spids=() cpids=() ok sum=0 mbps
    for ((i = 1; i <= n; i++)); do
        ip netns exec "$SINK" iperf3 -s -1 -B "198.19.$i.2" -p $((5200 + i)) >"iperf-s$i.log" 2>&1 &
        spids+=($!)
    done
    listening() { [[ -n $(ip netns exec "$SINK" ss -Htln "sport = :$1") ]]; }
    for ((i = 1; i <= n; i++)); do
        wait_until 5 listening $((5200 + i)) || echo "vrs.sh: iperf3 server $i is not listening"
    done
    for ((i = 1; i <= n; i++)); do
        timeout $((SECS + 20)) ip netns exec "$SRC" iperf3 -c "198.19.$i.2" -B "198.18.$i.2" \
            -p $((5200 + i)) -t "$SECS" -J >"iperf-c$i.json" 2>"iperf-c$i.err" &
        cpids+=($!)
    done
    for i in "${cpids[@]}"; do wait "$i"; done
    for i in "${spids[@]}"; do kill "$i" 2>/dev/null; wait "$i" 2>/dev/null; done
    ok=1
    for ((i = 1; i <= n; i++)); do
        mbps=$(jq -r '.end.sum_received.bits_per_second // empty' "iperf-c$i.json" 2>/dev/null |
            awk '{ printf "%.1f", $1 / 1e6 }')
        if [[ -z $mbps ]]; then
            echo "vrs.sh: iperf3 flow $i gave no result: $(jq -r '.error // empty' "iperf-c$i.json" 2>/dev/null) $(head -c 300 "iperf-c$i.err")"
            mbps=0 ok=0
        fi
        echo "$MODE,$x,$run,vr$i,$mbps" >>"$TCSV"
        sum=$(awk -v a="$sum" -v b="$mbps" 'BEGIN { printf "%.1f", a + b }')
    done
    echo "$MODE,$x,$run,sum,$sum" >>"$TCSV"
    printf 'vrs.sh %s x=%s run %d TCP: %s Mbit/s over %d flows%s\n' "$MODE" "$x" "$run" "$sum" "$n" \
        "$( ((ok)) || echo ' (a flow failed)')"
}

for x in $LIST; do
    if [[ $MODE == scale ]]; then
        setup "$x" default
        n=$x
    else
        setup 2 "$x"
        n=2
    fi
    for ((run = 1; run <= RUNS; run++)); do
        measure "$x" "$n" "$run"
    done
    if ((TCP)); then
        for ((run = 1; run <= TCP_RUNS; run++)); do
            measure_tcp "$x" "$n" "$run"
        done
    fi
    # every VR must still be running: a router that died would make the numbers lie
    for ((i = 0; i < n; i++)); do
        alive "${VRPIDS[i]}" || { echo "vrs.sh: the router of vr$((i + 1)) exited:"; tail -n 5 "vr$((i + 1)).log"; exit 1; }
    done
    teardown
done
FAILED=0
exit 0
