/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * backends/pcap/pcap.c - "pcap:IN,OUT": frames received are read from the
 * capture file IN (pcap or pcapng, Ethernet link type), frames sent are
 * written to the pcap file OUT (created or truncated at open, link type
 * Ethernet, snaplen 65535). Either may be empty: "pcap:,out.pcap" has no
 * input, "pcap:in.pcap" (or "pcap:in.pcap,") no output.
 *
 * For deterministic tests:
 *   - without EU_PORT_O_LOOP, eu_port_rx_burst() returning 0 means the input
 *     is exhausted (or absent); with it the input is reopened at its end, so
 *     it repeats for ever (unless it holds no usable frame at all).
 *   - a record that was cut short when captured (caplen < len) or is longer
 *     than frame_size is counted in rx_errors and skipped; a file truncated in
 *     the middle of a record counts one rx_error and ends (or loops) there.
 *   - OUT's timestamps are not the clock: the k-th frame written (from 0)
 *     is stamped k microseconds after the epoch, so that the same frames
 *     always give the same file, byte for byte.
 *   - frames sent to a port without output are taken and counted in
 *     tx_dropped.
 * Received frames are copied into the port's own buffers (ring_size of them,
 * default 256), as libpcap reuses its buffer at each record.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../port_internal.h"

#define PCAP_RING_DEFAULT 256U
#define PCAP_OUT_SNAPLEN 65535

struct eu_pcapp {
	pcap_t *in;
	char *in_path;
	int loop;
	__u64 pass_frames; /* good frames read since the input was (re)opened */

	pcap_t *dead;
	pcap_dumper_t *out;
	__u64 out_frames;
	unsigned char *tag_buf; /* a frame with a tag inserted */

	unsigned frame_size;
	unsigned nbufs;
	unsigned char *bufs;
};

static void pcapp_free(struct eu_pcapp *c)
{
	if (c->out) {
		pcap_dump_flush(c->out);
		pcap_dump_close(c->out);
	}
	if (c->dead)
		pcap_close(c->dead);
	if (c->in)
		pcap_close(c->in);
	free(c->in_path);
	free(c->tag_buf);
	free(c->bufs);
	free(c);
}

static int pcapp_open_in(struct eu_port *p, struct eu_pcapp *c)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	int dlt;

	errbuf[0] = '\0';
	c->in = pcap_open_offline(c->in_path, errbuf);
	if (!c->in) {
		if (access(c->in_path, R_OK) < 0)
			return eu_err(errno, "port %s: cannot read input '%s': %s: check the path",
				      p->name, c->in_path, strerror(errno));
		return eu_err(EINVAL, "port %s: input '%s' is not a capture libpcap can read: %s",
			      p->name, c->in_path, errbuf);
	}
	dlt = pcap_datalink(c->in);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		pcap_close(c->in);
		c->in = NULL;
		return eu_err(EINVAL, "port %s: input '%s' has link type %s (%d); ports carry "
				      "Ethernet frames (DLT_EN10MB): capture on an Ethernet "
				      "interface", p->name, c->in_path, name ? name : "?", dlt);
	}
	c->pass_frames = 0;
	return 0;
}

static int pcapp_open(struct eu_port *p, const char *args, const struct eu_port_opts *o)
{
	const char *comma = strchr(args, ',');
	size_t in_len = comma ? (size_t)(comma - args) : strlen(args);
	const char *out_path = comma ? comma + 1 : "";
	struct eu_pcapp *c;
	int err;

	if (!in_len && !*out_path)
		return eu_err(EINVAL, "port %s: no files: write pcap:IN.pcap,OUT.pcap (either "
				      "may be empty: pcap:,out.pcap)", p->name);
	c = calloc(1, sizeof(*c));
	if (!c)
		return eu_err(ENOMEM, "port %s: out of memory", p->name);
	c->frame_size = o->frame_size;
	c->loop = !!(o->flags & EU_PORT_O_LOOP);
	c->nbufs = o->ring_size ? o->ring_size : PCAP_RING_DEFAULT;
	c->bufs = malloc((size_t)c->nbufs * c->frame_size);
	c->tag_buf = malloc((size_t)c->frame_size + 4);
	if (!c->bufs || !c->tag_buf) {
		err = eu_err(ENOMEM, "port %s: out of memory: lower ring_size", p->name);
		goto fail;
	}
	if (in_len) {
		c->in_path = strndup(args, in_len);
		if (!c->in_path) {
			err = eu_err(ENOMEM, "port %s: out of memory", p->name);
			goto fail;
		}
		err = pcapp_open_in(p, c);
		if (err)
			goto fail;
	}
	if (*out_path) {
		struct stat si, so;

		if (c->in_path && stat(c->in_path, &si) == 0 && stat(out_path, &so) == 0 &&
		    si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
			err = eu_err(EINVAL, "port %s: input and output are the same file: "
					     "writing would destroy the input", p->name);
			goto fail;
		}
		c->dead = pcap_open_dead(DLT_EN10MB, PCAP_OUT_SNAPLEN);
		if (!c->dead) {
			err = eu_err(ENOMEM, "port %s: out of memory", p->name);
			goto fail;
		}
		errno = 0;
		c->out = pcap_dump_open(c->dead, out_path);
		if (!c->out) {
			int e = errno ? errno : EIO;

			err = eu_err(e, "port %s: cannot create output '%s': %s", p->name, out_path,
				     pcap_geterr(c->dead));
			goto fail;
		}
	}
	p->priv = c;
	p->mode = "pcap";
	return 0;
fail:
	pcapp_free(c);
	return err;
}

static void pcapp_close(struct eu_port *p)
{
	pcapp_free(p->priv);
}

static unsigned pcapp_rx_burst(struct eu_port *p, struct eu_frame *refs, unsigned n)
{
	struct eu_pcapp *c = p->priv;
	unsigned got = 0;

	if (n > c->nbufs)
		n = c->nbufs;
	while (got < n && c->in) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int r = pcap_next_ex(c->in, &h, &data);

		if (r == 1) {
			unsigned char *buf;

			if (h->caplen < h->len || h->caplen > c->frame_size) {
				eu_port_count(&p->st.rx_errors, 1);
				continue;
			}
			buf = c->bufs + (size_t)got * c->frame_size;
			memcpy(buf, data, h->caplen);
			refs[got].data = buf;
			refs[got].len = h->caplen;
			refs[got].vlan = 0;
			refs[got].flags = 0;
			got++;
			c->pass_frames++;
			continue;
		}
		if (r != PCAP_ERROR_BREAK)
			eu_port_count(&p->st.rx_errors, 1); /* e.g. truncated in a record */
		/* The end of the input. */
		pcap_close(c->in);
		c->in = NULL;
		if (c->loop && c->pass_frames && pcapp_open_in(p, c) != 0)
			break; /* the file went away: the input ends */
	}
	return got;
}

static void pcapp_rx_release(struct eu_port *p)
{
	(void)p; /* the buffers are reused by the next burst */
}

static unsigned pcapp_tx_burst(struct eu_port *p, const struct eu_frame *f, unsigned n)
{
	struct eu_pcapp *c = p->priv;
	unsigned i, sent = 0, dropped = 0;
	__u64 bytes = 0;

	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h;
		unsigned len = eu_port_tx_len(&f[i]);
		const unsigned char *data = f[i].data;

		if (!c->out || f[i].len < 14 || len > c->frame_size) {
			dropped++;
			continue;
		}
		if (f[i].flags & EU_FRAME_F_VLAN) {
			eu_port_tx_copy(c->tag_buf, &f[i]);
			data = c->tag_buf;
		}
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(c->out_frames / 1000000);
		h.ts.tv_usec = (suseconds_t)(c->out_frames % 1000000);
		h.caplen = len;
		h.len = len;
		pcap_dump((u_char *)c->out, &h, data);
		c->out_frames++;
		sent++;
		bytes += len;
	}
	eu_port_count(&p->st.tx_frames, sent);
	eu_port_count(&p->st.tx_bytes, bytes);
	if (dropped)
		eu_port_count(&p->st.tx_dropped, dropped);
	return n;
}

static int pcapp_flush(struct eu_port *p)
{
	struct eu_pcapp *c = p->priv;

	if (c->out && pcap_dump_flush(c->out) < 0) {
		eu_port_count(&p->st.tx_errors, 1);
		return eu_err(EIO, "port %s: writing the output failed (disk full?)", p->name);
	}
	return 0;
}

const struct eu_port_ops eu_port_pcap_ops = {
	.driver = "pcap",
	.usage = "pcap:IN.pcap,OUT.pcap",
	.open = pcapp_open,
	.close = pcapp_close,
	.rx_burst = pcapp_rx_burst,
	.rx_release = pcapp_rx_release,
	.tx_burst = pcapp_tx_burst,
	.flush = pcapp_flush,
	.stats = NULL,
};
