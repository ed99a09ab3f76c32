# bench/eval/qemu_names.awk - names of the paths in tests/qemu/run.sh's EUQ-RATE line, for
# the plots and the report of bench/evaluate. A key it does not know keeps its own name.
function name(k) {
	if (k == "europa") return "europa.ko + VR, tx in write"
	if (k == "europa_thread") return "europa.ko + VR, transmit thread"
	if (k == "europa_fwd") return "europa-fwd on europa.ko"
	if (k == "kernel") return "guest kernel IP forwarding"
	if (k == "sockfwd") return "recvfrom/sendto forwarder (AF_PACKET)"
	return k
}
