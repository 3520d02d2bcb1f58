/*
 * cli/run.c - one run of `pikos [options] app.py [args]` (or -m, -c, -).
 *
 * pikos runs the program where and as `python3 app.py` would: in the
 * user's interpreter (child.c), with pikos loaded into it before the
 * program (python/boot/boot.c, core/program.c).  This process stays
 * beside it as a small supervisor:
 *   1. it checks what it can before anything starts (the script exists),
 *      creates the region it shares with the interpreter (core/durable.h)
 *      and starts the interpreter;
 *   2. it passes on the signals sent to it, each once (below);
 *   3. once the interpreter has ended, however it ended, it writes what
 *      the outputs had not written yet - their buffers' tails, and the
 *      files of recorders that write at the end from state they kept
 *      (salvage.c) - tells how the program ended when that was not
 *      normal, and ends as the program did (ending.c).
 * Bad plugins and options are found by the interpreter before the program
 * starts: one "pikos: ..." line, status 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

/*
 * Signals.  With a terminal, the interpreter shares this process's group,
 * so that job control (^C, ^Z, reading the terminal) works as for
 * python3: a signal the kernel sends (^C) reaches both, and only those
 * sent to this process by another (kill PID) are passed on.  Without a
 * terminal the interpreter has a group of its own, and every signal for
 * this process (to it alone, or to its whole group, as timeout, job
 * managers and killpg send them) is passed on to that group once: the
 * program and the processes it started get it, as they would under
 * python3 in a group signalled as a whole.
 */
static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t child_group; /* the child has its own */

/* The signals a user sends to stop or poke a program. */
static const int passed_on[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT,
                                SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

static void pass_on(int sig, siginfo_t *info, void *context)
{
    (void)context;
    if (child_pid <= 0)
        return;
    if (child_group)
        kill(-(pid_t)child_pid, sig);
    else if (info->si_code != SI_KERNEL)
        kill((pid_t)child_pid, sig);
}

static void pass_signals_on(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof(action));
    action.sa_sigaction = pass_on;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof(passed_on) / sizeof(*passed_on); i++)
        sigaction(passed_on[i], &action, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed screen must not stop the salvage */
}

/* python3 reports a missing script too, but pikos says it before
   starting anything.  Directories, zip files and `-` are python3's. */
static int check_script(const char *script)
{
    struct stat st;

    if (script == NULL || strcmp(script, "-") == 0 || stat(script, &st) == 0)
        return 0;
    pikos_cli_error("cannot open script '%s': %s", script, strerror(errno));
    return -1;
}

static int wait_for(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* Steps 2 and 3, once the interpreter runs.  The state directory goes
   before the ending, which may end this process by a signal. */
static int supervise(struct pikos_durable *run,
                     const struct pikos_cli_args *args, pid_t pid,
                     char **state_dir)
{
    int status;

    child_pid = pid;
    child_group = pikos_cli_child_own_group();
    pass_signals_on();
    status = wait_for(pid);
    child_pid = 0;
    if (status == -1) {
        pikos_cli_error("lost the program: %s", strerror(errno));
        return PIKOS_CLI_EXIT_USAGE;
    }
    pikos_durable_salvage(run);
    pikos_cli_salvage_states(run, args, *state_dir);
    pikos_cli_state_dir_remove(state_dir);
    return pikos_cli_ending(run, args, status);
}

int pikos_cli_run(const struct pikos_cli_args *args)
{
    struct pikos_durable *run = NULL;
    char *boot_dir = NULL, *state_dir = NULL;
    int status = PIKOS_CLI_EXIT_USAGE, fd = -1;
    pid_t pid;

    if (check_script(args->script) < 0 ||
        (boot_dir = pikos_cli_boot_dir()) == NULL)
        return status;
    run = pikos_durable_create(&fd);
    if (run == NULL)
        pikos_cli_error("cannot share memory with the program: %s",
                        strerror(errno));
    else if ((state_dir = pikos_cli_state_dir_make()) != NULL &&
             pikos_durable_config_add(run, "state_dir", state_dir) < 0)
        pikos_cli_error("the state directory's name is too long: %s",
                        state_dir);
    else if (pikos_cli_child_config(run, args, boot_dir) == 0 &&
             (pid = pikos_cli_child_start(run, fd, args, boot_dir)) > 0)
        status = supervise(run, args, pid, &state_dir);
    pikos_cli_state_dir_remove(&state_dir);
    if (fd >= 0)
        close(fd);
    pikos_durable_destroy(run);
    free(boot_dir);
    return status;
}
