/*
 * plugins/external/common/timer.c - the snapshot timer of the external
 * monitors: a POSIX thread that sleeps `interval` seconds on a condition
 * variable (monotonic clock), then takes the GIL and calls the monitor's
 * tick, which emits the statistics so far.
 *
 * Stopping sets `stopping` under the lock and wakes the thread.  The
 * stopper holds the GIL, which a tick may be waiting for, so it releases
 * the GIL while it joins; a tick that gets the GIL after the stop was
 * asked for does nothing.
 */
#include "external.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct external_timer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping; /* under `lock` */
    struct timespec period;
    external_tick_fn tick;
    void *arg;
};

static struct timespec seconds_to_timespec(double seconds)
{
    struct timespec ts;

    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static struct timespec deadline_after(struct timespec period)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_sec += period.tv_sec;
    now.tv_nsec += period.tv_nsec;
    if (now.tv_nsec >= 1000000000L) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000L;
    }
    return now;
}

/* Sleeps until the next tick is due; 0 when stopping was asked for. */
static int wait_for_tick(struct external_timer *timer)
{
    struct timespec deadline = deadline_after(timer->period);
    int rc = 0, go_on;

    pthread_mutex_lock(&timer->lock);
    while (!timer->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&timer->wake, &timer->lock, &deadline);
    go_on = !timer->stopping;
    pthread_mutex_unlock(&timer->lock);
    return go_on;
}

static int still_running(struct external_timer *timer)
{
    int running;

    pthread_mutex_lock(&timer->lock);
    running = !timer->stopping;
    pthread_mutex_unlock(&timer->lock);
    return running;
}

static void *timer_main(void *arg)
{
    struct external_timer *timer = arg;
    int rc = 0;

    while (rc >= 0 && wait_for_tick(timer)) {
        PyGILState_STATE gil = PyGILState_Ensure();
        if (still_running(timer))
            rc = timer->tick(timer->arg);
        PyGILState_Release(gil);
    }
    return NULL;
}

static int init_sync(struct external_timer *timer)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc == 0)
        rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&timer->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return rc;
    rc = pthread_mutex_init(&timer->lock, NULL);
    if (rc != 0)
        pthread_cond_destroy(&timer->wake);
    return rc;
}

int external_timer_start(struct pikos_instance *inst,
                         const struct pikos_host *host, double interval,
                         external_tick_fn tick, void *arg,
                         struct external_timer **out)
{
    struct external_timer *timer = calloc(1, sizeof(*timer));
    int rc;

    if (timer == NULL)
        return host->set_error(inst, PIKOS_ENOMEM,
                               "out of memory for the snapshot timer");
    timer->period = seconds_to_timespec(interval);
    timer->tick = tick;
    timer->arg = arg;
    rc = init_sync(timer);
    if (rc == 0) {
        rc = pthread_create(&timer->thread, NULL, timer_main, timer);
        if (rc != 0) {
            pthread_mutex_destroy(&timer->lock);
            pthread_cond_destroy(&timer->wake);
        }
    }
    if (rc != 0) {
        free(timer);
        return host->set_error(inst, PIKOS_EPLUGIN,
                               "cannot start the snapshot timer (interval="
                               "%g): %s",
                               interval, strerror(rc));
    }
    *out = timer;
    return PIKOS_OK;
}

void external_timer_stop(struct external_timer *timer)
{
    if (timer == NULL)
        return;
    pthread_mutex_lock(&timer->lock);
    timer->stopping = 1;
    pthread_cond_signal(&timer->wake);
    pthread_mutex_unlock(&timer->lock);
    PyThreadState *saved = PyEval_SaveThread(); /* lets a tick finish */
    pthread_join(timer->thread, NULL);
    PyEval_RestoreThread(saved);
    pthread_mutex_destroy(&timer->lock);
    pthread_cond_destroy(&timer->wake);
    free(timer);
}

/* The lock may have been held by the parent's thread at the fork: it is
   left as it is, never destroyed. */
void external_timer_forget(struct external_timer *timer)
{
    free(timer);
}
