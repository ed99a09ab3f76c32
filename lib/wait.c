/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * lib/wait.c - adaptive waiting: spin, yield, then sleep on the wake line's
 * process-shared futex or on an eventfd. The protocol is in wait.h.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* private poller flag (kdev): sleep in poll() on the wake fd, not on the futex */
#define EU_POLL_F_SLEEP_FD_ 0x80000000U

EU_API struct eu_wake *eu_region_wake(struct eu_region *r, int ring)
{
	if (!r || ring < 0 || ring >= EU_RING_COUNT)
		return NULL;
	return (struct eu_wake *)(r->base + r->h.wake_off) + ring;
}

EU_API int eu_region_wake_fd(const struct eu_region *r, int ring)
{
	if (!r || ring < 0 || ring >= EU_RING_COUNT)
		return -1;
	return r->wake_fd[ring];
}

EU_API int eu_region_set_wake_fd(struct eu_region *r, int ring, int fd)
{
	if (!r || ring < 0 || ring >= EU_RING_COUNT || fd < 0)
		return eu_err(EINVAL, "wake fd: ring %d or fd %d out of range", ring, fd);
	if (r->wake_fd[ring] >= 0)
		close(r->wake_fd[ring]);
	r->wake_fd[ring] = fd;
	return 0;
}

EU_API int eu_poller_init(struct eu_poller *p, struct eu_region *r, int ring,
			  const struct eu_poll_opts *o)
{
	if (!p || !r || ring < 0 || ring >= EU_RING_COUNT)
		return eu_err(EINVAL, "poller: ring %d out of range", ring);
	if (o && o->size < offsetof(struct eu_poll_opts, flags) + sizeof(o->flags))
		return eu_err(EINVAL, "poller: options size %u; set it to "
				      "sizeof(struct eu_poll_opts)", o->size);
	memset(p, 0, sizeof(*p));
	p->wake = eu_region_wake(r, ring);
	p->efd = r->wake_fd[ring];
	p->spin = o ? o->spin : 512;
	p->yield = o ? o->yield : 64;
	p->flags = o ? o->flags : 0;
	/* kdev: the kernel switch cannot wake a futex: sleep in poll() on its fd */
	if (r->backing == EU_BACK_KDEV && p->efd >= 0)
		p->flags |= EU_POLL_F_SLEEP_FD_;
	return 0;
}

static void eu_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * Announce that we sleep (`how`), then look once more. Returns 1 if the ring
 * has work after all (announcement withdrawn), 0 if the caller may sleep.
 * The seq_cst fence pairs with the one in eu_wake_needed().
 *
 * The futex word is sampled before the announcement, not after: a late kick
 * (for work we already took) may take our fresh announcement with its
 * exchange; if its bump of the futex word came before our sample, we would
 * sleep unannounced and the next publish would not wake us. Sampled first,
 * any bump by a kick that took this announcement differs from *seen, and
 * FUTEX_WAIT returns at once.
 */
static int eu_announce(struct eu_poller *p, struct eu_ring *view, __u32 how, __u32 *seen)
{
	*seen = __atomic_load_n(&p->wake->futex, __ATOMIC_ACQUIRE);
	__atomic_store_n(&p->wake->need_wakeup, how, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(view->prod, __ATOMIC_ACQUIRE) != view->local) {
		__atomic_store_n(&p->wake->need_wakeup, 0, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

/*
 * kdev: announce EU_WAKE_EVENTFD and sleep in poll() on the ring's fd (the
 * device of the kernel switch, which wakes its poll queue). Same contract
 * as the futex sleep below.
 */
static int eu_sleep_fd(struct eu_poller *p, struct eu_ring *view, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->efd, .events = POLLIN };
	__u32 seen;
	int rc;

	if (eu_announce(p, view, EU_WAKE_EVENTFD, &seen))
		return 1;
	__atomic_store_n(&p->wake->sleeps, __atomic_load_n(&p->wake->sleeps, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	rc = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
	eu_poller_disarm(p);
	if (rc < 0 && errno == EINTR)
		return -EINTR;
	return rc == 0 ? 0 : 1;
}

EU_API int eu_poller_idle(struct eu_poller *p, struct eu_ring *view, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;
	__u32 seen;
	long rc;

	if (p->flags & EU_POLL_F_BUSY) {
		eu_cpu_relax();
		return 1;
	}
	if (p->idle < p->spin) {
		p->idle++;
		eu_cpu_relax();
		return 1;
	}
	if (p->idle < p->spin + p->yield) {
		p->idle++;
		sched_yield();
		return 1;
	}
	if (p->flags & EU_POLL_F_SLEEP_FD_)
		return eu_sleep_fd(p, view, timeout_ms);
	if (eu_announce(p, view, EU_WAKE_FUTEX, &seen))
		return 1;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	__atomic_store_n(&p->wake->sleeps, __atomic_load_n(&p->wake->sleeps, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	/* Not FUTEX_PRIVATE: the word is shared between processes. */
	rc = syscall(SYS_futex, &p->wake->futex, FUTEX_WAIT, seen, tsp, NULL, 0);
	__atomic_store_n(&p->wake->need_wakeup, 0, __ATOMIC_RELAXED);
	if (rc < 0 && errno == ETIMEDOUT)
		return 0;
	if (rc < 0 && errno == EINTR)
		return -EINTR;
	return 1; /* woken, or the word had changed (EAGAIN): re-poll */
}

EU_API int eu_poller_arm(struct eu_poller *p, struct eu_ring *view)
{
	__u32 seen;

	if (p->efd < 0)
		return eu_err(EINVAL, "poller: this ring has no eventfd; give it one with "
				      "eu_region_set_wake_fd()");
	return eu_announce(p, view, EU_WAKE_EVENTFD, &seen);
}

EU_API void eu_poller_disarm(struct eu_poller *p)
{
	struct pollfd pfd = { .fd = p->efd, .events = POLLIN };
	__u64 v;

	__atomic_store_n(&p->wake->need_wakeup, 0, __ATOMIC_RELAXED);
	/* drain a pending wake-up; poll first, in case the fd is a blocking one */
	if (p->efd >= 0 && poll(&pfd, 1, 0) == 1 && read(p->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: someone else drained it */
	}
}

EU_API int eu_wake_signal(struct eu_wake *w, int efd)
{
	__u64 one = 1;
	__u32 how;

	/* Only one producer wakes a sleeper: take the announcement. */
	how = __atomic_exchange_n(&w->need_wakeup, 0, __ATOMIC_SEQ_CST);
	if (!how)
		return 0;
	if ((how & EU_WAKE_EVENTFD) && !(how & EU_WAKE_FUTEX) && efd < 0) {
		/* we cannot reach this sleeper: leave its announcement for a producer that can */
		__atomic_store_n(&w->need_wakeup, how, __ATOMIC_SEQ_CST);
		return -EBADF;
	}
	__atomic_fetch_add(&w->wakeups, 1, __ATOMIC_RELAXED);
	if (how & EU_WAKE_FUTEX) {
		__atomic_fetch_add(&w->futex, 1, __ATOMIC_SEQ_CST);
		if (syscall(SYS_futex, &w->futex, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) < 0)
			return -errno;
	}
	if ((how & EU_WAKE_EVENTFD) && efd >= 0 && write(efd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		return -errno;
	return 1;
}
