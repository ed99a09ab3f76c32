#!/usr/bin/env bash
# bench/eval/vrs.sh - several VRs forwarding at once through one europad over veth
# (issue 6, experiments 4 and 5). Run by bench/evaluate; usable alone (root).
#
#   bench/eval/vrs.sh scale CSV [COUNTS]   VRs 1 2 4 8 16 (default), default pool size
#   bench/eval/vrs.sh pool  CSV [SLOTS]    2 VRs, slots per VR 256 ... 65536 (default
#                                          256 1024 4096 16384 65536)
#
# Topology (tests/integration/switch-common.bash): SRC:eus0 <-> SW:euw0 (europad port
# "in"), SW:euw1 (port "out") <-> SINK:euk0. VR i has the rule "port in, destination MAC
# 02:00:00:00:<i>:01" and is an eu-reflect forwarder (-m forward: MAC rewrite, TTL - 1,
# out port 1), each in its own process. One source sends 64-byte frames at EVAL_RATE
# frames/s (frame k to VR k mod N), so the offered load is the same whatever N (what the
# source really sent is measured too: on a small machine it competes for the CPUs). Per
# VR: frames it sent (europad's counters.tx_frames); aggregate: frames the sink's kernel
# counted on euk0. Every point runs RUNS times.
#
# CSV rows: experiment,x,run,what,fps   (what: sent | sink | vr1 ... vrN)
# Environment: EVAL_RUNS (3), EVAL_SECS (3 s per run), EVAL_RATE (offered frames/s,
# default 300000; 0: as fast as one AF_PACKET socket goes), EVAL_DRIVER (packet: AF_PACKET;
# xdp: AF_XDP), EVAL_BUSY (0: europad and VRs sleep when idle; 1: busy polling),
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
case $MODE in
scale) LIST=${3:-1 2 4 8 16} ;;
pool) LIST=${3:-256 1024 4096 16384 65536} ;;
*) echo "vrs.sh: unknown mode '$MODE' (scale or pool)" >&2; exit 2 ;;
esac
[[ $CSV == /* ]] || CSV=$PWD/$CSV

need_root "network namespaces"
topo_up v$$
cd "$TMP" || exit 1
echo "experiment,x,run,what,fps" >"$CSV"

mac_of() { printf '02:00:00:00:%02x:01' "$1"; }
busy=false
((BUSY)) && busy=true
VRPIDS=()

# setup <nvrs> <slots|default>: europad with that many VRs, each with its forwarder
setup() {
    local n=$1 slots=$2 i extra=() slot_line=""
    [[ $slots != default ]] && slot_line="slots = $slots;"
    {
        echo "control = { socket = \"$SOCK\"; };"
        echo "switch = { busy = $busy; };"
        echo "ports = ( { name = \"in\"; port = \"$DRV:$A0\"; }, { name = \"out\"; port = \"$DRV:$A1\"; } );"
        echo "vrs = ("
        for ((i = 1; i <= n; i++)); do
            ((i > 1)) && echo ","
            echo "  { name = \"vr$i\"; $slot_line rules = ( { port = \"in\"; mac = \"$(mac_of "$i")\"; } ); }"
        done
        echo ");"
    } >eval.conf
    start_europad eval.conf "$SW"
    ((BUSY)) && extra=(--busy)
    VRPIDS=()
    for ((i = 1; i <= n; i++)); do
        bg "vr$i.log" "$REFLECT" -q -m forward -t 1 -d "1=$K0MAC" "${extra[@]}" "europad:$SOCK#vr$i"
        VRPIDS+=("$BGPID")
    done
    for ((i = 1; i <= n; i++)); do
        wait_until 20 is "vrs.vr$i.state" attached || { echo "vrs.sh: VR vr$i did not attach"; cat "vr$i.log" europad.log; exit 1; }
    done
}

teardown() {
    local p
    for p in "${VRPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${VRPIDS[@]}"; do wait "$p" 2>/dev/null; done
    stop_europad
    PIDS=()
}

# measure <x> <nvrs> <run>: one blast of SECS seconds; appends CSV rows
measure() {
    local x=$1 n=$2 run=$3 i d=() k0 k1 t0 t1 sent
    local -a v0 v1
    for ((i = 1; i <= n; i++)); do
        d+=(-d "$(mac_of "$i")")
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
    printf 'vrs.sh %s x=%s run %d: sent %s/s, sink %s/s\n' "$MODE" "$x" "$run" \
        "$(rate $((s1 - s0)))" "$(rate $((k1 - k0)))"
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
    teardown
done
FAILED=0
exit 0
