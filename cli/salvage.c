/*
 * cli/salvage.c - the outputs a program left unwritten, written by the
 * supervisor once it ended (run.c, step 3).
 *
 * A recorder that writes its file only at finalize (recorders/profile)
 * keeps what the file is made from in state buffers (core/state.c): files
 * of a private directory this process makes before the program starts and
 * removes once it ended, whatever happened.  When the program ends before
 * monitoring stopped, each instance the region lists as having state and
 * not finalized is made again from its spec and writes its file from what
 * the program left: by pikos-tools salvage (salvage_cmd.c), since this
 * program links only libc and making a plugin's instance takes libpikos.
 * The instance is made again in the directory it was made in (the record
 * keeps it: the program may have changed directory before it made one
 * through the Python API), so that a relative filename names the same
 * file; recorders/profile also keeps its file's path absolute.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

#ifndef PIKOS_TOOLS
#error "PIKOS_TOOLS must name the installed pikos-tools"
#endif

/* ------------------------------------------------------------ directory */

/* mkdtemp in `parent`; NULL when it cannot be made there. */
static char *make_in(const char *parent)
{
    char *dir = NULL;

    if (parent == NULL || parent[0] == '\0' ||
        asprintf(&dir, "%s/pikos-state-XXXXXX", parent) < 0)
        return NULL;
    if (mkdtemp(dir) != NULL)
        return dir;
    free(dir);
    return NULL;
}

/* Memory first (/dev/shm): the buffers are written on every new call
   path, and nothing has to reach a disk. */
char *pikos_cli_state_dir_make(void)
{
    char *dir = make_in("/dev/shm");

    if (dir == NULL)
        dir = make_in(getenv("TMPDIR"));
    if (dir == NULL)
        dir = make_in("/tmp");
    return dir;
}

void pikos_cli_state_dir_remove(char **dir)
{
    DIR *listing = *dir != NULL ? opendir(*dir) : NULL;
    struct dirent *entry;

    if (listing != NULL) {
        while ((entry = readdir(listing)) != NULL)
            if (entry->d_name[0] != '.')
                unlinkat(dirfd(listing), entry->d_name, 0);
        closedir(listing);
    }
    if (*dir != NULL)
        rmdir(*dir);
    free(*dir);
    *dir = NULL;
}

/* ------------------------------------------------------------ salvage */

static const char *tools_path(void)
{
    const char *env = getenv("PIKOS_TOOLS");
    return env != NULL && env[0] != '\0' ? env : PIKOS_TOOLS;
}

/* The spec's parts ("kind/name", "key=value"...) after the options. */
static size_t add_spec(const char **argv, size_t n,
                       const struct pikos_durable_record *record)
{
    size_t len = record->spec_len < sizeof(record->spec) ? record->spec_len
                                                         : sizeof(record->spec);
    for (size_t at = 0; at < len; at += strlen(record->spec + at) + 1)
        argv[n++] = record->spec + at;
    return n;
}

static int is_monitor(const struct pikos_durable_record *record)
{
    return strncmp(record->spec, "monitors/", 9) == 0;
}

/* pikos-tools salvage --state-dir DIR --record K [--cwd DIR]
   [--plugin-path P]... [--run-plugin SPEC]... [--run-output O]
   [--run-focused-on F] -- kind/name [key=value]...: a monitor's records
   go to the run's recorders, made again from the run's own arguments
   (--run-*).  NULL when out of memory. */
static const char **salvage_argv(const struct pikos_durable_record *record,
                                 const struct pikos_cli_args *args,
                                 const char *dir, const char *number)
{
    const char **argv = calloc(16 + 2 * args->npaths + 2 * args->nspecs +
                                   sizeof(record->spec),
                               sizeof(*argv));
    size_t n = 0;

    if (argv == NULL)
        return NULL;
    argv[n++] = tools_path();
    argv[n++] = "salvage";
    argv[n++] = "--state-dir";
    argv[n++] = dir;
    argv[n++] = "--record";
    argv[n++] = number;
    if (record->cwd[0] != '\0' &&
        memchr(record->cwd, '\0', sizeof(record->cwd)) != NULL) {
        argv[n++] = "--cwd";
        argv[n++] = record->cwd;
    }
    for (size_t i = 0; i < args->npaths; i++) {
        argv[n++] = "--plugin-path";
        argv[n++] = args->plugin_paths[i];
    }
    if (is_monitor(record)) {
        argv[n++] = "--run-pipeline";
        for (size_t i = 0; i < args->nspecs; i++) {
            argv[n++] = "--run-plugin";
            argv[n++] = args->specs[i];
        }
        if (args->output != NULL) {
            argv[n++] = "--run-output";
            argv[n++] = args->output;
        }
        if (args->focused_on != NULL) {
            argv[n++] = "--run-focused-on";
            argv[n++] = args->focused_on;
        }
    }
    argv[n++] = "--";
    add_spec(argv, n, record);
    return argv;
}

/* Runs pikos-tools salvage for one record and waits for it; it reports
   its own failure in one line. */
static void salvage_one(const struct pikos_durable_record *record,
                        const struct pikos_cli_args *args, const char *dir,
                        unsigned index)
{
    char number[16];
    const char **argv;
    pid_t pid;
    int status;

    snprintf(number, sizeof(number), "%u", index);
    argv = salvage_argv(record, args, dir, number);
    if (argv == NULL || (pid = fork()) < 0) {
        pikos_cli_error("cannot write what the program left: %s",
                        strerror(errno ? errno : ENOMEM));
        free(argv);
        return;
    }
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        pikos_cli_error("cannot run %s: %s (is pikos installed?)", argv[0],
                        strerror(errno));
        _exit(PIKOS_CLI_EXIT_USAGE);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    free(argv);
}

/* Recorders first, then monitors: a monitor's salvage makes the run's
   recorders again and writes into them after what the recorders' own
   salvages wrote (recorders/profile's file is then written whole again,
   with the monitor's records). */
void pikos_cli_salvage_states(const struct pikos_durable *run,
                              const struct pikos_cli_args *args,
                              const char *dir)
{
    for (int monitors = 0; monitors <= 1; monitors++)
        for (unsigned i = 0; dir != NULL && i < PIKOS_DURABLE_STATES; i++) {
            const struct pikos_durable_record *record = &run->states[i];
            if (record->in_use && record->active && record->spec_len > 0 &&
                is_monitor(record) == monitors)
                salvage_one(record, args, dir, i);
        }
}
