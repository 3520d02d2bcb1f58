/*
 * cli/child.c - starting the interpreter that runs the program.
 *
 * The interpreter is the user's: --python, else $PIKOS_PYTHON, else the
 * `python3` the caller's PATH finds (an activated venv, a conda env, a
 * pyenv shim), started with the program's own command line (`python3
 * app.py args`, `-m`, `-c`, `-`), so that python3 itself reads the program
 * and sets sys.argv, sys.orig_argv, sys.path, sys.executable and the
 * flags.  Two environment variables load pikos into it and are taken away
 * by pikos before the program starts (python/boot/boot.c): PYTHONPATH gets
 * the boot directory first (its `sitecustomize` is pikos's), and
 * PIKOS_SUPERVISOR_FD names the shared region (core/durable.h), which
 * also carries the run's arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "child.h"

#ifndef PIKOS_BOOT_DIR
#error "PIKOS_BOOT_DIR must name the installed boot directory"
#endif

const char *pikos_cli_interpreter(const struct pikos_cli_args *args)
{
    const char *env = getenv("PIKOS_PYTHON");

    if (args->python != NULL)
        return args->python;
    return env != NULL && env[0] != '\0' ? env : "python3";
}

/* The boot directory, absolute: $PIKOS_BOOT_DIR (a build tree) or the
   installed one.  NULL (reported) when it is missing. */
char *pikos_cli_boot_dir(void)
{
    const char *env = getenv("PIKOS_BOOT_DIR");
    const char *dir = env != NULL && env[0] != '\0' ? env : PIKOS_BOOT_DIR;
    char *resolved = realpath(dir, NULL);

    if (resolved == NULL)
        pikos_cli_error("cannot find pikos's boot directory '%s': %s "
                        "(is pikos installed?)",
                        dir, strerror(errno));
    return resolved;
}

/* ------------------------------------------------------------ arguments */

static int add_all(struct pikos_durable *run, const char *key,
                   const char *const *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (pikos_durable_config_add(run, key, values[i]) < 0)
            return -1;
    return 0;
}

static int add_one(struct pikos_durable *run, const char *key,
                   const char *value)
{
    return value != NULL ? pikos_durable_config_add(run, key, value) : 0;
}

int pikos_cli_child_config(struct pikos_durable *run,
                           const struct pikos_cli_args *args,
                           const char *boot_dir)
{
    if (add_all(run, "plugin", args->specs, args->nspecs) < 0 ||
        add_all(run, "plugin_path", args->plugin_paths, args->npaths) < 0 ||
        add_one(run, "output", args->output) < 0 ||
        add_one(run, "focused_on", args->focused_on) < 0 ||
        add_one(run, "script", args->script) < 0 ||
        add_one(run, "module", args->module) < 0 ||
        add_one(run, "boot_dir", boot_dir) < 0 ||
        add_one(run, "pythonpath", getenv("PYTHONPATH")) < 0) {
        pikos_cli_error("the command line is too long for pikos (%d bytes "
                        "of plugin options at most)",
                        PIKOS_DURABLE_CONFIG);
        return -1;
    }
    return 0;
}

/* python3's command line: the interpreter, then the program's own. */
static char **program_argv(const struct pikos_cli_args *args,
                           const char *python)
{
    char **argv = calloc((size_t)args->program_argc + 4, sizeof(*argv));
    int n = 0;

    if (argv == NULL)
        return NULL;
    argv[n++] = (char *)python;
    if (args->module != NULL) {
        argv[n++] = "-m";
        argv[n++] = (char *)args->module;
    } else if (args->command != NULL) {
        argv[n++] = "-c";
        argv[n++] = (char *)args->command;
    } else {
        argv[n++] = (char *)args->script;
    }
    for (int i = 0; i < args->program_argc; i++)
        argv[n++] = args->program_argv[i];
    return argv;
}

/* ------------------------------------------------------------ the child */

/* PYTHONPATH=boot_dir[:PYTHONPATH] and the region's descriptor. */
static int child_environment(const char *boot_dir, int fd)
{
    const char *old = getenv("PYTHONPATH");
    char number[16];
    char *path = malloc(strlen(boot_dir) + (old ? strlen(old) : 0) + 2);

    if (path == NULL)
        return -1;
    strcpy(path, boot_dir);
    if (old != NULL && old[0] != '\0') {
        strcat(path, ":");
        strcat(path, old);
    }
    snprintf(number, sizeof(number), "%d", fd);
    return setenv("PYTHONPATH", path, 1) | setenv(PIKOS_DURABLE_ENV, number, 1);
}

int pikos_cli_child_own_group(void)
{
    return !isatty(STDIN_FILENO) && !isatty(STDOUT_FILENO) &&
           !isatty(STDERR_FILENO);
}

/* In the forked child: dies with the command (as python3 would die with
   it by SIGKILL), keeps the region's descriptor across exec, and becomes
   the interpreter.  Never returns. */
static void become_interpreter(struct pikos_durable *run, int fd,
                               const char *boot_dir, char **argv)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (pikos_cli_child_own_group())
        setpgid(0, 0);
    if (fcntl(fd, F_SETFD, 0) < 0 || child_environment(boot_dir, fd) < 0)
        run->exec_errno = errno ? errno : ENOMEM;
    else {
        execvp(argv[0], argv);
        run->exec_errno = errno;
    }
    _exit(127);
}

pid_t pikos_cli_child_start(struct pikos_durable *run, int fd,
                            const struct pikos_cli_args *args,
                            const char *boot_dir)
{
    char **argv = program_argv(args, pikos_cli_interpreter(args));
    pid_t pid;

    if (argv == NULL) {
        pikos_cli_error("out of memory");
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0)
        become_interpreter(run, fd, boot_dir, argv);
    if (pid > 0 && pikos_cli_child_own_group())
        setpgid(pid, pid); /* also here: a signal may come before exec */
    if (pid < 0)
        pikos_cli_error("cannot start %s: %s", argv[0], strerror(errno));
    free(argv);
    return pid;
}
