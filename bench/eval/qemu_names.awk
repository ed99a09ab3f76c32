# bench/eval/qemu_names.awk - names of the paths in tests/qemu/run.sh's EUQ-RATE line, for
# the plots and the report of bench/evaluate. A key it does not know keeps its own name.
function name(k) {
	if (k == "europa") return "europa.ko + VR, tx in write"
	if (k == "europa_thread") return "europa.ko + VR, transmit thread"
	if (k == "europa_rx") return "europa.ko + VR, tx in write + tx_in_rx"
	if (k == "europa_fwd") return "europa-fwd on europa.ko, tx in write"
	if (k == "europa_fwd_rx") return "europa-fwd on europa.ko, + tx_in_rx"
	if (k == "kernel") return "guest kernel IP forwarding"
	if (k == "sockfwd") return "recvfrom/sendto forwarder (AF_PACKET)"
	if (k == "kernel_gro") return "guest kernel IP forwarding, GRO on"
	if (k == "europa_gro") return "europa.ko + VR, GRO on"
	return k
}
