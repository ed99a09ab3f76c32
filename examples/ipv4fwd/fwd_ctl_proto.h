/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * examples/ipv4fwd/fwd_ctl_proto.h - the protocol of europa-fwd's control socket
 * (served by ctl.c, spoken by tools/europactl; not installed).
 *
 * The socket is AF_UNIX, SOCK_STREAM (a `route show` of a full table is tens
 * of MiB, more than one SOCK_SEQPACKET message may carry). europad's socket
 * is SOCK_SEQPACKET, so a client that connects to the wrong daemon's socket
 * gets EPROTOTYPE at connect() and can say so.
 *
 * The protocol is text, so that `socat - UNIX-CONNECT:/run/europa-fwd.sock`
 * speaks it too. A connection carries any number of requests, in turn:
 *
 *   request:  FORMAT SP COMMAND LF
 *             FORMAT is "text", "json" or "prom"; COMMAND is one line of the
 *             command language of fwd_exec() (router.h, docs/fwd-control.md);
 *             the whole line is at most FWD_CTL_LINE_MAX bytes.
 *   reply:    "europa-fwd" SP STATUS SP LENGTH LF, then LENGTH bytes of output
 *             STATUS is 0 or a negative errno in decimal; when it is not 0,
 *             the output is the message that says why and what to do.
 *
 * The server closes a connection at EOF, after FWD_CTL_IDLE_MS without a
 * request, or after a malformed request (answered first with -EINVAL).
 *
 * Who may do what (SO_PEERCRED): a peer with the server's uid, or root, may
 * run every command; any other peer that can connect (the socket is mode
 * 0660: the server's group) may only read (show, stats, ports, help), and
 * a change is answered -EPERM.
 */
#ifndef EUROPA_FWD_CTL_PROTO_H
#define EUROPA_FWD_CTL_PROTO_H

#define FWD_CTL_DEFAULT_SOCKET "/run/europa-fwd.sock"
#define FWD_CTL_SOCKET_ENV     "EUROPA_FWD_SOCKET" /* europactl's default if set */
#define FWD_CTL_LINE_MAX       4096                /* request line, with its LF */
#define FWD_CTL_REPLY_TAG      "europa-fwd"
#define FWD_CTL_IDLE_MS        5000  /* a connection's wait for its next request */
#define FWD_CTL_SEND_MS        10000 /* a reply's wait for a slow reader, then dropped */

#endif /* EUROPA_FWD_CTL_PROTO_H */
