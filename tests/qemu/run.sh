#!/usr/bin/env bash
# tests/qemu/run.sh - end-to-end test of europa.ko in QEMU.
#
#   tests/qemu/run.sh [WORKDIR]
#
# Builds europa.ko against the installed Debian kernel headers that match an
# installed linux-image (not the host's running kernel), a static eu-qtest for
# the guest and eu-qpeer for the host, an initramfs with busybox-static, the
# e1000 driver and the module, and boots that kernel in qemu-system-x86_64
# (TCG; KVM only if a probe boot works) with two e1000 NICs whose other ends
# are eu-qpeer's endpoints (QEMU socket netdevs over 127.0.0.1). The guest
# (guest.sh) runs the tests; this script checks the result line and prints the
# forwarding rates and their ratios.
#
# Exit: 0 pass, 1 fail, 77 skip (missing packages; CTest SKIP_RETURN_CODE).
# Environment: EUQ_SECS (seconds per rate run, default 4; median of 3 rounds), EUQ_PPS (offered
# load, default 100000), EUQ_TIMEOUT (whole boot, default 480 s),
# EUQ_KVM=0 (never try KVM), EUQ_KEEP=1 (keep WORKDIR), EUQ_SMP (guest CPUs,
# default 2), EUQ_ONLY=rates (skip the functional tests), EUQ_SPIN_US (the
# module's spin_us parameter), EUQ_ROUNDS (rate rounds, default 3; the median is
# reported), EUQ_PIN=1 (e1000 interrupts on CPU 0, forwarders on CPU 1),
# EUQ_PLACED=1 (one more rate variant: the VR on CPU 1, its transmit thread on CPU 0),
# EUQ_NOSPIN=1 (one more: the VR sleeps as soon as its rx ring is empty),
# EUQ_TX_IN_RX=0|1 (the module's tx_in_rx for the functional tests; step 7 measures both),
# EUQ_EUROPACTL / EUQ_EUROPA_FWD (those programs from a CMake build, packed into
# the guest with their shared libraries; CTest sets them), EUQ_TCP=1 (step 7 also
# measures iperf3 TCP through each forwarder, between two network namespaces this
# script makes; needs root, iperf3 and ethtool, else it says so and skips only that),
# EUQ_TCP_ROUNDS (TCP rounds, default 1; the median is reported).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SECS=${EUQ_SECS:-4}
PPS=${EUQ_PPS:-100000}
BOOT_TIMEOUT=${EUQ_TIMEOUT:-480}

skip() {
    echo "SKIP: $*"
    exit 77
}
die() {
    echo "FAIL: $*" >&2
    exit 1
}
log() { echo "qemu-test: $*"; }

# ------------------------------------------------------------ prerequisites
[[ $(uname -m) == x86_64 ]] || skip "needs an x86_64 host"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
BUSYBOX=""
for b in /bin/busybox /usr/bin/busybox; do
    # busybox-static's binary: ldd refuses it ("not a dynamic executable")
    if [[ -z $BUSYBOX && -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; fi
done
[[ -n $BUSYBOX ]] || skip "no static busybox (apt-get install busybox-static)"
command -v gcc >/dev/null && command -v make >/dev/null || skip "gcc/make not installed"
command -v cpio >/dev/null || skip "cpio not installed (apt-get install cpio)"

# A kernel with its image, modules and headers all installed: the newest.
KVER=""
for d in $(ls -d /lib/modules/*/ 2>/dev/null | sort -V -r); do
    v=$(basename "$d")
    if [[ -r /boot/vmlinuz-$v && -d /lib/modules/$v/build && -d /lib/modules/$v/kernel/drivers/net/ethernet/intel/e1000 ]]; then
        KVER=$v
        break
    fi
done
[[ -n $KVER ]] || skip "no kernel with image + headers + e1000 module (apt-get install linux-image-amd64 linux-headers-amd64)"
VMLINUZ=/boot/vmlinuz-$KVER
E1000=$(ls /lib/modules/$KVER/kernel/drivers/net/ethernet/intel/e1000/e1000.ko* | head -n 1)

WORK=${1:-$(mktemp -d /tmp/euq.XXXXXX)}
mkdir -p "$WORK"
PEER_PID=""
QEMU_PID=""
NETNS=()
cleanup() {
    if [[ -n $PEER_PID ]]; then kill "$PEER_PID" 2>/dev/null || true; fi
    if [[ -n $QEMU_PID ]]; then kill "$QEMU_PID" 2>/dev/null || true; fi
    for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    if [[ ${EUQ_KEEP:-0} != 1 ]]; then rm -rf "$WORK/initramfs" "$WORK/src"; fi
}
trap cleanup EXIT
log "kernel $KVER, work dir $WORK"

# ------------------------------------------------------------ build
log "building europa.ko against /lib/modules/$KVER/build"
rm -rf "$WORK/src"
mkdir -p "$WORK/src/backends"
cp -r "$SRC/backends/kmod" "$WORK/src/backends/kmod"
cp -r "$SRC/include" "$WORK/src/include"
make -C "$WORK/src/backends/kmod" clean KDIR="/lib/modules/$KVER/build" >/dev/null 2>&1 || true
if ! timeout 300 make -C "$WORK/src/backends/kmod" KDIR="/lib/modules/$KVER/build" >"$WORK/kbuild.log" 2>&1; then
    cat "$WORK/kbuild.log"
    die "module build failed"
fi
if grep -E -i 'warning:' "$WORK/kbuild.log"; then die "module build has warnings"; fi

log "building eu-qtest (static) and eu-qpeer"
LIBSRC="error.c region.c ring.c vr.c wait.c kdev.c ipv4.c" # ipv4.c: eu_ether_parse_mac (kdev.c)
(cd "$SRC/lib" && timeout 300 gcc -static -O2 -Wall -Wextra -Werror -I"$SRC/include" -I"$SRC/lib" \
    -o "$WORK/eu-qtest" "$HERE/eu-qtest.c" $LIBSRC) || die "eu-qtest build failed"
timeout 120 gcc -O2 -Wall -Wextra -Werror -o "$WORK/eu-qpeer" "$HERE/eu-qpeer.c" || die "eu-qpeer build failed"

log "building the initramfs"
R=$WORK/initramfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,lib,proc,sys,dev,tmp,run,etc}
cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$BUSYBOX" --list); do
    [[ $a == busybox ]] || ln -sf busybox "$R/bin/$a"
done
case $E1000 in
*.xz) xz -dc "$E1000" >"$R/lib/e1000.ko" ;;
*.zst) zstd -qdc "$E1000" >"$R/lib/e1000.ko" ;;
*.gz) gzip -dc "$E1000" >"$R/lib/e1000.ko" ;;
*) cp "$E1000" "$R/lib/e1000.ko" ;;
esac
cp "$WORK/src/backends/kmod/europa.ko" "$R/lib/europa.ko"
cp "$WORK/eu-qtest" "$R/bin/eu-qtest"
# pack_prog BIN NAME: a dynamically linked program of the CMake build, with the shared
# libraries it needs (the guest sets LD_LIBRARY_PATH=/lib)
pack_prog() {
    local lib
    [[ -x $1 ]] || die "$1 is not an executable (EUQ_EUROPACTL, EUQ_EUROPA_FWD)"
    cp "$1" "$R/bin/$2"
    mkdir -p "$R/lib64"
    for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
        cp -L "$lib" "$R/lib/"
    done
    cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
    log "packed $2 ($1)"
}
if [[ -n ${EUQ_EUROPACTL:-} ]]; then pack_prog "$EUQ_EUROPACTL" europactl; fi
if [[ -n ${EUQ_EUROPA_FWD:-} ]]; then pack_prog "$EUQ_EUROPA_FWD" europa-fwd; fi
# TCP (EUQ_TCP=1): endpoints A and B as network namespaces, each with a TAP that
# eu-qpeer relays to its QEMU socket during a tcp job (qnet.h); the guest's ethtool
# turns GRO off on eth0/eth1, since europa.ko and the AF_PACKET forwarder take
# frames, not GRO's merged skbs
TCP=0
if [[ ${EUQ_TCP:-0} == 1 ]]; then
    if [[ $EUID != 0 ]]; then
        log "EUQ_TCP=1: not root, no TCP measurement"
    elif ! command -v iperf3 >/dev/null; then
        log "EUQ_TCP=1: no iperf3 (apt-get install iperf3), no TCP measurement"
    elif ! command -v ethtool >/dev/null; then
        log "EUQ_TCP=1: no ethtool (apt-get install ethtool), no TCP measurement"
    else
        TCP=1
        pack_prog "$(command -v ethtool)" ethtool
    fi
fi
cp "$HERE/guest.sh" "$R/init"
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$WORK/initrd.gz"

# ------------------------------------------------------------ peer + boot
BASE=$((20000 + ($$ % 10000) * 4))
A_LOCAL=$BASE A_QEMU=$((BASE + 1)) B_LOCAL=$((BASE + 2)) B_QEMU=$((BASE + 3))
# tcp_ns NAME MAC ADDR/24 OTHER_NET GATEWAY: a namespace with endpoint MAC/ADDR on a TAP
# (persistent: eu-qpeer attaches to it per job), routed to the other side via the guest
tcp_ns() {
    NETNS+=("$1")
    ip netns add "$1" &&
        ip -n "$1" link set lo up &&
        ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 &&
        ip -n "$1" tuntap add dev euq0 mode tap &&
        ip -n "$1" link set euq0 address "$2" mtu 1500 up &&
        ip -n "$1" addr add "$3" dev euq0 &&
        ip -n "$1" route add "$4" via "$5" dev euq0 onlink &&
        { ip netns exec "$1" ethtool -K euq0 tx off tso off gso off gro off >/dev/null 2>&1 || true; }
}
NS_ARGS=()
if [[ $TCP == 1 ]]; then
    if tcp_ns "euq-a-$$" 02:ee:00:00:0a:02 198.18.1.2/24 198.19.0.0/16 198.18.1.1 &&
        tcp_ns "euq-b-$$" 02:ee:00:00:0b:02 198.19.1.2/24 198.18.0.0/16 198.19.1.1; then
        NS_ARGS=("euq-a-$$" "euq-b-$$")
    else
        log "EUQ_TCP=1: cannot set up the namespaces, no TCP measurement"
        TCP=0
    fi
fi
"$WORK/eu-qpeer" $A_LOCAL $A_QEMU $B_LOCAL $B_QEMU $((BOOT_TIMEOUT + 60)) "${NS_ARGS[@]}" 2>"$WORK/peer.log" &
PEER_PID=$!

qemu_args=(-m 1024 -smp "${EUQ_SMP:-2}" -display none -monitor none -no-reboot
    -kernel "$VMLINUZ" -initrd "$WORK/initrd.gz"
    -append "console=ttyS0 loglevel=5 panic=-1 euq.secs=$SECS euq.pps=$PPS${EUQ_ONLY:+ euq.only=$EUQ_ONLY}${EUQ_SPIN_US:+ euq.spin=$EUQ_SPIN_US}${EUQ_PIN:+ euq.pin=$EUQ_PIN}${EUQ_ROUNDS:+ euq.rounds=$EUQ_ROUNDS}${EUQ_PLACED:+ euq.placed=$EUQ_PLACED}${EUQ_NOSPIN:+ euq.nospin=$EUQ_NOSPIN}${EUQ_TX_IN_RX:+ euq.txrx=$EUQ_TX_IN_RX} euq.tcp=$TCP${EUQ_TCP_ROUNDS:+ euq.tcprounds=$EUQ_TCP_ROUNDS}"
    -device e1000,netdev=n0,mac=52:54:00:ee:00:01,romfile=
    -netdev socket,id=n0,udp=127.0.0.1:$A_LOCAL,localaddr=127.0.0.1:$A_QEMU
    -device e1000,netdev=n1,mac=52:54:00:ee:00:02,romfile=
    -netdev socket,id=n1,udp=127.0.0.1:$B_LOCAL,localaddr=127.0.0.1:$B_QEMU)

ACCEL=tcg
if [[ ${EUQ_KVM:-probe} != 0 && -w /dev/kvm ]]; then
    # A probe boot: some hosts expose /dev/kvm but cannot run a guest on it.
    # Boot to the first kernel message within 20 s, or fall back to TCG.
    (timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none -monitor none \
        -no-reboot -kernel "$VMLINUZ" -append "console=ttyS0 panic=-1" \
        -serial file:"$WORK/kvm-probe.log" </dev/null >/dev/null 2>&1) 2>/dev/null || true
    if grep -q 'Linux version' "$WORK/kvm-probe.log" 2>/dev/null; then ACCEL=kvm; fi
fi
log "booting with -accel $ACCEL (timeout ${BOOT_TIMEOUT}s)"
CONSOLE=$WORK/console.log
if [[ $ACCEL == kvm ]]; then qemu_args+=(-accel kvm -cpu host); else qemu_args+=(-accel tcg); fi
timeout "$BOOT_TIMEOUT" qemu-system-x86_64 "${qemu_args[@]}" -serial file:"$CONSOLE" </dev/null &
QEMU_PID=$!
set +e
wait $QEMU_PID
QRC=$?
set -e
QEMU_PID=""
kill "$PEER_PID" 2>/dev/null || true
PEER_PID=""

grep -a -E '^EUQ' "$CONSOLE" | sed 's/\r$//' || true
if [[ $QRC == 124 ]]; then
    tail -n 40 "$CONSOLE"
    die "the guest did not finish within ${BOOT_TIMEOUT}s"
fi
if grep -a -E 'Kernel panic|BUG:|Oops|WARNING:' "$CONSOLE" >/dev/null; then
    grep -a -E -B2 -A20 'Kernel panic|BUG:|Oops|WARNING:' "$CONSOLE" | head -n 60
    die "kernel splat on the console"
fi
RATE=$(grep -a '^EUQ-RATE' "$CONSOLE" | tr -d '\r' | tail -n 1)
CPU=$(grep -a '^EUQ-CPU ' "$CONSOLE" | tr -d '\r' | tail -n 1)
CRAT=$(grep -a '^EUQ-CPURATIO' "$CONSOLE" | tr -d '\r' | tail -n 1)
# val LINE KEY: KEY's value in an EUQ line
val() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<" $1"; }
# the paths of the EUQ-RATE and EUQ-TCP lines
declare -A label=(
    [europa_fwd]="europa-fwd --vr kdev: on europa.ko, tx-in-write"
    [europa_fwd_rx]="europa-fwd --vr kdev: on europa.ko, + tx_in_rx"
    [europa]="europa.ko + VR (eu-qtest fwd), tx-in-write"
    [europa_rx]="europa.ko + VR (eu-qtest fwd), + tx_in_rx"
    [europa_thread]="europa.ko + VR (eu-qtest fwd), transmit thread"
    [kernel]="guest kernel IP forwarding"
    [sockfwd]="recvfrom/sendto forwarder (AF_PACKET)"
    [kernel_gro]="guest kernel IP forwarding, GRO on (its default)"
    [europa_gro]="europa.ko + VR, GRO on (merged skbs cut back)")
if [[ -n $RATE ]]; then
    k=$(val "$RATE" kernel) s=$(val "$RATE" sockfwd) rounds=$(val "$RATE" rounds)
    echo
    echo "forwarding rate and guest CPU time per forwarded frame, 64-byte UDP frames through the guest"
    echo "(-accel $ACCEL, offered ${PPS}/s, ${SECS}s each, medians of ${rounds:-?} rounds; CPU: every guest CPU, idle excluded):"
    printf '  %-52s %10s %12s\n' "" "frames/s" "ns/frame"
    names=(europa_fwd europa_fwd_rx europa europa_rx europa_thread kernel sockfwd)
    for n in "${names[@]}"; do
        v=$(val "$RATE" "$n")
        [[ -n $v ]] || continue
        c=$(val "$CPU" "$n")
        printf '  %-52s %10s %12s\n' "${label[$n]}" "$v" "${c:-n/a}"
    done
    echo "ratios (rate: higher is better; CPU per frame: lower is better; the CPU ratios are medians"
    echo "of each round's own ratio):"
    for n in "${names[@]}"; do
        [[ $n == kernel || $n == sockfwd ]] && continue
        e=$(val "$RATE" "$n")
        [[ -n $e ]] || continue
        awk -v name="$n" -v e="$e" -v k="$k" -v s="$s" -v qk="$(val "$CRAT" "${n}_kernel")" \
            -v qs="$(val "$CRAT" "${n}_sockfwd")" 'BEGIN {
            printf "  %-14s rate / kernel = %s, / recvfrom+sendto = %s; CPU/frame / kernel = %s, / recvfrom+sendto = %s\n",
                name, (k > 0 ? sprintf("%.2f", e / k) : "n/a"), (s > 0 ? sprintf("%.2f", e / s) : "n/a"),
                (qk != "" ? qk : "n/a"), (qs != "" ? qs : "n/a") }'
    done
    echo "  (ratios only: emulation makes absolute numbers meaningless; never asserted)"
fi
TCPL=$(grep -a '^EUQ-TCP' "$CONSOLE" | tr -d '\r' | tail -n 1 || true) # none without euq.tcp=1
if [[ -n $TCPL ]]; then
    k=$(val "$TCPL" kernel) s=$(val "$TCPL" sockfwd)
    echo
    echo "TCP (iperf3, one stream A -> B, $(val "$TCPL" secs)s each, receiver's rate, median of $(val "$TCPL" rounds)"
    echo "round(s); GRO off on the guest's NICs but for kernel_gro and europa_gro):"
    for n in europa_fwd europa kernel sockfwd kernel_gro europa_gro; do
        v=$(val "$TCPL" "$n")
        [[ -n $v ]] || continue
        awk -v l="${label[$n]}" -v v="$v" -v k="$k" -v s="$s" 'BEGIN {
            printf "  %-52s %8s Mbit/s   / kernel = %s, / recvfrom+sendto = %s\n", l, v,
                (k > 0 ? sprintf("%.2f", v / k) : "n/a"), (s > 0 ? sprintf("%.2f", v / s) : "n/a") }'
    done
    echo "  (ratios only; never asserted)"
fi
if grep -a -q '^EUQ-RESULT PASS' "$CONSOLE"; then
    echo "qemu-test: PASS"
    exit 0
fi
grep -a -q '^EUQ-RESULT' "$CONSOLE" || tail -n 40 "$CONSOLE"
die "guest tests failed (console log: $CONSOLE)"
