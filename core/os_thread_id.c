/*
 * core/os_thread_id.c - the calling thread's operating-system id, for
 * timed records (host->os_thread_id).
 *
 * gettid() is a system call each time; timed records need the id on every
 * event, so each thread reads it once and keeps it in thread-local
 * storage.  A forked child's only thread inherits its parent thread's
 * copy, so fork forgets it (pthread_atfork, registered once: libpikos is
 * never unloaded while a plugin can call this).
 *
 * libpikos is dlopen'ed, so a plain __thread variable would cost a
 * __tls_get_addr call per reading (about 11 instructions); the
 * initial-exec model makes it one %fs-relative load, as for the hook's
 * re-entrancy flag (glibc keeps static TLS room for such libraries).
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static __thread uint64_t cached_id __attribute__((tls_model("initial-exec")));
static pthread_once_t watch_fork_once = PTHREAD_ONCE_INIT;

static void forget_in_child(void)
{
    cached_id = 0;
}

static void watch_fork(void)
{
    pthread_atfork(NULL, NULL, forget_in_child);
}

uint64_t pikos_os_thread_id(void)
{
    if (cached_id == 0) {
        pthread_once(&watch_fork_once, watch_fork);
        cached_id = (uint64_t)syscall(SYS_gettid);
    }
    return cached_id;
}
