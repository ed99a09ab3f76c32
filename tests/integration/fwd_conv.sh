#!/usr/bin/env bash
# tests/integration/fwd_conv.sh - the conventional forwarder of the benchmarks
# (bench/conv-fwd.c) forwards correctly, so that bench/fwd-veth.sh compares europa-fwd
# with a router that does the same work.
#
# Topology of fwd_common.bash (SRC -- RTR -- DST; RTR's kernel does not forward). For
# --mode recvfrom and --mode mmsg: N numbered 64-byte UDP frames at a bounded rate reach
# DST once each, in order, with TTL 63 and DST's MAC; ping works through it (both
# directions, static neighbours: conv-fwd answers no ARP); frames to an address without
# a route or with TTL 1 (pings) are dropped and counted by reason in its
# JSON summary; and its counters agree with what DST saw. (Its sockets get a 16 MiB
# receive buffer here, so that a busy host that keeps it off the CPU for a while does not
# make it drop: this checks what it does, not how fast.)
#
# Needs the benchmarks built (-DEU_BUILD_BENCH=ON, the default with dpdk-dev and
# libck-dev); exit 77 without them or when not root.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/fwd_common.bash"

need_root "network namespaces, AF_PACKET"
[[ -x $CONV ]] || { echo "fwd_conv: FAIL: no $CONV (it is built in every configuration: build the tree)"; exit 1; }
command -v jq >/dev/null || skip "no jq: apt-get install jq"
command -v ping >/dev/null || skip "no ping: apt-get install iputils-ping"
N=${EU_FWD_FRAMES:-$((20000 / SLOW))}
RATE=${EU_FWD_RATE:-$((10000 / SLOW))}
fwd_topo_up c$$
fwd_static_neigh
cd "$TMP" || exit 1
fwd_config conv.conf static

for mode in recvfrom mmsg; do
    bg conv-$mode.log ip netns exec "$RTR" "$CONV" --mode $mode -i r0 -i r1 -i r2 -c conv.conf \
        --seconds 60 --json --rcvbuf 16777216
    CPID=$BGPID
    sleep 0.5
    check "$mode: conv-fwd started" alive "$CPID"
    out=$(timeout 30 ip netns exec "$SRC" ping -c 3 -i 0.2 -W 2 198.19.1.2 2>&1)
    check "$mode: ping SRC -> DST through conv-fwd" grep -q " 3 received" <<<"$out"
    k0=$(ifcount "$DST" d0 rx)
    rm -f ready
    bg recv-$mode.log ip netns exec "$DST" "$TRAFFIC" recv -i br0 -n "$N" -R 21 -t 60 \
        -w "$TMP/ready"
    recv=$BGPID
    wait_until 10 test -e ready || fail "$mode: the receiver did not start"
    ip netns exec "$SRC" "$TRAFFIC" send -i s0 -d "$R0MAC" -n "$N" -r "$RATE" -R 21 -t 60
    wait "$recv"
    rc=$?
    cat recv-$mode.log
    check "$mode: DST received all $N frames, once each, in order" test $rc -eq 0
    check "$mode: routed (TTL 63)" grep -q "(ttl 63)" recv-$mode.log
    # drops by reason: 7 pings to an address with no route, 5 with TTL 1
    timeout 20 ip netns exec "$SRC" ping -c 7 -i 0.05 -W 1 198.19.200.1 >/dev/null 2>&1
    timeout 20 ip netns exec "$SRC" ping -c 5 -i 0.05 -W 1 -t 1 198.19.1.2 >/dev/null 2>&1
    kill -TERM "$CPID"
    wait "$CPID"
    check "$mode: conv-fwd exited 0 on SIGTERM" test $? -eq 0
    grep '^{' conv-$mode.log | tail -n 1 >sum-$mode.json
    cat sum-$mode.json
    fwd=$(jnum sum-$mode.json .fwd)
    sink=$(($(ifcount "$DST" d0 rx) - k0))
    check "$mode: its forwarded count covers the stream ($fwd >= $N)" test "${fwd:-0}" -ge "$N"
    check "$mode: DST's d0 saw what it forwarded there ($sink >= $N)" test "$sink" -ge "$N"
    check "$mode: busy cycles counted" test "$(jnum sum-$mode.json .busy_cycles)" -gt 0
    check "$mode: 7 dropped for no route" test "$(jnum sum-$mode.json .drop.no_route)" -eq 7
    check "$mode: 5 dropped for TTL 1" test "$(jnum sum-$mode.json .drop.ttl)" -eq 5
    # besides: multicast that DST's bridge may send (IGMP), a martian destination
    check "$mode: no other drop" test $(($(jnum sum-$mode.json .drops) - \
        $(jnum sum-$mode.json .drop.martian_dst))) -eq 12
    PIDS=()
done
# A config error names the line and the fix.
printf 'route add 198.19.9.0/24 via 198.19.5.5\n' >bad.conf
out=$(ip netns exec "$RTR" "$CONV" --mode mmsg -i r0 -i r1 -c bad.conf --seconds 1 2>&1)
check "a gateway on no port's subnet is refused with the line and the fix" \
    grep -q 'bad.conf:1: .*give "dev pN"' <<<"$out"
finish
