/*
 * cli/ending.c - how the program ended, told in one line when it did not
 * end normally, and passed on as python3 would have ended.
 *
 *   monitoring stopped, status N    N (no line): the program's own status,
 *                                   or 2 when it succeeded but pikos had an
 *                                   error (reported already)
 *   killed by a signal              "pikos: the program was killed by
 *                                   SIGSEGV [in [plugin] callback]", then
 *                                   this process ends by that signal
 *   ended before monitoring stopped "pikos: the program ended with status N
 *   (os._exit, exec)                before monitoring stopped (os._exit or
 *                                   exec)"; status N
 *   pikos refused to start          status 2 (the child said why)
 *   the interpreter did not start   "pikos: cannot run ..."; status 2
 *
 * Whatever the ending, the records the program made were written first
 * (run.c).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

/* "SIGSEGV" */
static const char *signal_name(int sig, char *buf, size_t size)
{
    const char *abbrev = sigabbrev_np(sig);

    if (abbrev != NULL)
        snprintf(buf, size, "SIG%s", abbrev);
    else
        snprintf(buf, size, "signal %d", sig);
    return buf;
}

/* Ends this process by `sig`, as the program ended, so that a parent
   sees what it would see of python3.  Without a core file of this
   process: the program's is the one that matters. */
static int die_by_signal(int sig)
{
    struct rlimit no_core = {0, 0};
    sigset_t set;

    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig; /* it was not fatal after all */
}

static int killed(const struct pikos_durable *run, int sig)
{
    char name[32];

    if (run->crash[0] != '\0')
        pikos_cli_error("the program was killed by %s in %s",
                        signal_name(sig, name, sizeof(name)), run->crash);
    else
        pikos_cli_error("the program was killed by %s",
                        signal_name(sig, name, sizeof(name)));
    return die_by_signal(sig);
}

static int exited(const struct pikos_durable *run,
                  const struct pikos_cli_args *args, int code)
{
    switch (run->state) {
    case PIKOS_RUN_BOOTING:
        if (run->exec_errno != 0) {
            pikos_cli_error("cannot run '%s': %s", pikos_cli_interpreter(args),
                            strerror(run->exec_errno));
            return PIKOS_CLI_EXIT_USAGE;
        }
        if (code != PIKOS_CLI_EXIT_USAGE) /* else its sitecustomize.py said */
            pikos_cli_error("'%s' did not load pikos (was it started with "
                            "-S, -I or -E?): the program ran unmonitored",
                            pikos_cli_interpreter(args));
        return code != 0 ? code : PIKOS_CLI_EXIT_USAGE;
    case PIKOS_RUN_RUNNING:
        pikos_cli_error("the program ended with status %d before monitoring "
                        "stopped (os._exit or exec); its records are kept",
                        code);
        break;
    }
    return code == 0 && run->pikos_failed ? PIKOS_CLI_EXIT_USAGE : code;
}

int pikos_cli_ending(const struct pikos_durable *run,
                     const struct pikos_cli_args *args, int status)
{
    if (WIFSIGNALED(status))
        return killed(run, WTERMSIG(status));
    return exited(run, args, WEXITSTATUS(status));
}
