/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * europa/wait.h - adaptive waiting: spin while there is work, back off, then
 * sleep, and let a producer wake a consumer only when it sleeps.
 *
 * Each ring has a wake line in the region (struct eu_wake). A consumer that
 * found its ring empty calls eu_poller_idle() repeatedly: it spins, then
 * yields, then sets need_wakeup, re-checks the ring and sleeps, either on
 * the process-shared futex in the wake line or, for an application with its
 * own event loop, on an eventfd (eu_poller_arm() + epoll + eu_poller_disarm()).
 *
 * A producer calls eu_kick() after eu_ring_submit(): it costs one full
 * fence and a load when nobody sleeps, and one system call when someone does.
 *
 * Lost wake-ups are impossible: the consumer stores need_wakeup, fences
 * (seq_cst), then re-reads prod; the producer stores prod, fences (seq_cst),
 * then reads need_wakeup. At least one of them sees the other's store. The
 * consumer reads the futex word before it announces, and a producer bumps it
 * before FUTEX_WAKE, so a consumer whose announcement was taken does not
 * block.
 */
#ifndef EUROPA_WAIT_H
#define EUROPA_WAIT_H

#include <europa/region.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EU_WAKE_FUTEX 0x1   /* the consumer sleeps on the futex word */
#define EU_WAKE_EVENTFD 0x2 /* the consumer sleeps on its eventfd */

/* Options of eu_poller_init(). Set `size` to sizeof(struct eu_poll_opts). */
struct eu_poll_opts {
	__u32 size;
	__u32 spin;  /* empty polls spent spinning before yielding (default 512) */
	__u32 yield; /* empty polls spent yielding before sleeping (default 64) */
	__u32 flags; /* EU_POLL_F_* */
};

#define EU_POLL_F_BUSY 0x1 /* never sleep: pure busy polling */

/* Consumer-side waiting state for one ring. Fields are private. */
struct eu_poller {
	struct eu_wake *wake; /* shared wake line */
	int efd;              /* eventfd for this ring, -1 if none */
	__u32 idle;           /* empty polls in a row */
	__u32 spin;
	__u32 yield;
	__u32 flags;
};

/*
 * Set up waiting on ring `ring` of region r (the caller consumes it). `o`
 * may be NULL for the defaults. Returns 0 or -EINVAL.
 */
EU_API int eu_poller_init(struct eu_poller *p, struct eu_region *r, int ring,
			  const struct eu_poll_opts *o);

/*
 * Call after a poll of `view` found nothing. Spins, yields or sleeps on the
 * futex for at most timeout_ms (< 0: no limit). Returns 1 when the ring may
 * have work (re-poll), 0 on timeout, -EINTR if a signal interrupted a sleep.
 */
EU_API int eu_poller_idle(struct eu_poller *p, struct eu_ring *view, int timeout_ms);

/* Call after a poll found work: the next idle period starts with spinning. */
EU_INLINE void eu_poller_busy(struct eu_poller *p)
{
	p->idle = 0;
}

/*
 * For event loops: announce that this consumer will sleep on the ring's
 * eventfd (eu_region_wake_fd()). Returns 1 if the ring already has work (do
 * not sleep; call eu_poller_disarm()), 0 when armed, -EINVAL if there is no
 * eventfd. After epoll reports the fd readable, call eu_poller_disarm().
 */
EU_API int eu_poller_arm(struct eu_poller *p, struct eu_ring *view);
EU_API void eu_poller_disarm(struct eu_poller *p);

/*
 * Producer side, after publishing: does the consumer sleep? One seq_cst
 * fence (pairs with the fence in the consumer's arming) and one load.
 */
EU_INLINE __u32 eu_wake_needed(struct eu_wake *w)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&w->need_wakeup, __ATOMIC_RELAXED);
}

/*
 * Wake the consumer of a wake line, the way it announced (futex and/or
 * eventfd `efd`). Takes the announcement with an atomic exchange, so of
 * several producers only one makes the system call. Returns 1 if it woke
 * someone, 0 if nobody slept, -errno if the system call failed.
 */
EU_API int eu_wake_signal(struct eu_wake *w, int efd);

/* Producer side: wake the ring's consumer if, and only if, it sleeps. */
EU_INLINE int eu_kick(struct eu_wake *w, int efd)
{
	return eu_wake_needed(w) ? eu_wake_signal(w, efd) : 0;
}

/* The region's wake line of `ring`, and its eventfd (-1 if none). */
EU_API struct eu_wake *eu_region_wake(struct eu_region *r, int ring);
EU_API int eu_region_wake_fd(const struct eu_region *r, int ring);

/*
 * Give the region the eventfd of `ring` (e.g. received over a Unix socket).
 * The region takes ownership and closes it on destroy/detach. Returns 0 or
 * -EINVAL.
 */
EU_API int eu_region_set_wake_fd(struct eu_region *r, int ring, int fd);
/* (Call it before eu_vr_init(), eu_sw_init() or eu_poller_init(): they copy the fd.) */

#ifdef __cplusplus
}
#endif

#endif /* EUROPA_WAIT_H */
