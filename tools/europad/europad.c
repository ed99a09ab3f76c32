/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europad - the user-space switch daemon: owns the ports, serves many VRs.
 *
 * One thread does everything, in this order of priority: the switch rounds
 * (lib/switch.c: ports <-> VR regions), then, between rounds, the control
 * socket (VRs attaching, europactl asking for counters) and signals. The
 * fast path never waits for the control path: control events are looked at
 * every 64 rounds, or when the switch is idle and sleeps in epoll (the
 * control fds are in its wake set).
 *
 * Each VR's region is a sealed memfd made here at start. A VR attaches over
 * the control socket (lib/ctl_proto.h): europad checks its uid and groups
 * (SO_PEERCRED, SO_PEERGROUPS) against the VR's users and groups (root and
 * the uid europad runs as are always admitted), then
 * sends that VR's memfd and wake eventfds, and nothing else (SCM_RIGHTS).
 * The connection stays open while the VR is attached; its hangup (exit,
 * crash, kill -9) makes europad take back every slot of the VR
 * (eu_switch_vr_reclaim()), so the VR can attach again.
 *
 * Nothing a VR writes is trusted: lib/switch.c and the eu_sw_* calls check
 * every index, state, length and port, and count what they refuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <europa/ipv4.h>

#include "ctl_proto.h"
#include "europad.h"

#define ED_MAX_CLIENTS 256
#define ED_TAG_LISTEN 0ULL
#define ED_TAG_SIGNAL 1ULL
#define ED_TAG_CLIENT 2ULL

struct client {
	int fd;  /* -1: free */
	int vr;  /* index into cfg.vrs of the VR attached through it, else -1 */
	struct ucred cred;
};

static struct {
	struct ed_config cfg;
	struct eu_switch *sw;
	int listen_fd;
	int signal_fd;
	int ctl_ep;
	int quit;
	int ports_held; /* some port waits for every VR to attach */
	double start;
	struct client cl[ED_MAX_CLIENTS];
} E = { .listen_fd = -1, .signal_fd = -1, .ctl_ep = -1 };

int ed_verbosity = ED_INFO;

void ed_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "", "", "error: ", "warning: ", "", "", "" };
	va_list ap;

	if (level > ed_verbosity)
		return;
	/* under systemd (JOURNAL_STREAM set) a "<N>" prefix gives the journal the priority */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>", level);
	fprintf(stderr, "europad: %s", names[level & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------- credentials */

static int peer_groups(int fd, gid_t *g, int max)
{
	socklen_t len = (socklen_t)(sizeof(*g) * (size_t)max);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) < 0)
		return 0; /* old kernel: only the primary gid */
	return (int)(len / sizeof(*g));
}

/* May the peer on fd (credentials c) pass acl? root and, if self_ok, our own uid may. */
static int acl_allows(const struct ed_acl *a, int fd, const struct ucred *c, int self_ok)
{
	gid_t g[256];
	unsigned i;
	int j, n;

	if (c->uid == 0 || (self_ok && c->uid == geteuid()))
		return 1;
	for (i = 0; i < a->nuids; i++)
		if (a->uids[i] == c->uid)
			return 1;
	n = peer_groups(fd, g, 256);
	for (i = 0; i < a->ngids; i++) {
		if (a->gids[i] == c->gid)
			return 1;
		for (j = 0; j < n; j++)
			if (a->gids[i] == g[j])
				return 1;
	}
	return 0;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	snprintf(buf, len, "%s", pw ? pw->pw_name : "no name");
	return buf;
}

/* ------------------------------------------------------------------ clients */

static void client_close(int ci);

/* The VR v lost its connection: take back its slots so it can attach again. */
static void vr_detach(struct ed_vr *v, const char *why)
{
	int n;

	if (v->conn < 0)
		return;
	E.cl[v->conn].vr = -1;
	v->conn = -1;
	n = eu_switch_vr_reclaim(E.sw, (unsigned)v->index);
	if (n < 0)
		ed_log(ED_ERR, "VR %s: reclaim failed: %s", v->name, eu_last_error());
	else
		ed_log(ED_NOTICE, "VR %s: pid %d went away (%s); reclaimed %d slots; it may attach "
				  "again", v->name, (int)v->pid, why, n);
	v->pid = 0;
}

static void client_close(int ci)
{
	struct client *c = &E.cl[ci];

	if (c->fd < 0)
		return;
	if (c->vr >= 0)
		vr_detach(&E.cfg.vrs[c->vr], "its connection closed");
	epoll_ctl(E.ctl_ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->vr = -1;
}

/* Release ports that wait for the VRs, once every VR has attached. */
static void ports_release(void)
{
	unsigned i;

	if (!E.ports_held)
		return;
	for (i = 0; i < E.cfg.nvrs; i++)
		if (!E.cfg.vrs[i].ever)
			return;
	for (i = 0; i < E.cfg.nports; i++)
		if (E.cfg.ports[i].wait_for_vrs) {
			eu_switch_port_rx(E.sw, i, 1);
			ed_log(ED_INFO, "port %s: every VR has attached, receiving",
			       E.cfg.ports[i].name);
		}
	E.ports_held = 0;
}

static void attach_refuse(int fd, struct eu_ctl_attach_rep *rep, int err, const char *msg)
{
	rep->err = err;
	snprintf(rep->msg, sizeof(rep->msg), "%s", msg);
	if (send(fd, rep, offsetof(struct eu_ctl_attach_rep, ports), MSG_NOSIGNAL | MSG_DONTWAIT) <
	    0)
		ed_log(ED_DEBUG, "could not send a refusal: %s", strerror(errno));
}

static void do_attach(int ci, const struct eu_ctl_req *q)
{
	struct client *c = &E.cl[ci];
	struct eu_ctl_attach_rep *rep = calloc(1, sizeof(*rep));
	union {
		char buf[CMSG_SPACE(sizeof(int) * EU_CTL_ATTACH_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr m;
	struct cmsghdr *cm;
	struct ed_vr *v = NULL;
	char msg[EU_CTL_MSG_MAX], who[64], acl[256];
	int fds[EU_CTL_ATTACH_FDS];
	unsigned i;

	if (!rep) {
		client_close(ci);
		return;
	}
	rep->magic = EU_CTL_MAGIC;
	rep->version = EU_CTL_VERSION;
	rep->op = EU_CTL_ATTACH;
	for (i = 0; i < E.cfg.nvrs; i++)
		if (strcmp(E.cfg.vrs[i].name, q->name) == 0)
			v = &E.cfg.vrs[i];
	if (!v) {
		size_t n = (size_t)snprintf(msg, sizeof(msg), "no VR named \"%s\" here; this "
							       "europad serves:", q->name);

		for (i = 0; i < E.cfg.nvrs && n < sizeof(msg); i++)
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, " %s", E.cfg.vrs[i].name);
		attach_refuse(c->fd, rep, ENOENT, msg);
		ed_log(ED_NOTICE, "pid %d uid %u asked for VR \"%s\", which does not exist",
		       (int)c->cred.pid, (unsigned)c->cred.uid, q->name);
		goto out;
	}
	if (!acl_allows(&v->acl, c->fd, &c->cred, 1)) {
		ed_acl_describe(&v->acl, acl, sizeof(acl));
		ed_fmt(msg, sizeof(msg),
			 "uid %u (%s) gid %u may not attach VR %s, which admits %s; add the user "
			 "to the users or groups of VR %s in %s, or run the VR as one of those",
			 (unsigned)c->cred.uid, user_name(c->cred.uid, who, sizeof(who)),
			 (unsigned)c->cred.gid, v->name, acl, v->name, E.cfg.path);
		attach_refuse(c->fd, rep, EACCES, msg);
		v->refusals++;
		ed_log(ED_WARNING, "refused pid %d: %s", (int)c->cred.pid, msg);
		goto out;
	}
	if (v->conn >= 0) {
		/* is the old connection dead already (its hangup not handled yet)? */
		struct pollfd p = { .fd = E.cl[v->conn].fd, .events = POLLIN | POLLRDHUP };

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			client_close(v->conn);
	}
	if (v->conn >= 0) {
		ed_fmt(msg, sizeof(msg), "VR %s is attached already, by pid %d (uid %u); stop "
					   "that process first (europactl shows who is attached)",
			 v->name, (int)v->pid, (unsigned)v->uid);
		attach_refuse(c->fd, rep, EBUSY, msg);
		ed_log(ED_NOTICE, "refused pid %d: %s", (int)c->cred.pid, msg);
		goto out;
	}
	if (c->vr >= 0) {
		attach_refuse(c->fd, rep, EISCONN, "this connection has attached a VR already; "
						   "open one connection per VR");
		goto out;
	}
	fds[0] = eu_region_fd(v->region);
	fds[1] = eu_region_wake_fd(v->region, EU_RING_RX);
	fds[2] = eu_region_wake_fd(v->region, EU_RING_TX);
	rep->vr = (__u32)v->index;
	rep->nports = E.cfg.nports;
	for (i = 0; i < E.cfg.nports; i++) {
		snprintf(rep->ports[i].name, sizeof(rep->ports[i].name), "%s", E.cfg.ports[i].name);
		eu_port_mac(E.cfg.ports[i].port, rep->ports[i].mac);
	}
	iov.iov_base = rep;
	iov.iov_len = offsetof(struct eu_ctl_attach_rep, ports) +
		      E.cfg.nports * sizeof(struct eu_ctl_port);
	memset(&m, 0, sizeof(m));
	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		ed_log(ED_WARNING, "VR %s: could not hand the region to pid %d: %s", v->name,
		       (int)c->cred.pid, strerror(errno));
		client_close(ci);
		goto out;
	}
	c->vr = (int)(v - E.cfg.vrs);
	v->conn = ci;
	v->pid = c->cred.pid;
	v->uid = c->cred.uid;
	v->since = now_s();
	v->attaches++;
	v->ever = 1;
	eu_switch_vr_up(E.sw, (unsigned)v->index, 1);
	ed_log(ED_NOTICE, "VR %s: attached by pid %d, uid %u (%s)", v->name, (int)c->cred.pid,
	       (unsigned)c->cred.uid, user_name(c->cred.uid, who, sizeof(who)));
	ports_release();
out:
	free(rep);
}

/* ------------------------------------------------------------------- show */

static void jset_u64(json_object *o, const char *k, unsigned long long v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

static json_object *show_json(void)
{
	json_object *root = json_object_new_object(), *jd = json_object_new_object();
	json_object *jp = json_object_new_array(), *jv = json_object_new_array();
	unsigned i, j;

	json_object_object_add(jd, "version", json_object_new_string(eu_version()));
	json_object_object_add(jd, "pid", json_object_new_int((int)getpid()));
	json_object_object_add(jd, "uptime_s", json_object_new_double(now_s() - E.start));
	json_object_object_add(jd, "config", json_object_new_string(E.cfg.path));
	json_object_object_add(jd, "socket", json_object_new_string(E.cfg.socket));
	json_object_object_add(root, "europad", jd);

	for (i = 0; i < E.cfg.nports; i++) {
		struct ed_port *p = &E.cfg.ports[i];
		struct eu_switch_port_stats s;
		struct eu_port_stats d;
		json_object *o = json_object_new_object(), *js = json_object_new_object();
		json_object *jdr = json_object_new_object();
		unsigned char mac[6];
		char ms[EU_ETHER_ADDR_STRLEN];

		eu_switch_port_stats_read(E.sw, i, &s);
		eu_port_stats_read(p->port, &d);
		eu_port_mac(p->port, mac);
		eu_ether_format_mac(mac, ms);
		json_object_object_add(o, "index", json_object_new_int((int)i));
		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "port", json_object_new_string(p->spec));
		json_object_object_add(o, "mode", json_object_new_string(eu_port_mode(p->port)));
		json_object_object_add(o, "mac", json_object_new_string(ms));
		json_object_object_add(o, "receiving",
				       json_object_new_boolean(!p->wait_for_vrs || !E.ports_held));
		jset_u64(js, "rx_frames", s.rx_frames);
		jset_u64(js, "rx_bytes", s.rx_bytes);
		jset_u64(js, "tx_frames", s.tx_frames);
		jset_u64(js, "tx_bytes", s.tx_bytes);
		jset_u64(js, "rx_no_vr", s.rx_no_vr);
		jset_u64(js, "rx_runt", s.rx_runt);
		jset_u64(js, "tx_stalled", s.tx_stalled);
		jset_u64(js, "tx_flush_errors", s.tx_flush_errors);
		json_object_object_add(o, "switch", js);
		jset_u64(jdr, "rx_frames", d.rx_frames);
		jset_u64(jdr, "rx_bytes", d.rx_bytes);
		jset_u64(jdr, "tx_frames", d.tx_frames);
		jset_u64(jdr, "tx_bytes", d.tx_bytes);
		jset_u64(jdr, "rx_dropped", d.rx_dropped);
		jset_u64(jdr, "tx_dropped", d.tx_dropped);
		jset_u64(jdr, "rx_errors", d.rx_errors);
		jset_u64(jdr, "tx_errors", d.tx_errors);
		json_object_object_add(o, "driver", jdr);
		json_object_array_add(jp, o);
	}
	json_object_object_add(root, "ports", jp);

	for (i = 0; i < E.cfg.nvrs; i++) {
		struct ed_vr *v = &E.cfg.vrs[i];
		const struct eu_region_hdr *h = eu_region_header(v->region);
		struct eu_switch_vr_stats s;
		struct eu_audit a;
		json_object *o = json_object_new_object(), *js = json_object_new_object();
		json_object *ja = json_object_new_object(), *jr = json_object_new_array();
		json_object *jpool = json_object_new_object();
		char acl[256];

		eu_switch_vr_stats_read(E.sw, (unsigned)v->index, &s);
		eu_region_audit(v->region, &a);
		json_object_object_add(o, "index", json_object_new_int(v->index));
		json_object_object_add(o, "name", json_object_new_string(v->name));
		json_object_object_add(o, "state",
				       json_object_new_string(v->conn >= 0 ? "attached" : "detached"));
		json_object_object_add(o, "pid", json_object_new_int(v->conn >= 0 ? (int)v->pid : 0));
		json_object_object_add(o, "uid",
				       json_object_new_int(v->conn >= 0 ? (int)v->uid : -1));
		json_object_object_add(o, "attached_s",
				       json_object_new_double(v->conn >= 0 ? now_s() - v->since : 0));
		jset_u64(o, "attaches", v->attaches);
		jset_u64(o, "refusals", v->refusals);
		ed_acl_describe(&v->acl, acl, sizeof(acl));
		json_object_object_add(o, "admits", json_object_new_string(acl));
		json_object_object_add(o, "default", json_object_new_boolean(v->is_default));
		for (j = 0; j < v->nrules; j++)
			json_object_array_add(jr, json_object_new_string(v->rules[j].text));
		json_object_object_add(o, "rules", jr);
		jset_u64(jpool, "slots", h->nslots);
		jset_u64(jpool, "slot_size", h->slot_size);
		jset_u64(jpool, "headroom", h->headroom);
		jset_u64(jpool, "ring_size", h->rings[EU_RING_RX].size);
		jset_u64(jpool, "bytes", h->region_size);
		json_object_object_add(o, "pool", jpool);
		jset_u64(js, "rx_frames", s.rx_frames);
		jset_u64(js, "rx_bytes", s.rx_bytes);
		jset_u64(js, "tx_frames", s.tx_frames);
		jset_u64(js, "tx_bytes", s.tx_bytes);
		jset_u64(js, "drop_down", s.drop_down);
		jset_u64(js, "drop_ring_full", s.drop_ring_full);
		jset_u64(js, "drop_no_slot", s.drop_no_slot);
		jset_u64(js, "drop_too_long", s.drop_too_long);
		jset_u64(js, "bad_desc", s.bad_desc);
		jset_u64(js, "bad_idx", s.bad_idx);
		jset_u64(js, "bad_owner", s.bad_owner);
		jset_u64(js, "bad_state", s.bad_state);
		jset_u64(js, "bad_len", s.bad_len);
		jset_u64(js, "bad_port", s.bad_port);
		jset_u64(js, "reclaims", s.reclaims);
		jset_u64(js, "reclaimed", s.reclaimed);
		jset_u64(js, "pending", s.pending);
		json_object_object_add(o, "counters", js);
		for (j = 1; j < EU_SLOT_STATE_COUNT; j++)
			jset_u64(ja, eu_slot_state_name(j), a.state[j]);
		jset_u64(ja, "INVALID", a.state[EU_SLOT_INVALID]);
		jset_u64(ja, "total", a.total);
		jset_u64(ja, "vr_owned", a.owned[EU_SIDE_VR]);
		jset_u64(ja, "switch_owned", a.owned[EU_SIDE_SWITCH]);
		jset_u64(ja, "in_flight", a.in_flight);
		jset_u64(ja, "free", a.state[EU_SLOT_VR_FREE] + a.state[EU_SLOT_SW_FREE]);
		json_object_object_add(ja, "consistent", json_object_new_boolean(a.consistent));
		json_object_object_add(o, "audit", ja);
		json_object_array_add(jv, o);
	}
	json_object_object_add(root, "vrs", jv);
	return root;
}

static void do_show(int ci)
{
	struct client *c = &E.cl[ci];
	json_object *j;
	const char *txt;
	char who[64], acl[256], err[512];

	if (!acl_allows(&E.cfg.show, c->fd, &c->cred, 1)) {
		ed_acl_describe(&E.cfg.show, acl, sizeof(acl));
		ed_fmt(err, sizeof(err), "uid %u (%s) may not read europad's state, which admits "
					   "%s; add the user to control.users or control.groups in %s",
			 (unsigned)c->cred.uid, user_name(c->cred.uid, who, sizeof(who)), acl,
			 E.cfg.path);
		j = json_object_new_object();
		json_object_object_add(j, "error", json_object_new_string(err));
	} else {
		j = show_json();
	}
	txt = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	if (send(c->fd, txt, strlen(txt) + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		ed_log(ED_DEBUG, "show: send to pid %d failed: %s", (int)c->cred.pid,
		       strerror(errno));
	json_object_put(j);
}

static void client_read(int ci)
{
	struct client *c = &E.cl[ci];
	struct eu_ctl_req q;
	ssize_t n = recv(c->fd, &q, sizeof(q), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(ci);
		return;
	}
	if (c->vr >= 0) {
		/* an attached VR has nothing more to say: ignore what it sends */
		return;
	}
	if ((size_t)n != sizeof(q) || q.magic != EU_CTL_MAGIC || q.version != EU_CTL_VERSION) {
		ed_log(ED_NOTICE, "pid %d sent a malformed request (%zd bytes); closing",
		       (int)c->cred.pid, n);
		client_close(ci);
		return;
	}
	q.name[sizeof(q.name) - 1] = 0;
	if (q.op == EU_CTL_ATTACH)
		do_attach(ci, &q);
	else if (q.op == EU_CTL_SHOW)
		do_show(ci);
	else
		client_close(ci);
}

static void client_accept(void)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		socklen_t len = sizeof(struct ucred);
		int fd = accept4(E.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), ci;

		if (fd < 0)
			return;
		for (ci = 0; ci < ED_MAX_CLIENTS && E.cl[ci].fd >= 0; ci++)
			;
		if (ci == ED_MAX_CLIENTS) {
			ed_log(ED_WARNING, "more than %d connections; refusing one", ED_MAX_CLIENTS);
			close(fd);
			continue;
		}
		E.cl[ci].fd = fd;
		E.cl[ci].vr = -1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &E.cl[ci].cred, &len) < 0) {
			close(fd);
			E.cl[ci].fd = -1;
			continue;
		}
		ev.data.u64 = ED_TAG_CLIENT + (unsigned)ci;
		if (epoll_ctl(E.ctl_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			E.cl[ci].fd = -1;
		}
	}
}

static void on_signal(void)
{
	struct signalfd_siginfo si;

	while (read(E.signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			ed_log(ED_NOTICE, "SIGHUP: europad does not reload its configuration; "
					  "restart it to apply changes");
			continue;
		}
		ed_log(ED_NOTICE, "%s: shutting down", strsignal((int)si.ssi_signo));
		E.quit = 1;
	}
}

static void control_events(void)
{
	struct epoll_event ev[32];
	int n, i;

	n = epoll_wait(E.ctl_ep, ev, 32, 0);
	for (i = 0; i < n; i++) {
		__u64 t = ev[i].data.u64;

		if (t == ED_TAG_LISTEN) {
			client_accept();
		} else if (t == ED_TAG_SIGNAL) {
			on_signal();
		} else {
			int ci = (int)(t - ED_TAG_CLIENT);

			if (E.cl[ci].fd < 0)
				continue;
			if (ev[i].events & EPOLLIN)
				client_read(ci);
			if (E.cl[ci].fd >= 0 && (ev[i].events & (EPOLLHUP | EPOLLRDHUP | EPOLLERR)))
				client_close(ci);
		}
	}
}

/* ------------------------------------------------------------------- set up */

static int listen_on(const char *path, unsigned mode)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, probe;

	if (strlen(path) >= sizeof(a.sun_path)) {
		ed_log(ED_ERR, "control socket path %s is longer than %zu bytes; choose a shorter "
			       "control.socket", path, sizeof(a.sun_path) - 1);
		return -1;
	}
	strcpy(a.sun_path, path);
	/* another europad on that path? */
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(probe);
		ed_log(ED_ERR, "another europad already listens on %s; stop it, or give this one "
			       "another control.socket (or -s PATH)", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path); /* a stale socket of a europad that died */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		ed_log(ED_ERR, "cannot create the control socket %s: %s%s", path, strerror(errno),
		       errno == ENOENT ? " (create its directory first)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (chmod(path, mode) < 0 || listen(fd, 64) < 0) {
		ed_log(ED_ERR, "control socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static int setup(void)
{
	struct ed_config *c = &E.cfg;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t ss;
	unsigned i, j;
	int def = -1;

	E.sw = eu_switch_create(&c->sw);
	if (!E.sw) {
		ed_log(ED_ERR, "%s", eu_last_error());
		return -1;
	}
	for (i = 0; i < c->nports; i++) {
		struct ed_port *p = &c->ports[i];

		p->port = eu_port_open(p->spec, &p->opts);
		if (!p->port) {
			ed_log(ED_ERR, "port %s (%s, %s:%d): %s", p->name, p->spec, c->path, p->line,
			       eu_last_error());
			return -1;
		}
		if (eu_switch_add_port(E.sw, p->port) < 0) {
			ed_log(ED_ERR, "port %s: %s", p->name, eu_last_error());
			return -1;
		}
		if (p->wait_for_vrs) {
			eu_switch_port_rx(E.sw, i, 0);
			E.ports_held = 1;
		}
		ed_log(ED_INFO, "port %u %s: %s (%s)", i, p->name, p->spec, eu_port_mode(p->port));
	}
	for (i = 0; i < c->nvrs; i++) {
		struct ed_vr *v = &c->vrs[i];
		char where[ED_NAME_MAX + 16];
		int idx;

		snprintf(where, sizeof(where), "memfd:europa-%s", v->name);
		v->region = eu_region_create(where, &v->ropts);
		if (!v->region) {
			ed_log(ED_ERR, "VR %s (%s:%d): %s", v->name, c->path, v->line, eu_last_error());
			return -1;
		}
		idx = eu_switch_add_vr(E.sw, v->region, v->name);
		if (idx < 0) {
			ed_log(ED_ERR, "VR %s: %s", v->name, eu_last_error());
			return -1;
		}
		v->index = idx;
		if (v->is_default)
			def = idx;
		ed_log(ED_INFO, "VR %u %s: %u slots of %u bytes (%llu bytes), %u rules%s", i,
		       v->name, eu_region_header(v->region)->nslots,
		       eu_region_header(v->region)->slot_size,
		       (unsigned long long)eu_region_size(v->region), v->nrules,
		       v->is_default ? ", default" : "");
	}
	/* rules in the order of the file: VR by VR, each VR's rules in order */
	for (i = 0; i < c->nvrs; i++)
		for (j = 0; j < c->vrs[i].nrules; j++) {
			c->vrs[i].rules[j].r.vr = (__u32)c->vrs[i].index;
			if (eu_switch_add_rule(E.sw, &c->vrs[i].rules[j].r) < 0) {
				ed_log(ED_ERR, "%s:%d: %s", c->path, c->vrs[i].rules[j].line,
				       eu_last_error());
				return -1;
			}
		}
	eu_switch_set_default(E.sw, def);

	E.ctl_ep = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	E.signal_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	E.listen_fd = listen_on(c->socket, c->mode);
	if (E.ctl_ep < 0 || E.signal_fd < 0 || E.listen_fd < 0)
		return -1;
	ev.data.u64 = ED_TAG_LISTEN;
	epoll_ctl(E.ctl_ep, EPOLL_CTL_ADD, E.listen_fd, &ev);
	ev.data.u64 = ED_TAG_SIGNAL;
	epoll_ctl(E.ctl_ep, EPOLL_CTL_ADD, E.signal_fd, &ev);
	/* the switch's idle sleep ends when a control event comes */
	if (eu_switch_watch_fd(E.sw, E.ctl_ep) < 0) {
		ed_log(ED_ERR, "%s", eu_last_error());
		return -1;
	}
	return 0;
}

static void teardown(void)
{
	unsigned i;

	for (i = 0; i < ED_MAX_CLIENTS; i++)
		if (E.cl[i].fd >= 0) {
			epoll_ctl(E.ctl_ep, EPOLL_CTL_DEL, E.cl[i].fd, NULL);
			close(E.cl[i].fd);
			E.cl[i].fd = -1;
		}
	eu_switch_destroy(E.sw);
	for (i = 0; i < E.cfg.nports; i++)
		eu_port_close(E.cfg.ports[i].port); /* pcap: flushes the output */
	for (i = 0; i < E.cfg.nvrs; i++)
		eu_region_destroy(E.cfg.vrs[i].region);
	if (E.listen_fd >= 0) {
		close(E.listen_fd);
		unlink(E.cfg.socket);
	}
	if (E.signal_fd >= 0)
		close(E.signal_fd);
	if (E.ctl_ep >= 0)
		close(E.ctl_ep);
	ed_config_free(&E.cfg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: europad [OPTIONS]\n"
		"The libeuropa switch daemon: owns the ports of its configuration and serves its\n"
		"VRs, each in a region of its own. Runs in the foreground, logs to stderr, stops\n"
		"on SIGTERM or SIGINT.\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -s, --socket PATH   control socket, instead of the configuration's\n"
		"  -t, --check         check the configuration and exit (opens nothing)\n"
		"  -v, --verbose       more messages (twice: debug)\n"
		"  -q, --quiet         only warnings and errors\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this text\n"
		"\n"
		"VRs attach with eu_vr_open(\"europad:SOCKET#NAME\"); europactl shows the state.\n"
		"See europad(8) and docs/europad.md.\n",
		ED_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = ED_DEFAULT_CONFIG, *sock = NULL;
	unsigned long iter = 0;
	int check = 0, o, i;

	while ((o = getopt_long(argc, argv, "c:s:tvqVh", lo, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			ed_verbosity++;
			break;
		case 'q':
			ed_verbosity = ED_WARNING;
			break;
		case 'V':
			printf("europad %s\n", eu_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "europad: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (ed_config_load(config, &E.cfg) < 0)
		return 1;
	if (sock) {
		free(E.cfg.socket);
		E.cfg.socket = strdup(sock);
	}
	if (check) {
		printf("europad: %s: OK: %u ports, %u VRs, control socket %s\n", config,
		       E.cfg.nports, E.cfg.nvrs, E.cfg.socket);
		ed_config_free(&E.cfg);
		return 0;
	}
	for (i = 0; i < ED_MAX_CLIENTS; i++)
		E.cl[i].fd = -1;
	E.start = now_s();
	if (setup() < 0) {
		teardown();
		return 1;
	}
	ed_log(ED_NOTICE, "ready: %u ports, %u VRs, control socket %s (pid %d)", E.cfg.nports,
	       E.cfg.nvrs, E.cfg.socket, (int)getpid());
	while (!E.quit) {
		unsigned n = eu_switch_poll(E.sw);

		if (!n)
			eu_switch_idle(E.sw, 1000);
		if ((++iter & 63) == 0)
			control_events();
	}
	teardown();
	ed_log(ED_NOTICE, "stopped");
	return 0;
}
