/*
 * core/memory.c - the memory sampler: process memory without a system call
 * per event.
 *
 * An exact reading (pikos_process_memory, memory_linux.c) costs one system
 * call, which is most of what a memory monitor costs per event.  With
 * `memory=sampled` a monitor acquires the sampler instead: one background
 * thread reads the counters every `interval` microseconds and publishes the
 * latest RSS and VMS in two atomics, which an event reads with two plain
 * loads.  The thread is shared: the first acquire starts it, the last
 * release stops it (and joins it), and while several monitors hold it, it
 * runs at the shortest interval any of them asked for.
 *
 * Accuracy trade-off (docs/performance.md): a sampled value is up to one
 * interval old (plus the reading's own microsecond or two), so memory that
 * is allocated and freed within one interval may never show, and a change
 * shows on the events of up to one interval after the line that made it.
 * RSS and VMS are published one after the other and may come from two
 * consecutive readings.  The thread costs about one reading per interval
 * (at 100 us and ~2 us a reading: 2% of one core), whatever the event rate.
 * `memory=exact` (the seed's behaviour and the default) has none of this.
 *
 * After fork() the child has no sampler thread (only the forking thread
 * survives): it reads exactly until it acquires the sampler again.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static struct {
    /* Serialises acquire and release; held across the join of a stopping
       thread, so that no acquire can interleave with it. */
    pthread_mutex_t control;
    unsigned users;
    int running;
    pthread_t thread;

    /* The thread sleeps on `wake` under `lock`, which also guards these. */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC timeouts */
    int stop;
    uint64_t interval_us;

    /* What events read. */
    atomic_int live; /* a thread publishes: the values are fresh */
    _Atomic uint64_t rss;
    _Atomic uint64_t vms;
} sampler = {
    .control = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------ set-up */

static void wake_init(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sampler.wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* The child of a fork: no thread runs there, and the locks may have been
   held by a thread that did not survive. */
static void forget_thread_in_child(void)
{
    atomic_store(&sampler.live, 0);
    sampler.running = 0;
    pthread_mutex_init(&sampler.control, NULL);
    pthread_mutex_init(&sampler.lock, NULL);
    wake_init();
}

static void setup(void)
{
    wake_init();
    pthread_atfork(NULL, NULL, forget_thread_in_child);
}

/* ------------------------------------------------------------ the thread */

static void publish(uint64_t rss, uint64_t vms)
{
    atomic_store_explicit(&sampler.rss, rss, memory_order_relaxed);
    atomic_store_explicit(&sampler.vms, vms, memory_order_relaxed);
}

static void read_and_publish(void)
{
    uint64_t rss, vms;

    /* A failed reading keeps the previous values: the first one, made by
       acquire, succeeded, and nothing here could report a failure. */
    if (pikos_process_memory(&rss, &vms) == PIKOS_OK)
        publish(rss, vms);
}

static struct timespec deadline_after(uint64_t interval_us)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(interval_us / 1000000u);
    t.tv_nsec += (long)(interval_us % 1000000u) * 1000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

static void *sampler_main(void *unused)
{
    pthread_mutex_lock(&sampler.lock);
    while (!sampler.stop) {
        struct timespec deadline = deadline_after(sampler.interval_us);
        /* Wakes at the deadline, when asked to stop, or spuriously (then
           it only reads a little early). */
        pthread_cond_timedwait(&sampler.wake, &sampler.lock, &deadline);
        if (sampler.stop)
            break;
        pthread_mutex_unlock(&sampler.lock);
        read_and_publish();
        pthread_mutex_lock(&sampler.lock);
    }
    pthread_mutex_unlock(&sampler.lock);
    return NULL;
}

/* Starts the thread with every signal blocked, so that signals meant for
   the program (SIGINT, SIGTERM, ...) are never delivered to it. */
static int thread_create(pthread_t *thread)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(thread, NULL, sampler_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* ------------------------------------------------------------ control */

/* With `control` held.  Publishes a first reading before the thread
   starts, so that sampled values are valid from the first event. */
static int sampler_start(struct pikos_instance *inst, uint64_t interval_us)
{
    uint64_t rss, vms;
    int rc;

    if (pikos_process_memory(&rss, &vms) != PIKOS_OK)
        return pikos_instance_set_error(inst, PIKOS_EIO,
                                        "cannot read the process's memory: %s",
                                        strerror(errno));
    publish(rss, vms);
    sampler.stop = 0;
    sampler.interval_us = interval_us;
    rc = thread_create(&sampler.thread);
    if (rc != 0)
        return pikos_instance_set_error(
            inst, PIKOS_EPLUGIN,
            "cannot start the memory sampler thread: %s; use memory=exact",
            strerror(rc));
    sampler.running = 1;
    atomic_store(&sampler.live, 1);
    return PIKOS_OK;
}

/* With `control` held. */
static void sampler_stop(void)
{
    atomic_store(&sampler.live, 0);
    pthread_mutex_lock(&sampler.lock);
    sampler.stop = 1;
    pthread_cond_signal(&sampler.wake);
    pthread_mutex_unlock(&sampler.lock);
    pthread_join(sampler.thread, NULL);
    sampler.running = 0;
}

/* With `control` held: a sharer that wants fresher values gets them. */
static void sampler_shorten_interval(uint64_t interval_us)
{
    pthread_mutex_lock(&sampler.lock);
    if (interval_us < sampler.interval_us)
        sampler.interval_us = interval_us;
    pthread_mutex_unlock(&sampler.lock);
}

int pikos_memory_sampler_acquire(struct pikos_instance *inst,
                                 uint64_t interval_us)
{
    int rc = PIKOS_OK;

    if (interval_us == 0)
        return pikos_instance_set_error(inst, PIKOS_EINVAL,
                                        "the sampling interval must be > 0");
    pthread_once(&setup_once, setup);
    pthread_mutex_lock(&sampler.control);
    /* Not `users == 0`: in a forked child users may be left over from the
       parent while no thread runs. */
    if (!sampler.running)
        rc = sampler_start(inst, interval_us);
    else
        sampler_shorten_interval(interval_us);
    if (rc == PIKOS_OK)
        sampler.users++;
    pthread_mutex_unlock(&sampler.control);
    return rc;
}

void pikos_memory_sampler_release(struct pikos_instance *inst)
{
    pthread_mutex_lock(&sampler.control);
    if (sampler.users > 0 && --sampler.users == 0 && sampler.running)
        sampler_stop();
    pthread_mutex_unlock(&sampler.control);
}

int pikos_process_memory_sampled(uint64_t *rss, uint64_t *vms)
{
    /* Without a thread (none acquired, or a forked child) read now.  The
       acquire pairs with the store of `live` after the first publish. */
    if (!atomic_load_explicit(&sampler.live, memory_order_acquire))
        return pikos_process_memory(rss, vms);
    *rss = atomic_load_explicit(&sampler.rss, memory_order_relaxed);
    *vms = atomic_load_explicit(&sampler.vms, memory_order_relaxed);
    return PIKOS_OK;
}
