#!/usr/bin/env bash
# tests/integration/fwd_netns.sh - europa-fwd as a live router between three network
# namespaces: ping, traceroute, TCP and a route change under traffic go through it.
#
#   SRC s0 198.18.1.2 ---- r0 [RTR: europa-fwd] r1 ---- d0 \
#                                                r2 ---- d1 -+- br0 [DST] 198.19.1.2, 198.19.2.2
#
# (tests/integration/fwd_common.bash draws it in full.) RTR's kernel has no addresses and
# does not forward: the router is europa-fwd on the in-process switch, with AF_PACKET
# ports, then AF_XDP ports, then as a VR of europad, which owns the ports (AF_PACKET, then
# AF_XDP) (EU_FWD_DRIVERS, default "packet xdp europad-packet europad-xdp"). Per driver:
#
#  1. before europa-fwd starts, ping through RTR fails (nothing else forwards);
#  2. ping -c 5 from SRC to DST through the router, and to the router's own addresses
#     on both sides (ARP is resolved by europa-fwd towards SRC, and answered to both);
#  3. traceroute -n (UDP) from SRC to DST: hop 1 is the router (its ICMP time exceeded),
#     hop 2 the destination (DST's port unreachable);
#  4. iperf3 TCP SRC -> DST for 3 s: completes with non-zero throughput, and europa-fwd
#     counts no drop of any reason meanwhile;
#  5. route change under traffic: N numbered UDP frames (eu-traffic) to 198.19.0.99 while
#     `europactl route replace` flips 198.19.0.0/24 between p1 (via 198.19.1.2) and p2
#     (via 198.19.2.2) several times: DST (on br0, behind both links) receives every
#     frame once, in order, and both links carried some;
#  6. negative: ping to 198.19.200.1 (no route) gets "Destination Net Unreachable" from
#     198.18.1.1, and ping fails: the checks above can fail;
#  7. europa-fwd stops on SIGTERM with status 0 and a JSON summary that counts the
#     forwarded frames.
#
# Environment: EU_FWD_DRIVERS (see above), EU_FWD_ARGS (more europa-fwd options; e.g.
# "--icmp-rate 0 --icmp-burst 1", one ICMP error in all, makes the unreachable check
# fail), EU_FWD_FRAMES (N, default 20000), EU_FWD_RATE (frames/s, default 10000; both a
# fifth in sanitizer builds), EU_FWD_ROUTER=kernel (every check against RTR's own kernel
# instead, ip_forward=1 and `ip route replace` for the flips: a check of this test itself,
# not of europa-fwd).
# Exit: 0 pass, 1 fail, 77 not root, or no namespaces/veth, or a tool missing.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fwd_common.bash"

need_root "network namespaces, AF_PACKET, AF_XDP"
for tool in ping traceroute iperf3 jq ethtool; do
    command -v $tool >/dev/null || skip "no $tool: apt-get install $tool (dev.sh lists it)"
done
ROUTER=${EU_FWD_ROUTER:-europa-fwd}
if [[ $ROUTER == europa-fwd ]]; then
    [[ -x $FWD ]] || { echo "$T: FAIL: $FWD is not built"; exit 1; }
    DRIVERS=${EU_FWD_DRIVERS:-packet xdp europad-packet europad-xdp}
else
    DRIVERS=kernel
fi
N=${EU_FWD_FRAMES:-$((20000 / SLOW))}
RATE=${EU_FWD_RATE:-$((10000 / SLOW))}
fwd_topo_up $$
cd "$TMP" || exit 1

# The router's config: addresses, the route to 198.19.0.0/24, static neighbours towards
# DST (the route change must not wait for ARP); SRC's side is resolved by ARP.
fwd_config fwd.conf
cat >>fwd.conf <<EOF
neigh add 198.19.1.2 lladdr $BRMAC dev p1
neigh add 198.19.2.2 lladdr $BRMAC dev p2
EOF

# route_to <p1|p2>: point 198.19.0.0/24 at DST over that link
route_to() {
    local via=198.19.1.2 dev=$1
    [[ $dev == p2 ]] && via=198.19.2.2
    if [[ $ROUTER == kernel ]]; then
        ip -n "$RTR" route replace 198.19.0.0/24 via $via dev "r${dev#p}"
    else
        fctl route replace 198.19.0.0/24 via $via dev "$dev" >/dev/null
    fi
}

# stats_json <file>: europa-fwd's counters now
stats_json() { fctl stats --json >"$1" 2>/dev/null; }
# drops_total <json>: every drop reason summed, whatever the nesting
drops_total() {
    jq '[.. | objects | (.drop // .drops // empty) | if type == "object" then ([.[] | numbers] | add // 0) else . end] | add // 0' "$1" 2>/dev/null
}

check "kernel forwarding is off in the router's namespace" \
    test "$(ip netns exec "$RTR" sysctl -n net.ipv4.ip_forward)" = 0
check "nothing forwards before the router starts (ping fails)" \
    bash -c "! timeout 10 ip netns exec $SRC ping -c 1 -W 1 198.19.1.2 >/dev/null 2>&1"

run=0
for drv in $DRIVERS; do
    run=$((run + 1))
    echo "--- $drv"
    if [[ $ROUTER == kernel ]]; then
        kernel_fwd_on
        ip -n "$RTR" neigh flush dev r0
    else
        case $drv in
        europad-*)
            # europad owns r0, r1, r2 (its ports in that order: europa-fwd's p0, p1, p2)
            cat >europad.conf <<EOF2
control = { socket = "$SOCK"; };
ports = ( { name = "p0"; port = "${drv#europad-}:r0"; },
          { name = "p1"; port = "${drv#europad-}:r1"; },
          { name = "p2"; port = "${drv#europad-}:r2"; } );
vrs = ( { name = "fwd"; default = true; } );
EOF2
            start_europad europad.conf "$RTR"
            if ! start_fwd "$drv.log" "europad:$SOCK#fwd" fwd.conf --stats-json --seconds 600 \
                ${EU_FWD_ARGS:-}; then
                stop_europad
                PIDS=()
                continue
            fi
            ;;
        *) start_fwd "$drv.log" "$(fwd_vr_name "$drv")" fwd.conf --stats-json --seconds 600 \
            ${EU_FWD_ARGS:-} || continue ;;
        esac
    fi

    # 2. ping through, and to the router's addresses
    out=$(timeout 30 ip netns exec "$SRC" ping -c 5 -i 0.2 -W 2 198.19.1.2 2>&1)
    check "$drv: ping SRC -> DST through the router (5 of 5)" grep -q " 5 received" <<<"$out"
    check "$drv: the replies came through the router (ttl 63)" grep -q "ttl=63" <<<"$out"
    for a in 198.18.1.1 198.19.1.1 198.19.2.1; do
        out=$(timeout 30 ip netns exec "$SRC" ping -c 3 -i 0.2 -W 2 $a 2>&1)
        check "$drv: ping the router's own address $a" grep -q " 3 received" <<<"$out"
    done

    # 3. traceroute: hop 1 the router, hop 2 the destination
    out=$(timeout 60 ip netns exec "$SRC" traceroute -n -w 1 -q 1 -m 5 198.19.1.2 2>&1)
    echo "$out"
    check "$drv: traceroute hop 1 is the router (ICMP time exceeded from 198.18.1.1)" \
        grep -Eq '^ *1 +198\.18\.1\.1 ' <<<"$out"
    check "$drv: traceroute hop 2 is the destination" grep -Eq '^ *2 +198\.19\.1\.2 ' <<<"$out"
    check "$drv: traceroute ends at hop 2" bash -c "! grep -Eq '^ *3 ' <<<\"\$1\"" _ "$out"

    # 4. TCP
    [[ $ROUTER == kernel ]] || stats_json st0.json
    bg iperf-srv.log ip netns exec "$DST" iperf3 -s -1 -B 198.19.1.2
    srv=$BGPID
    wait_until 5 bash -c "ip netns exec $DST ss -ltn | grep -q ':5201'"
    timeout 40 ip netns exec "$SRC" iperf3 -c 198.19.1.2 -t 3 -J >iperf-$drv.json 2>&1
    rc=$?
    stop_pid "$srv" 3
    mbps=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6 | floor' iperf-$drv.json 2>/dev/null)
    echo "$T: $drv: iperf3 TCP through the router: ${mbps:-?} Mbit/s (status $rc)"
    check "$drv: iperf3 TCP transfer completed" test "$rc" -eq 0
    check "$drv: ... with non-zero throughput" test "${mbps:-0}" -gt 0
    if [[ $ROUTER != kernel ]]; then
        stats_json st1.json
        d0=$(drops_total st0.json) d1=$(drops_total st1.json)
        check "$drv: europa-fwd read its counters (stats --json)" test -n "$d1" -a "$d1" != null
        check "$drv: no drop during the TCP transfer ($d0 -> $d1)" test "${d0:-x}" = "${d1:-y}"
    fi

    # 5. route change under traffic
    route_to p1
    a0=$(ifcount "$DST" d0 rx) a1=$(ifcount "$DST" d1 rx)
    rm -f ready
    bg recv-$drv.log ip netns exec "$DST" "$TRAFFIC" recv -i br0 -n "$N" -R $((40 + run)) -t 60 -w "$TMP/ready"
    recv=$BGPID
    wait_until 10 test -e ready || fail "$drv: the receiver did not start"
    bg send-$drv.log ip netns exec "$SRC" "$TRAFFIC" send -i s0 -d "$R0MAC" -n "$N" -r "$RATE" \
        -R $((40 + run)) -t 60
    send=$BGPID
    flips=0 ferr=0
    period=$(awk -v n="$N" -v r="$RATE" 'BEGIN { p = n / r / 8; printf "%.2f", p < 0.05 ? 0.05 : p }')
    for ((i = 0; i < 6; i++)); do
        sleep "$period"
        if ((i % 2 == 0)); then route_to p2 || ferr=1; else route_to p1 || ferr=1; fi
        flips=$((flips + 1))
    done
    wait "$send"
    wait "$recv"
    rc=$?
    cat recv-$drv.log
    b0=$(($(ifcount "$DST" d0 rx) - a0)) b1=$(($(ifcount "$DST" d1 rx) - a1))
    echo "$T: $drv: $flips route flips; DST received $b0 frames on d0 (p1), $b1 on d1 (p2)"
    check "$drv: every route replace was accepted" test $ferr -eq 0
    check "$drv: all $N frames arrived across $flips route changes, once each, in order" test $rc -eq 0
    check "$drv: they were routed (TTL 63)" grep -q "(ttl 63)" recv-$drv.log
    check "$drv: both paths carried frames" test $b0 -gt 0 -a $b1 -gt 0

    # 6. negative: no route
    out=$(timeout 20 ip netns exec "$SRC" ping -c 1 -W 2 198.19.200.1 2>&1)
    prc=$?
    echo "$out" | sed -n 2p
    check "$drv: ping to an unrouted address fails" test $prc -ne 0
    check "$drv: ... with Destination Net Unreachable from the router" \
        grep -q "From 198.18.1.1 .*Destination Net Unreachable" <<<"$out"

    # 7. stop
    if [[ $ROUTER == kernel ]]; then
        kernel_fwd_off
        ip -n "$RTR" route flush 198.19.0.0/24 2>/dev/null
    else
        stop_pid "$FPID" 10
        rc=$?
        check "$drv: europa-fwd exited 0 on SIGTERM" test $rc -eq 0
        [[ $drv == europad-* ]] && stop_europad
        grep '^{' "$drv.log" | tail -n 1 >sum-$drv.json
        fwd=$(jnum sum-$drv.json '.fwd // .forwarded // .counters.fwd')
        check "$drv: its JSON summary counts the forwarded frames (fwd $fwd >= $N)" \
            test "${fwd:-0}" -ge "$N"
        PIDS=()
    fi
done
finish
