/*
 * core/threads_taken.c - which threads pikos takes events from when they
 * come through sys.monitoring (hook_monitoring.c), which has every
 * thread's events.
 *
 * The legacy hooks are installed thread by thread (threads.c), and the
 * records of a run depend on where: the monitoring thread, or the threads
 * running when monitoring starts plus those started later, from the
 * moment `threading` calls pikos's hook in them (not from their first
 * frame).  Through sys.monitoring the same threads are taken, so that
 * both backends make the same records:
 *   - those running at the start (or only the calling one) are listed;
 *   - a later one is taken when threading calls the new-thread hook in it
 *     (threads.c), which marks it;
 * and each thread keeps its verdict in thread-local storage, tagged with
 * the installation it belongs to, so that the per-event test is two
 * loads and a comparison.
 */
#include "threads.h"

#include <pthread.h>
#include <stdlib.h>

unsigned int pikos_threads_epoch[2];
__thread struct pikos_thread_verdict pikos_thread_verdicts[2]
    __attribute__((tls_model("initial-exec")));

/* The threads running when events were last installed, per kind. */
static struct {
    unsigned long *ids;
    size_t count;
} listed[2];

static int list_threads(int kind, int scope)
{
    PyThreadState *self = PyThreadState_Get();
    PyInterpreterState *interp = PyThreadState_GetInterpreter(self);
    size_t count = 0, cap = 8;
    unsigned long *ids = malloc(cap * sizeof(*ids));

    for (PyThreadState *t = scope == PIKOS_HOOK_EVERY_THREAD
                                ? PyInterpreterState_ThreadHead(interp)
                                : self;
         ids != NULL && t != NULL;
         t = scope == PIKOS_HOOK_EVERY_THREAD ? PyThreadState_Next(t) : NULL) {
        if (count == cap) {
            unsigned long *grown = realloc(ids, 2 * cap * sizeof(*ids));
            if (grown == NULL)
                break;
            ids = grown;
            cap *= 2;
        }
        ids[count++] = t->thread_id;
    }
    if (ids == NULL)
        return -1;
    free(listed[kind].ids);
    listed[kind].ids = ids;
    listed[kind].count = count;
    return 0;
}

int pikos_threads_take(int kind, int scope)
{
    pikos_threads_epoch[kind]++;
    free(listed[kind].ids);
    listed[kind].ids = NULL;
    listed[kind].count = 0;
    return scope == PIKOS_HOOK_NOWHERE ? 0 : list_threads(kind, scope);
}

void pikos_threads_take_this(int kind)
{
    pikos_thread_verdicts[kind].epoch = pikos_threads_epoch[kind];
    pikos_thread_verdicts[kind].taken = 1;
}

int pikos_threads_decide(int kind)
{
    unsigned long self = (unsigned long)pthread_self();
    int taken = 0;

    for (size_t i = 0; i < listed[kind].count && !taken; i++)
        taken = listed[kind].ids[i] == self;
    pikos_thread_verdicts[kind].epoch = pikos_threads_epoch[kind];
    pikos_thread_verdicts[kind].taken = taken;
    return taken;
}
