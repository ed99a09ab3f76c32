/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_wait.c - adaptive waiting (europa/wait.h, lib/wait.c): a poller spins,
 * yields, then sleeps and times out; a producer wakes it with eu_kick() and
 * need_wakeup is cleared; no wake-up system call when nobody sleeps; the
 * eventfd mode for event loops; a sleep on the futex across processes; a
 * signal interrupts a sleep; no lost wake-ups under random timing.
 */
#include "eu_unit.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

struct fix {
	struct eu_region *r;
	struct eu_ring prod, cons; /* the rx ring: switch produces, VR consumes */
	struct eu_wake *w;
	int efd;
};

static void fix_init(struct fix *f, const char *where)
{
	struct eu_region_opts o = eu_t_opts(64, 128);

	f->r = eu_region_create(where, &o);
	ck_assert_msg(f->r != NULL, "%s", eu_last_error());
	ck_assert_int_eq(eu_region_ring_view(f->r, EU_RING_RX, 1, &f->prod), 0);
	ck_assert_int_eq(eu_region_ring_view(f->r, EU_RING_RX, 0, &f->cons), 0);
	f->w = eu_region_wake(f->r, EU_RING_RX);
	f->efd = eu_region_wake_fd(f->r, EU_RING_RX);
	ck_assert_ptr_nonnull(f->w);
	ck_assert_int_ge(f->efd, 0);
}

static void fix_fini(struct fix *f)
{
	eu_region_destroy(f->r);
}

static void poller(struct eu_poller *p, struct fix *f, __u32 spin, __u32 yield, __u32 flags)
{
	struct eu_poll_opts o = { sizeof(o), spin, yield, flags };

	ck_assert_int_eq(eu_poller_init(p, f->r, EU_RING_RX, &o), 0);
}

static __u32 load(const __u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Wait (up to 10 s) until the consumer has announced that it sleeps. */
static int wait_announced(struct eu_wake *w)
{
	double end = eu_t_now_ms() + 10000;

	while (!load(&w->need_wakeup))
		if (eu_t_now_ms() > end)
			return 0;
	return 1;
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

START_TEST(test_init_errors)
{
	struct fix f;
	struct eu_poller p;
	struct eu_poll_opts o = { sizeof(o), 1, 1, 0 };

	fix_init(&f, "anon");
	ck_assert_int_eq(eu_poller_init(&p, f.r, -1, NULL), -EINVAL);
	ck_assert_int_eq(eu_poller_init(&p, f.r, EU_RING_COUNT, NULL), -EINVAL);
	ck_assert_int_eq(eu_poller_init(&p, NULL, 0, NULL), -EINVAL);
	ck_assert_int_eq(eu_poller_init(NULL, f.r, 0, NULL), -EINVAL);
	o.size = 0;
	ck_assert_int_eq(eu_poller_init(&p, f.r, 0, &o), -EINVAL);
	o.size = 8;
	ck_assert_int_eq(eu_poller_init(&p, f.r, 0, &o), -EINVAL);
	ck_assert_str_ne(eu_last_error(), "");
	ck_assert_int_eq(eu_poller_init(&p, f.r, EU_RING_RX, NULL), 0);
	ck_assert_uint_eq(p.spin, 512);
	ck_assert_uint_eq(p.yield, 64);
	ck_assert_ptr_eq(p.wake, f.w);
	ck_assert_int_eq(p.efd, f.efd);
	ck_assert_ptr_null(eu_region_wake(f.r, EU_RING_COUNT));
	ck_assert_ptr_null(eu_region_wake(f.r, -1));
	ck_assert_ptr_null(eu_region_wake(NULL, 0));
	ck_assert_int_eq(eu_region_wake_fd(f.r, EU_RING_COUNT), -1);
	/* one wake line per ring, each on its own cache line after wake_off */
	ck_assert_ptr_eq(eu_region_wake(f.r, 0),
			 (struct eu_wake *)((char *)eu_region_base(f.r) +
					    eu_region_header(f.r)->wake_off));
	ck_assert_ptr_eq(eu_region_wake(f.r, 3), eu_region_wake(f.r, 0) + 3);
	ck_assert_int_eq(eu_region_set_wake_fd(f.r, EU_RING_COUNT, 0), -EINVAL);
	ck_assert_int_eq(eu_region_set_wake_fd(f.r, 0, -1), -EINVAL);
	fix_fini(&f);
}
END_TEST

START_TEST(test_idle_spins_then_sleeps)
{
	struct fix f;
	struct eu_poller p;
	double t0, dt;
	int i, rc;

	fix_init(&f, "anon");
	poller(&p, &f, 10, 5, 0);
	/* spin and yield: quick returns of 1, no announcement, no sleep */
	for (i = 0; i < 15; i++) {
		ck_assert_int_eq(eu_poller_idle(&p, &f.cons, 100), 1);
		ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
		ck_assert_uint_eq(load(&f.w->sleeps), 0);
	}
	/* then a sleep that times out */
	t0 = eu_t_now_ms();
	rc = eu_poller_idle(&p, &f.cons, 100);
	dt = eu_t_now_ms() - t0;
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(dt >= 90 && dt < 5000, "slept %.1f ms for a 100 ms timeout", dt);
	ck_assert_uint_eq(load(&f.w->sleeps), 1);
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0); /* withdrawn on waking */
	ck_assert_uint_eq(load(&f.w->wakeups), 0);
	/* still idle: the next call sleeps straight away */
	t0 = eu_t_now_ms();
	ck_assert_int_eq(eu_poller_idle(&p, &f.cons, 30), 0);
	ck_assert(eu_t_now_ms() - t0 >= 25);
	ck_assert_uint_eq(load(&f.w->sleeps), 2);
	/* after work, spinning starts over */
	eu_poller_busy(&p);
	for (i = 0; i < 15; i++)
		ck_assert_int_eq(eu_poller_idle(&p, &f.cons, 100), 1);
	ck_assert_uint_eq(load(&f.w->sleeps), 2);
	/* work already in the ring when it would sleep: no sleep */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&f.prod, (const __u32[]){ 3 }, 1), 1);
	t0 = eu_t_now_ms();
	ck_assert_int_eq(eu_poller_idle(&p, &f.cons, 5000), 1);
	ck_assert(eu_t_now_ms() - t0 < 1000);
	ck_assert_uint_eq(load(&f.w->sleeps), 2);
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	fix_fini(&f);
}
END_TEST

START_TEST(test_idle_defaults)
{
	struct fix f;
	struct eu_poller p;
	int n = 0, rc;

	fix_init(&f, "anon");
	ck_assert_int_eq(eu_poller_init(&p, f.r, EU_RING_RX, NULL), 0);
	while ((rc = eu_poller_idle(&p, &f.cons, 20)) == 1)
		ck_assert_int_lt(++n, 100000);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(n, 512 + 64);
	fix_fini(&f);
}
END_TEST

START_TEST(test_busy_flag_never_sleeps)
{
	struct fix f;
	struct eu_poller p;
	int i;

	fix_init(&f, "anon");
	poller(&p, &f, 0, 0, EU_POLL_F_BUSY);
	for (i = 0; i < 10000; i++)
		eu_check_ieq(eu_poller_idle(&p, &f.cons, 0), 1);
	eu_check_ueq(load(&f.w->sleeps), 0);
	eu_check_ueq(load(&f.w->need_wakeup), 0);
	fix_fini(&f);
}
END_TEST

struct waker {
	struct fix *f;
	int delay_ms;
	int kick_rc;
	pthread_t target; /* for the signal test */
};

static void *waker_thread(void *arg)
{
	struct waker *k = arg;

	if (!wait_announced(k->f->w)) {
		k->kick_rc = -1000;
		return NULL;
	}
	eu_t_sleep_ms(k->delay_ms);
	if (eu_ring_enqueue_burst(&k->f->prod, (const __u32[]){ 42 }, 1) != 1) {
		k->kick_rc = -2000;
		return NULL;
	}
	k->kick_rc = eu_kick(k->f->w, k->f->efd);
	return NULL;
}

START_TEST(test_producer_wakes_sleeper)
{
	struct fix f;
	struct eu_poller p;
	struct waker k = { &f, 100, 0, 0 };
	pthread_t th;
	__u32 out;
	double t0, dt;
	int rc;

	fix_init(&f, "anon");
	poller(&p, &f, 0, 0, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, waker_thread, &k), 0);
	t0 = eu_t_now_ms();
	rc = eu_poller_idle(&p, &f.cons, 10000);
	dt = eu_t_now_ms() - t0;
	pthread_join(th, NULL);
	ck_assert_int_eq(rc, 1);
	ck_assert_int_eq(k.kick_rc, 1);
	ck_assert_msg(dt >= 80 && dt < 5000, "woke after %.1f ms", dt);
	ck_assert_uint_eq(load(&f.w->wakeups), 1);
	ck_assert_uint_eq(load(&f.w->sleeps), 1);
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	ck_assert_uint_eq(load(&f.w->futex), 1);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&f.cons, &out, 1), 1);
	ck_assert_uint_eq(out, 42);
	/* the announcement was taken: a second kick makes no call */
	ck_assert_int_eq(eu_kick(f.w, f.efd), 0);
	ck_assert_uint_eq(load(&f.w->wakeups), 1);
	fix_fini(&f);
}
END_TEST

/* With nobody asleep, eu_kick() never makes the wake system call. */
START_TEST(test_no_wake_without_sleeper)
{
	struct fix f;
	struct eu_poller p;
	__u32 i, out;

	fix_init(&f, "anon");
	poller(&p, &f, 1000000, 0, 0);
	for (i = 0; i < 100000; i++) {
		eu_check_ueq(eu_ring_enqueue_burst(&f.prod, &i, 1), 1);
		eu_check_ieq(eu_kick(f.w, f.efd), 0);
		eu_check_ueq(eu_ring_dequeue_burst(&f.cons, &out, 1), 1);
		eu_check_ueq(out, i);
		/* an empty poll in the spin phase does not announce a sleep */
		eu_check_ieq(eu_poller_idle(&p, &f.cons, 0), 1);
	}
	eu_check_ueq(load(&f.w->wakeups), 0);
	eu_check_ueq(load(&f.w->sleeps), 0);
	eu_check_ueq(load(&f.w->futex), 0);
	eu_check(!readable(f.efd, 0));
	fix_fini(&f);
}
END_TEST

/* The same through eu_vr_tx_burst / eu_sw_rx_publish, which kick on every burst. */
START_TEST(test_no_wake_vr_sw)
{
	struct eu_region_opts o = eu_t_opts(64, 128);
	struct eu_region *r = eu_region_create("anon", &o);
	struct eu_vr vr;
	struct eu_sw sw;
	__u32 idx[8], n, i, k;
	struct eu_txpkt pk[8];

	ck_assert_ptr_nonnull(r);
	eu_check_ieq(eu_sw_init(&sw, r), 0);
	eu_check_ieq(eu_vr_init(&vr, r), 0);
	for (k = 0; k < 100000; k += n) {
		n = eu_sw_rx_alloc(&sw, idx, 8);
		for (i = 0; i < n; i++)
			eu_sw_desc(&sw, idx[i])->len = 60;
		eu_check_ueq(eu_sw_rx_publish(&sw, idx, n), n);
		eu_check_ueq(eu_vr_rx_burst(&vr, idx, 8), n);
		eu_check_ueq(eu_vr_tx_burst(&vr, idx, n), n);
		eu_check_ueq(eu_sw_tx_burst(&sw, pk, 8), n);
		for (i = 0; i < n; i++)
			idx[i] = pk[i].idx;
		eu_check_ueq(eu_sw_free_burst(&sw, idx, n), n);
	}
	for (i = 0; i < EU_RING_COUNT; i++) {
		eu_check_ueq(load(&eu_region_wake(r, (int)i)->wakeups), 0);
		eu_check_ueq(load(&eu_region_wake(r, (int)i)->futex), 0);
	}
	eu_vr_fini(&vr);
	eu_sw_fini(&sw);
	eu_region_destroy(r);
}
END_TEST

START_TEST(test_eventfd_mode)
{
	struct fix f;
	struct eu_poller p;
	struct waker k = { &f, 50, 0, 0 };
	pthread_t th;
	__u32 out;
	struct pollfd pfd;

	fix_init(&f, "anon");
	poller(&p, &f, 0, 0, 0);
	/* armed on an empty ring: announced, fd quiet */
	ck_assert_int_eq(eu_poller_arm(&p, &f.cons), 0);
	ck_assert_uint_eq(load(&f.w->need_wakeup), EU_WAKE_EVENTFD);
	ck_assert(!readable(f.efd, 0));
	/* the producer publishes and kicks: the fd becomes readable */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&f.prod, (const __u32[]){ 7 }, 1), 1);
	ck_assert_int_eq(eu_kick(f.w, f.efd), 1);
	ck_assert_uint_eq(load(&f.w->wakeups), 1);
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	ck_assert_uint_eq(load(&f.w->futex), 0); /* no futex call for an eventfd sleeper */
	ck_assert(readable(f.efd, 1000));
	eu_poller_disarm(&p);
	ck_assert(!readable(f.efd, 0)); /* drained */
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&f.cons, &out, 1), 1);
	ck_assert_uint_eq(out, 7);
	/* arming with work already there: do not sleep */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&f.prod, (const __u32[]){ 8 }, 1), 1);
	ck_assert_int_eq(eu_poller_arm(&p, &f.cons), 1);
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	eu_poller_disarm(&p);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&f.cons, &out, 1), 1);
	/* a kick with nobody armed writes nothing */
	ck_assert_uint_eq(eu_ring_enqueue_burst(&f.prod, (const __u32[]){ 9 }, 1), 1);
	ck_assert_int_eq(eu_kick(f.w, f.efd), 0);
	ck_assert(!readable(f.efd, 0));
	ck_assert_uint_eq(eu_ring_dequeue_burst(&f.cons, &out, 1), 1);

	/* an event loop blocked in poll(2), woken by a producer thread */
	ck_assert_int_eq(eu_poller_arm(&p, &f.cons), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, waker_thread, &k), 0);
	pfd.fd = eu_region_wake_fd(f.r, EU_RING_RX);
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	pthread_join(th, NULL);
	ck_assert_int_eq(k.kick_rc, 1);
	eu_poller_disarm(&p);
	ck_assert_uint_eq(eu_ring_dequeue_burst(&f.cons, &out, 1), 1);
	ck_assert_uint_eq(out, 42);
	ck_assert_uint_eq(load(&f.w->wakeups), 2);
	fix_fini(&f);
}
END_TEST

/* An attached region has no eventfds until it is given one. */
START_TEST(test_eventfd_attached)
{
	struct fix f;
	struct eu_region *a;
	struct eu_poller p;
	struct eu_ring ac;
	char where[32];
	int efd;

	fix_init(&f, "memfd:eu-wait");
	snprintf(where, sizeof(where), "fd:%d", eu_region_fd(f.r));
	a = eu_region_attach(where);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(eu_region_ring_view(a, EU_RING_RX, 0, &ac), 0);
	ck_assert_int_eq(eu_poller_init(&p, a, EU_RING_RX, NULL), 0);
	ck_assert_int_eq(eu_poller_arm(&p, &ac), -EINVAL);
	ck_assert_ptr_nonnull(strstr(eu_last_error(), "eu_region_set_wake_fd"));
	ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	/* hand it the creator's eventfd, as a Unix socket would */
	efd = fcntl(f.efd, F_DUPFD_CLOEXEC, 3);
	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(eu_region_set_wake_fd(a, EU_RING_RX, efd), 0);
	ck_assert_int_eq(eu_region_wake_fd(a, EU_RING_RX), efd);
	ck_assert_int_eq(eu_poller_init(&p, a, EU_RING_RX, NULL), 0);
	ck_assert_int_eq(eu_poller_arm(&p, &ac), 0);
	ck_assert_uint_eq(eu_ring_enqueue_burst(&f.prod, (const __u32[]){ 1 }, 1), 1);
	ck_assert_int_eq(eu_kick(f.w, f.efd), 1);
	ck_assert(readable(efd, 1000));
	eu_poller_disarm(&p);
	eu_region_detach(a); /* closes efd */
	ck_assert_int_eq(fcntl(efd, F_GETFD), -1);
	fix_fini(&f);
}
END_TEST

static void on_usr1(int sig)
{
	(void)sig;
}

static void *signal_thread(void *arg)
{
	struct waker *k = arg;

	if (!wait_announced(k->f->w)) {
		k->kick_rc = -1000;
		return NULL;
	}
	eu_t_sleep_ms(k->delay_ms);
	k->kick_rc = pthread_kill(k->target, SIGUSR1);
	return NULL;
}

START_TEST(test_signal_interrupts_sleep)
{
	static const int timeouts[] = { 10000, -1 };
	struct sigaction sa;
	struct fix f;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART */
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	fix_init(&f, "anon");
	for (i = 0; i < 2; i++) {
		struct eu_poller p;
		struct waker k = { &f, 50, 0, pthread_self() };
		pthread_t th;
		int rc;

		poller(&p, &f, 0, 0, 0);
		ck_assert_int_eq(pthread_create(&th, NULL, signal_thread, &k), 0);
		rc = eu_poller_idle(&p, &f.cons, timeouts[i]);
		pthread_join(th, NULL);
		ck_assert_int_eq(k.kick_rc, 0);
		ck_assert_int_eq(rc, -EINTR);
		ck_assert_uint_eq(load(&f.w->need_wakeup), 0);
	}
	fix_fini(&f);
}
END_TEST

/* A VR in a child process sleeps on the futex in its own mapping of a memfd region. */
START_TEST(test_cross_process_futex)
{
	struct eu_region_opts o = eu_t_opts(64, 256);
	struct eu_region *r = eu_region_create("memfd:eu-xproc", &o);
	struct eu_wake *w;
	struct eu_sw sw;
	char where[32];
	__u32 idx;
	pid_t pid;
	int status;

	ck_assert_ptr_nonnull(r);
	w = eu_region_wake(r, EU_RING_RX);
	snprintf(where, sizeof(where), "fd:%d", eu_region_fd(r));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct eu_region *a = eu_region_attach(where);
		struct eu_poll_opts po = { sizeof(po), 0, 0, 0 };
		struct eu_poller p;
		struct eu_vr vr;
		__u32 k;
		int rc;

		if (!a || eu_region_base(a) == eu_region_base(r))
			_exit(10); /* a mapping of its own */
		if (eu_vr_init(&vr, a) || eu_poller_init(&p, a, EU_RING_RX, &po))
			_exit(11);
		for (;;) {
			if (eu_vr_rx_burst(&vr, &k, 1) == 1) {
				const char *d = eu_vr_data(&vr, k);

				_exit(eu_vr_desc(&vr, k)->len == 6 && memcmp(d, "hello", 6) == 0
					      ? 0 : 12);
			}
			rc = eu_poller_idle(&p, &vr.rx, 5000);
			if (rc == 0 && eu_ring_count(&vr.rx) != 0)
				_exit(13); /* slept through a frame: the wake-up was lost */
			if (rc < 0)
				_exit(14);
		}
	}
	ck_assert_int_eq(eu_sw_init(&sw, r), 0);
	ck_assert_msg(wait_announced(w), "the child never went to sleep");
	eu_t_sleep_ms(50);
	ck_assert_uint_ge(load(&w->sleeps), 1);
	ck_assert_uint_eq(eu_sw_rx_alloc(&sw, &idx, 1), 1);
	memcpy(eu_sw_buf(&sw, idx) + eu_sw_desc(&sw, idx)->off, "hello", 6);
	eu_sw_desc(&sw, idx)->len = 6;
	ck_assert_uint_eq(eu_sw_rx_publish(&sw, &idx, 1), 1); /* kicks */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	ck_assert_uint_eq(load(&w->wakeups), 1);
	ck_assert_uint_eq(load(&w->need_wakeup), 0);
	eu_sw_fini(&sw);
	eu_region_destroy(r);
}
END_TEST

/* Random timing, many sleeps: every item arrives, no sleep ever times out. */
#define LOST_N 20000

static void *lost_producer(void *arg)
{
	struct fix *f = arg;
	uint64_t rng = 88172645463325252ULL;
	__u32 i;

	for (i = 0; i < LOST_N;) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (eu_ring_enqueue_burst(&f->prod, &i, 1) != 1)
			continue;
		i++;
		if (eu_kick(f->w, f->efd) < 0)
			return (void *)1;
		if (rng % 8 == 0) {
			struct timespec ts = { 0, (long)(rng % 50) * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

START_TEST(test_no_lost_wakeups)
{
	struct fix f;
	struct eu_poller p;
	pthread_t th;
	__u32 expect = 0, out[16], i, n;
	void *rv;

	fix_init(&f, "anon");
	poller(&p, &f, 8, 2, 0);
	eu_check_ieq(pthread_create(&th, NULL, lost_producer, &f), 0);
	while (expect < LOST_N) {
		n = eu_ring_dequeue_burst(&f.cons, out, 16);
		if (n) {
			for (i = 0; i < n; i++)
				eu_check_ueq(out[i], expect + i);
			expect += n;
			eu_poller_busy(&p);
			continue;
		}
		/*
		 * A timeout with work in the ring is a lost wake-up; one with an empty
		 * ring only means the producer was starved of CPU (a loaded machine).
		 */
		if (eu_poller_idle(&p, &f.cons, 3000) == 0)
			eu_check_msg(eu_ring_count(&f.cons) == 0,
				     "slept through item %u: lost wake-up", expect);
	}
	pthread_join(th, &rv);
	ck_assert_ptr_null(rv);
	ck_assert_uint_gt(load(&f.w->sleeps), 0);
	fix_fini(&f);
}
END_TEST

static Suite *wait_suite(void)
{
	Suite *s = suite_create("wait");
	TCase *tc = tcase_create("wait");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_init_errors);
	tcase_add_test(tc, test_idle_spins_then_sleeps);
	tcase_add_test(tc, test_idle_defaults);
	tcase_add_test(tc, test_busy_flag_never_sleeps);
	tcase_add_test(tc, test_producer_wakes_sleeper);
	tcase_add_test(tc, test_no_wake_without_sleeper);
	tcase_add_test(tc, test_no_wake_vr_sw);
	tcase_add_test(tc, test_eventfd_mode);
	tcase_add_test(tc, test_eventfd_attached);
	tcase_add_test(tc, test_signal_interrupts_sleep);
	tcase_add_test(tc, test_cross_process_futex);
	tcase_add_test(tc, test_no_lost_wakeups);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return eu_t_run(wait_suite());
}
