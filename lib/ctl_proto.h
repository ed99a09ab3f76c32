/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/ctl_proto.h - the messages on europad's control socket (private to
 * libeuropa's lib/open.c, tools/europad and tools/europactl; not installed).
 *
 * The socket is AF_UNIX, SOCK_SEQPACKET: one message per request or reply.
 *
 *   attach (a VR, from eu_vr_open("europad:...")):
 *     -> struct eu_ctl_req, op EU_CTL_ATTACH, name = the VR's name
 *     <- struct eu_ctl_attach_rep; if err == 0 it carries three fds
 *        (SCM_RIGHTS): the region's memfd, the rx ring's and the tx ring's
 *        wake-up eventfds. The connection then stays open for as long as
 *        the VR is attached: its hangup tells europad that the VR is gone.
 *
 *   show (europactl):
 *     -> struct eu_ctl_req, op EU_CTL_SHOW
 *     <- a JSON document as text (NUL-terminated), the state of every port
 *        and VR; {"error": "..."} if refused.
 *
 * europad checks the peer's credentials (SO_PEERCRED, SO_PEERGROUPS) before
 * answering either.
 */
#ifndef EUROPA_CTL_PROTO_H
#define EUROPA_CTL_PROTO_H

#include <linux/types.h>

#define EU_CTL_MAGIC 0x4c544345U /* "ECTL" */
#define EU_CTL_VERSION 1
#define EU_CTL_DEFAULT_SOCKET "/run/europa.sock"
#define EU_CTL_NAME_MAX 64
#define EU_CTL_MSG_MAX 512
#define EU_CTL_MAX_PORTS 64
#define EU_CTL_SHOW_MAX (4U << 20) /* largest show reply */

enum eu_ctl_op {
	EU_CTL_ATTACH = 1,
	EU_CTL_SHOW = 2,
};

struct eu_ctl_req {
	__u32 magic;   /* EU_CTL_MAGIC */
	__u16 version; /* EU_CTL_VERSION */
	__u16 op;      /* enum eu_ctl_op */
	char name[EU_CTL_NAME_MAX]; /* attach: the VR; NUL-terminated */
	__u32 pid;     /* informational: the caller's pid (SO_PEERCRED is authoritative) */
	__u32 flags;   /* 0 */
};

struct eu_ctl_port {
	char name[EU_CTL_NAME_MAX]; /* NUL-terminated */
	__u8 mac[6];
	__u16 pad;
};

struct eu_ctl_attach_rep {
	__u32 magic;
	__u16 version;
	__u16 op;      /* EU_CTL_ATTACH */
	__s32 err;     /* 0, or a positive errno: msg says why and what to do */
	__u32 vr;      /* the VR's index in europad */
	__u32 nports;  /* entries of ports[] used */
	__u32 pad;
	char msg[EU_CTL_MSG_MAX];
	struct eu_ctl_port ports[EU_CTL_MAX_PORTS];
};

#define EU_CTL_ATTACH_FDS 3 /* memfd, rx eventfd, tx eventfd */

#endif /* EUROPA_CTL_PROTO_H */
