# tests/integration/fwd_common.bash - sourced by the fwd_*.sh tests and by
# bench/fwd-veth.sh: three namespaces around a router, and the routers that can sit in it
# (europa-fwd, conv-fwd, the kernel). Not a test itself (CTest runs *.sh only).
#
# Builds on switch-common.bash (skip, fail, check, bg, wait_until, TMP, cleanup of every
# pid in PIDS and namespace in NETNS at exit).
#
# Topology (fwd_topo_up TAG):
#
#   SRC                      RTR                              DST
#   s0 198.18.1.2/24 ---- r0 (p0, 198.18.1.1)
#                            r1 (p1, 198.19.1.1) ---- d0 \
#                            r2 (p2, 198.19.2.1) ---- d1 -+- br0 198.19.1.2/24
#                                                             198.19.2.2/24
#
# RTR's kernel has no addresses and does not forward (ip_forward=0), unless kernel_fwd_on
# gives them to it: whatever crosses RTR was moved by the router under test. DST's two
# links are ports of one bridge, so one receiver (on br0) sees a stream whichever way the
# router sends it (the route change test flips 198.19.0.0/24 between p1 and p2).
# 198.19.0.0/24 (eu-traffic's destination, 198.19.0.99) is routed to DST but held by
# nobody there: DST's kernel drops those frames silently, the receiver on br0 counts them.
# Checksum and segmentation offloads are off on SRC's and DST's veths: a user-space
# router moves frames as they are, so a partial checksum a veth would leave for "later"
# would arrive unfinished.

# shellcheck source=switch-common.bash
source "$(dirname "${BASH_SOURCE[0]}")/switch-common.bash"

FWD_PREFIX=() # e.g. (taskset -c 1): what europa-fwd runs under
FWD=${EU_FWD:-$BUILD/examples/ipv4fwd/europa-fwd}
CONV=${EU_CONV_FWD:-$BUILD/bench/conv-fwd}

# fwd_topo_up <tag>: the namespaces and links above. Sets SRC RTR DST and the MACs
# S0MAC R0MAC R1MAC R2MAC BRMAC.
fwd_topo_up() {
    local tag=$1 ns
    command -v ip >/dev/null || skip "no ip(8): apt-get install iproute2"
    SRC=eufs$tag RTR=eufr$tag DST=eufd$tag
    for ns in "$SRC" "$RTR" "$DST"; do
        ip netns add "$ns" || skip "cannot create network namespaces"
        NETNS+=("$ns")
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=0
    ip link add s0 netns "$SRC" type veth peer name r0 netns "$RTR" || skip "no veth support"
    ip link add r1 netns "$RTR" type veth peer name d0 netns "$DST" || skip "no veth support"
    ip link add r2 netns "$RTR" type veth peer name d1 netns "$DST" || skip "no veth support"
    ip -n "$DST" link add br0 type bridge stp_state 0 forward_delay 0 || skip "no bridge support"
    ip -n "$DST" link set d0 master br0
    ip -n "$DST" link set d1 master br0
    for ns in "$SRC:s0" "$RTR:r0" "$RTR:r1" "$RTR:r2" "$DST:d0" "$DST:d1" "$DST:br0"; do
        ip -n "${ns%%:*}" link set "${ns#*:}" up
    done
    ip -n "$SRC" addr add 198.18.1.2/24 dev s0
    ip -n "$SRC" route add default via 198.18.1.1
    ip -n "$DST" addr add 198.19.1.2/24 dev br0
    ip -n "$DST" addr add 198.19.2.2/24 dev br0
    ip -n "$DST" route add default via 198.19.1.1
    if command -v ethtool >/dev/null; then
        ip netns exec "$SRC" ethtool -K s0 tx off tso off gso off >/dev/null 2>&1
        ip netns exec "$DST" ethtool -K d0 tx off tso off gso off >/dev/null 2>&1
        ip netns exec "$DST" ethtool -K d1 tx off tso off gso off >/dev/null 2>&1
        ip netns exec "$DST" ethtool -K br0 tx off tso off gso off >/dev/null 2>&1
    else
        skip "no ethtool (apt-get install ethtool): checksum offload must be off on the veths"
    fi
    S0MAC=$(ip netns exec "$SRC" cat /sys/class/net/s0/address)
    R0MAC=$(ip netns exec "$RTR" cat /sys/class/net/r0/address)
    R1MAC=$(ip netns exec "$RTR" cat /sys/class/net/r1/address)
    R2MAC=$(ip netns exec "$RTR" cat /sys/class/net/r2/address)
    BRMAC=$(ip netns exec "$DST" cat /sys/class/net/br0/address)
}

# fwd_static_neigh: SRC and DST know the router's MACs without ARP (conv-fwd answers no
# ARP; harmless for the others).
fwd_static_neigh() {
    ip -n "$SRC" neigh replace 198.18.1.1 lladdr "$R0MAC" dev s0 nud permanent
    ip -n "$DST" neigh replace 198.19.1.1 lladdr "$R1MAC" dev br0 nud permanent
    ip -n "$DST" neigh replace 198.19.2.1 lladdr "$R2MAC" dev br0 nud permanent
}

# fwd_config <file> [static]: the router's configuration (ip(8) syntax). With "static",
# the neighbours are given (conv-fwd needs them; europa-fwd may resolve them by ARP).
fwd_config() {
    cat >"$1" <<EOF
# ports: p0 = r0 (towards SRC), p1 = r1 and p2 = r2 (towards DST)
addr add 198.18.1.1/24 dev p0
addr add 198.19.1.1/24 dev p1
addr add 198.19.2.1/24 dev p2
route add 198.19.0.0/24 via 198.19.1.2 dev p1
EOF
    if [[ ${2:-} == static ]]; then
        cat >>"$1" <<EOF
neigh add 198.18.1.2 lladdr $S0MAC dev p0
neigh add 198.19.1.2 lladdr $BRMAC dev p1
neigh add 198.19.2.2 lladdr $BRMAC dev p2
EOF
    fi
}

# fwd_vr_name <packet|xdp|packet-v2>: europa-fwd's --vr for the in-process switch over r0,
# r1, r2 (packet-v2: AF_PACKET ports with TPACKET_V2 rings)
fwd_vr_name() {
    case $1 in
    packet-v2) echo "inproc:packet:r0,v2;packet:r1,v2;packet:r2,v2" ;;
    *) echo "inproc:$1:r0;$1:r1;$1:r2" ;;
    esac
}

# start_fwd <log> <vr name> <config> [europa-fwd args...]: europa-fwd in RTR with a
# control socket at $FSOCK; waits until the socket answers. FPID is its pid (the pid of
# `ip netns exec`, which execs it).
FSOCK=
start_fwd() {
    local log=$1 vr=$2 conf=$3
    shift 3
    FSOCK=$TMP/fwd.sock
    rm -f "$FSOCK"
    bg "$log" ip netns exec "$RTR" "${FWD_PREFIX[@]}" "$FWD" --vr "$vr" --config "$conf" \
        --control "$FSOCK" "$@"
    FPID=$BGPID
    if ! wait_until 15 fctl stats >/dev/null 2>&1; then
        if alive "$FPID"; then
            fail "europa-fwd ($vr) did not answer on its control socket within 15 s"
        else
            fail "europa-fwd ($vr) exited at start"
        fi
        tail -n 20 "$log"
        return 1
    fi
    return 0
}

# fctl <command...>: europactl on europa-fwd's control socket
fctl() { timeout 10 "$EUROPACTL" -s "$FSOCK" "$@"; }

# stop_pid <pid> [seconds]: SIGTERM, wait up to seconds (default 10), then SIGKILL.
# Returns the exit status (137 if it had to be killed).
stop_pid() {
    local pid=$1 lim=${2:-10} i rc
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < lim * 20; i++)); do
        alive "$pid" || break
        sleep 0.05
    done
    if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 137
    fi
    wait "$pid"
    rc=$?
    return $rc
}

# kernel_fwd_on / kernel_fwd_off: RTR's own kernel routes instead (the peer), with the
# router's addresses and the same routes and neighbours.
kernel_fwd_on() {
    ip -n "$RTR" addr add 198.18.1.1/24 dev r0
    ip -n "$RTR" addr add 198.19.1.1/24 dev r1
    ip -n "$RTR" addr add 198.19.2.1/24 dev r2
    ip -n "$RTR" route replace 198.19.0.0/24 via 198.19.1.2 dev r1
    ip -n "$RTR" neigh replace 198.18.1.2 lladdr "$S0MAC" dev r0 nud permanent
    ip -n "$RTR" neigh replace 198.19.1.2 lladdr "$BRMAC" dev r1 nud permanent
    ip -n "$RTR" neigh replace 198.19.2.2 lladdr "$BRMAC" dev r2 nud permanent
    ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=1
}
kernel_fwd_off() {
    ip netns exec "$RTR" sysctl -qw net.ipv4.ip_forward=0
    ip -n "$RTR" addr flush dev r0
    ip -n "$RTR" addr flush dev r1
    ip -n "$RTR" addr flush dev r2
    ip -n "$RTR" neigh flush all 2>/dev/null
}

# jnum <json file> <jq path>: one number from a JSON summary (0 if absent)
jnum() { jq -r "($2) // 0" "$1" 2>/dev/null | head -n 1; }
