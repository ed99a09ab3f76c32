#!/usr/bin/env bash
# tests/integration/fwd_punt.sh - europa-fwd's punt path, live: traffic to the router that it
# does not answer itself goes to a TAP (--punt), where RTR's own kernel (the "host stack")
# answers, and the host's answers are routed back out by europa-fwd.
#
#   SRC s0 198.18.1.2 ---- r0 [RTR: europa-fwd --punt eufpTAG] r1, r2 ---- [DST]
#                                       |
#                             eufpTAG (TAP): RTR's kernel, 198.18.1.1/32,
#                             198.19.1.1/32, 198.19.2.1/32, 198.18.0.0/15 through it
#
# (tests/integration/fwd_common.bash draws the rest.) RTR's kernel has no address on the
# veths and does not forward; the TAP is configured as docs/fwd.md (--punt) tells a user:
# created first (ip tuntap), the router's port addresses as /32 on it, the networks behind
# the router routed through it. Checks, from SRC through the router (AF_PACKET ports, or
# each driver of EU_FWD_DRIVERS, default "packet"):
#
#  1. a UDP datagram to 198.18.1.1:7777 reaches a socat listener in RTR's kernel, and
#     its reply comes back to SRC; punted_out and punted_in grow by exactly 1 each; the
#     host learned 198.18.1.2 on the TAP by ARP, answered by europa-fwd;
#  2. TCP (iperf3 -c from SRC for 1 s, iperf3 -s in RTR's kernel) completes with non-zero
#     throughput; punted_out grew by the frames the TAP received (its kernel counter),
#     punted_in by the frames it sent (exactly: the host's neighbour for 198.18.1.2 is
#     pinned after check 1, so no ARP crosses the TAP meanwhile);
#  3. UDP to a closed port gets an ICMP port unreachable made by RTR's kernel: socat
#     reports "Connection refused" (punted 1 out, 1 in, europa-fwd's own icmp counters
#     unchanged), and traceroute -n to 198.18.1.1 ends at hop 1, 198.18.1.1;
#  4. europa-fwd's JSON summary at exit (SIGTERM, status 0) has punted_out and punted_in
#     non-zero and agree with the TAP's kernel counters: the TAP received punted_out frames
#     plus europa-fwd's ARP replies, and sent punted_in plus the host's ARP requests, as
#     many requests as replies (one or a few);
#  5. ping 198.18.1.1 from SRC is answered by europa-fwd itself: 3 of 3, icmp.echo grows
#     by 3, punted_out does not grow.
#
# Environment: EU_FWD_DRIVERS (default "packet"; "xdp" too), EU_FWD_NO_PUNT=1 (europa-fwd
# without --punt: checks 1-4 must fail; a check of this test itself), EU_PUNT_NO_RPF=1 (RTR's
# kernel without the rp_filter/arp_ignore step of the docs: with AF_PACKET ports it takes
# the datagrams on r0 too, and check 1 sees two replies and fails).
# Exit: 0 pass, 1 fail, 77 not root, or no namespaces/veth/TAP, or a tool missing.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fwd_common.bash"

need_root "network namespaces, AF_PACKET, TAP devices"
for tool in ping traceroute iperf3 jq ethtool socat; do
    command -v $tool >/dev/null || skip "no $tool: apt-get install $tool (dev.sh lists it)"
done
[[ -e /dev/net/tun ]] || skip "no /dev/net/tun (modprobe tun)"
[[ -x $FWD ]] || { echo "$T: FAIL: $FWD is not built"; exit 1; }
DRIVERS=${EU_FWD_DRIVERS:-packet}
fwd_topo_up $$
cd "$TMP" || exit 1
TAP=eufp$$
TAP=${TAP:0:15}
RADDR=198.18.1.1 SADDR=198.18.1.2

fwd_config fwd.conf
cat >>fwd.conf <<EOF
neigh add 198.19.1.2 lladdr $BRMAC dev p1
neigh add 198.19.2.2 lladdr $BRMAC dev p2
EOF

# The host side of the TAP, as docs/fwd.md tells a user: the TAP exists before europa-fwd
# attaches to it, holds each port address the host should own, and the networks behind
# the router are routed through it (here 198.18.0.0/15, SRC's and DST's).
ip -n "$RTR" tuntap add "$TAP" mode tap || skip "cannot create a TAP device"
ip -n "$RTR" link set "$TAP" up
for a in 198.18.1.1 198.19.1.1 198.19.2.1; do
    ip -n "$RTR" addr add $a/32 dev "$TAP"
done
ip -n "$RTR" route add 198.18.0.0/15 dev "$TAP"
# With AF_PACKET ports RTR's kernel still receives every frame on r0, r1, r2: it must not
# take those to its addresses (a UDP datagram would reach the listener twice, once from r0
# and once from the TAP) nor answer ARP on them. Strict reverse path filtering drops them
# (198.18.1.2 is routed through the TAP, not r0); arp_ignore=1 answers ARP only for an
# address of the link asked on, and the veths have none. docs/fwd.md (--punt) says so.
[[ -n ${EU_PUNT_NO_RPF:-} ]] ||
    ip netns exec "$RTR" sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.all.arp_ignore=1

# st <file>: europa-fwd's counters now; n <file> <jq path>: one of them
st() { fctl stats --json >"$1" 2>/dev/null; }
n() { jnum "$1" "$2"; }
tapc() { ifcount "$RTR" "$TAP" "$1"; }
# delta <before json> <after json> <jq path>
delta() { echo $(($(n "$2" "$3") - $(n "$1" "$3"))); }

for drv in $DRIVERS; do
    echo "--- $drv"
    # the host learns the router's MAC anew (flush leaves the permanent entry of a previous
    # driver's run)
    ip -n "$RTR" neigh del $SADDR dev "$TAP" 2>/dev/null
    ip -n "$RTR" neigh flush dev "$TAP" 2>/dev/null
    punt=(--punt "$TAP")
    [[ -n ${EU_FWD_NO_PUNT:-} ]] && punt=()
    tap_rx0=$(tapc rx) tap_tx0=$(tapc tx)
    start_fwd "$drv.log" "$(fwd_vr_name "$drv")" fwd.conf --stats-json --seconds 300 \
        --stats-interval 0 "${punt[@]}" || continue

    # 1. UDP to a listener in the host stack, and its reply
    bg udp-srv-$drv.log ip netns exec "$RTR" socat UDP4-RECVFROM:7777,bind=$RADDR,fork \
        SYSTEM:"read -r l; echo \"\$l\" >>$TMP/udp-got-$drv; echo \"pong \$l\""
    srv=$BGPID
    wait_until 5 bash -c "ip netns exec $RTR ss -lun | grep -q '$RADDR:7777'"
    st s0.json
    out=$(echo "ping-$drv-$$" | timeout 15 ip netns exec "$SRC" socat -t 5 -T 5 - \
        UDP4:$RADDR:7777 2>&1)
    sleep 0.2 # the counters are published by europa-fwd's tick
    st s1.json
    stop_pid "$srv" 3
    echo "$T: $drv: UDP reply: '${out}'"
    check "$drv: (1) the listener in the host stack received the UDP datagram" \
        grep -qx "ping-$drv-$$" "udp-got-$drv"
    check "$drv: (1) its reply came back to SRC" test "$out" = "pong ping-$drv-$$"
    d_out=$(delta s0.json s1.json .punted_out) d_in=$(delta s0.json s1.json .punted_in)
    check "$drv: (1) punted_out grew by 1 ($d_out), punted_in by 1 ($d_in)" \
        test "$d_out" -eq 1 -a "$d_in" -eq 1
    nb=$(ip -n "$RTR" neigh show $SADDR dev "$TAP")
    echo "$T: $drv: the host's neighbour on the TAP: $nb"
    check "$drv: (1) the host resolved $SADDR on the TAP by ARP, answered by europa-fwd" \
        grep -qi "lladdr $R0MAC" <<<"$nb"
    # pinned from here: no ARP on the TAP, so the TAP's counters are IPv4 only
    ip -n "$RTR" neigh replace $SADDR lladdr "$R0MAC" dev "$TAP" nud permanent

    # 2. TCP to a listener in the host stack
    bg iperf-srv-$drv.log ip netns exec "$RTR" iperf3 -s -1 -B $RADDR
    srv=$BGPID
    wait_until 5 bash -c "ip netns exec $RTR ss -ltn | grep -q '$RADDR:5201'"
    st s2.json
    a_rx=$(tapc rx) a_tx=$(tapc tx)
    timeout 30 ip netns exec "$SRC" iperf3 -c $RADDR -t 1 -J >iperf-$drv.json 2>&1
    rc=$?
    stop_pid "$srv" 3
    sleep 0.2
    st s3.json
    b_rx=$(($(tapc rx) - a_rx)) b_tx=$(($(tapc tx) - a_tx))
    mbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' iperf-$drv.json \
        2>/dev/null)
    echo "$T: $drv: iperf3 TCP to the host stack through the TAP: ${mbps:-?} Mbit/s (status $rc)"
    check "$drv: (2) iperf3 TCP to the host stack completed" test "$rc" -eq 0
    check "$drv: (2) ... with non-zero throughput" test "${mbps:-0}" -gt 0
    d_out=$(delta s2.json s3.json .punted_out) d_in=$(delta s2.json s3.json .punted_in)
    check "$drv: (2) punted_out grew by the frames the TAP received ($d_out = $b_rx > 0)" \
        test "$d_out" -gt 0 -a "$d_out" -eq "$b_rx"
    check "$drv: (2) punted_in grew by the frames the host sent into it ($d_in = $b_tx > 0)" \
        test "$d_in" -gt 0 -a "$d_in" -eq "$b_tx"

    # 3. UDP to a closed port: the host stack's port unreachable
    st s4.json
    out=$(echo "closed" | timeout 15 ip netns exec "$SRC" socat -t 3 -T 3 - UDP4:$RADDR:7778 2>&1)
    sleep 0.2
    st s5.json
    echo "$T: $drv: socat to a closed port: $out"
    check "$drv: (3) UDP to a closed port: Connection refused" \
        grep -q "Connection refused" <<<"$out"
    d_out=$(delta s4.json s5.json .punted_out) d_in=$(delta s4.json s5.json .punted_in)
    d_icmp=$(($(delta s4.json s5.json .icmp.unreach) + $(delta s4.json s5.json .icmp.ttl)))
    check "$drv: (3) ... the ICMP came from the host: punted 1 out ($d_out), 1 in ($d_in), \
none made by europa-fwd ($d_icmp)" \
        test "$d_out" -eq 1 -a "$d_in" -eq 1 -a "$d_icmp" -eq 0
    out=$(timeout 30 ip netns exec "$SRC" traceroute -n -w 1 -q 1 -m 3 $RADDR 2>&1)
    echo "$out"
    check "$drv: (3) traceroute to $RADDR: hop 1 is $RADDR (the host's port unreachable)" \
        grep -Eq "^ *1 +198\.18\.1\.1 " <<<"$out"
    check "$drv: (3) traceroute ends at hop 1" bash -c "! grep -Eq '^ *2 ' <<<\"\$1\"" _ "$out"

    # 5. ping to the router: answered by europa-fwd, not punted
    st s6.json
    out=$(timeout 20 ip netns exec "$SRC" ping -c 3 -i 0.2 -W 2 $RADDR 2>&1)
    sleep 0.2
    st s7.json
    d_echo=$(delta s6.json s7.json .icmp.echo) d_out=$(delta s6.json s7.json .punted_out)
    check "$drv: (5) ping $RADDR: 3 of 3 answered" grep -q " 3 received" <<<"$out"
    check "$drv: (5) ... by europa-fwd (icmp.echo +$d_echo), not punted (punted_out +$d_out)" \
        test "$d_echo" -eq 3 -a "$d_out" -eq 0

    # 4. the summary at exit agrees with the TAP's own counters
    stop_pid "$FPID" 10
    rc=$?
    check "$drv: europa-fwd exited 0 on SIGTERM" test $rc -eq 0
    PIDS=()
    grep '^{' "$drv.log" | tail -n 1 >sum-$drv.json
    po=$(n sum-$drv.json .punted_out) pi=$(n sum-$drv.json .punted_in)
    t_rx=$(($(tapc rx) - tap_rx0)) t_tx=$(($(tapc tx) - tap_tx0))
    echo "$T: $drv: summary: punted_out $po, punted_in $pi; the TAP received $t_rx, sent $t_tx"
    check "$drv: (4) the summary's punted_out and punted_in are non-zero" \
        test "${po:-0}" -gt 0 -a "${pi:-0}" -gt 0
    # Besides the punted frames the TAP carried only ARP (check 1, before the pin): each
    # request the host sent (t_tx - pi) answered by europa-fwd (t_rx - po), one or a few.
    arq=$((t_tx - ${pi:-0})) arp=$((t_rx - ${po:-0}))
    check "$drv: (4) punted_out, punted_in agree with the TAP's counters: $t_rx received = \
$po punted + $arp ARP replies, $t_tx sent = $pi punted + $arq ARP requests" \
        test "$arq" -eq "$arp" -a "$arp" -ge 1 -a "$arp" -le 4
done
finish
