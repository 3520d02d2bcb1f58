/*
 * core/registry_probe.c - a check run in a child process.
 *
 * Opening a plugin's library runs its constructors, and checking its
 * descriptor reads memory the library laid out: either can crash, and a
 * crash would take down whatever asked (`pikos plugins`, a run, a Python
 * program).  So, as GStreamer's plugin scanner does, the registry does
 * both first in a child made by fork (registry_load.c).  The child writes
 * its verdict, a struct pikos_error, to a pipe and ends; when it dies (or
 * hangs) instead, how it died is the verdict: "LIBRARY: crashed while
 * loading (SIGSEGV): ...".
 *
 * The child may be forked from a process with other threads (Python's),
 * which do not exist in it: it does the least it can (the check, one
 * write, _exit), calls no Python, runs no atexit handler and flushes none
 * of the stdio buffers it shares with its parent.  glibc's fork leaves
 * malloc and the dynamic loader usable in the child, which the check needs.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* A library still loading after this long is taken as hung: loading one
   takes milliseconds, even under a sanitizer. */
#define PROBE_TIMEOUT_S 30

/* ------------------------------------------------------------ the child */

/* The inherited crash handlers (pikos's own, Python's faulthandler) would
   report the parent's state: a crash is the child's to die of, quietly,
   and the crash expected of a broken plugin leaves no core file. */
static void quiet_crashes(void)
{
    static const int fatal[] = {SIGSEGV, SIGBUS,  SIGABRT, SIGFPE,
                                SIGILL,  SIGTRAP, SIGSYS};
    const struct rlimit no_core = {0, 0};
    struct sigaction action = {.sa_handler = SIG_DFL};

    for (size_t i = 0; i < sizeof(fatal) / sizeof(*fatal); i++)
        sigaction(fatal[i], &action, NULL);
    setrlimit(RLIMIT_CORE, &no_core);
}

static void write_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        size -= (size_t)n;
    }
}

static _Noreturn void run_child(int fd, pikos_probe_check check, void *arg)
{
    struct pikos_error verdict = {0};

    quiet_crashes();
    verdict.code = check(arg, &verdict);
    /* One write of 1 KiB: whole or nothing, as it is below PIPE_BUF. */
    write_all(fd, (const char *)&verdict, sizeof(verdict));
    _exit(0);
}

/* ------------------------------------------------------------ the parent */

/* Bytes of the verdict read (all of it, or fewer when the child died
   first), or -1 when the child took too long. */
static ssize_t read_verdict(int fd, struct pikos_error *verdict)
{
    char *into = (char *)verdict;
    size_t got = 0;

    while (got < sizeof(*verdict)) {
        struct pollfd ready = {.fd = fd, .events = POLLIN};
        int polled = poll(&ready, 1, PROBE_TIMEOUT_S * 1000);
        ssize_t n;
        if (polled == 0)
            return -1;
        n = polled < 0 ? -1 : read(fd, into + got, sizeof(*verdict) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* -1 when the child is not ours to wait for (SIGCHLD ignored: reaped). */
static int wait_child(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static const char *signal_name(int sig, char *buf, size_t size)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {{SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"},   {SIGABRT, "SIGABRT"},
                 {SIGFPE, "SIGFPE"},   {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"},
                 {SIGSYS, "SIGSYS"},   {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}};

    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (names[i].sig == sig)
            return names[i].name;
    snprintf(buf, size, "signal %d", sig);
    return buf;
}

/* The verdict of a child that gave none: how it ended. */
static int how_it_ended(pid_t pid, int hung, const char *label,
                        struct pikos_error *why)
{
    char name[32];
    int status;

    if (hung)
        kill(pid, SIGKILL);
    if (wait_child(pid, &status) < 0)
        return pikos_error_set(why, PIKOS_EPLUGIN,
                               "%s: ended while loading, how is unknown: fix "
                               "or remove the plugin",
                               label);
    if (hung)
        return pikos_error_set(why, PIKOS_EPLUGIN,
                               "%s: still loading after %d s, stopped: fix or "
                               "remove the plugin",
                               label, PROBE_TIMEOUT_S);
    if (WIFSIGNALED(status))
        return pikos_error_set(why, PIKOS_EPLUGIN,
                               "%s: crashed while loading (%s): fix or remove "
                               "the plugin",
                               label,
                               signal_name(WTERMSIG(status), name, sizeof(name)));
    return pikos_error_set(why, PIKOS_EPLUGIN,
                           "%s: exited with status %d while loading: fix or "
                           "remove the plugin",
                           label, WEXITSTATUS(status));
}

/* The child's own verdict, once it is reaped. */
static int take_verdict(pid_t pid, struct pikos_error *verdict,
                        struct pikos_error *why)
{
    int status;

    wait_child(pid, &status);
    verdict->message[sizeof(verdict->message) - 1] = '\0';
    if (verdict->code != PIKOS_OK && why != NULL)
        *why = *verdict;
    return verdict->code;
}

/* Forks the child that runs the check; *fd is the end of the pipe its
   verdict comes through.  -1 (errno set) when no child could be made. */
static pid_t start_child(pikos_probe_check check, void *arg, int *fd)
{
    int fds[2], saved;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_child(fds[1], check, arg);
    }
    saved = errno;
    close(fds[1]);
    if (pid < 0)
        close(fds[0]);
    *fd = fds[0];
    errno = saved; /* the caller may tell why no child could be made */
    return pid;
}

int pikos_probe(pikos_probe_check check, void *arg, const char *label,
                struct pikos_error *why)
{
    struct pikos_error verdict;
    ssize_t got;
    int fd;
    pid_t pid = start_child(check, arg, &fd);

    if (pid < 0)
        return 1;
    got = read_verdict(fd, &verdict);
    close(fd);
    if (got != (ssize_t)sizeof(verdict))
        return how_it_ended(pid, got < 0, label, why);
    return take_verdict(pid, &verdict, why);
}
