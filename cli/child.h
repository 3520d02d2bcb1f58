/*
 * cli/child.h - what run.c asks of child.c (starting the interpreter) and
 * ending.c (telling how it ended).
 */
#ifndef PIKOS_CLI_CHILD_H
#define PIKOS_CLI_CHILD_H

#include <sys/types.h>

#include "cli.h"
#include "durable.h"

/* --python, $PIKOS_PYTHON or "python3". */
const char *pikos_cli_interpreter(const struct pikos_cli_args *args);
/* The boot directory, absolute and malloc'ed; NULL (reported). */
char *pikos_cli_boot_dir(void);
/* Writes the run's arguments into the region; -1 (reported). */
int pikos_cli_child_config(struct pikos_durable *run,
                           const struct pikos_cli_args *args,
                           const char *boot_dir);
/* Whether the interpreter gets a process group of its own: when no
   terminal is in use (run.c says why). */
int pikos_cli_child_own_group(void);
/* Forks the interpreter with the program's command line; its pid, or -1
   (reported). */
pid_t pikos_cli_child_start(struct pikos_durable *run, int fd,
                            const struct pikos_cli_args *args,
                            const char *boot_dir);

/* ------------------------------------------------------------ salvage.c */

/* The run's private directory of state buffers (under /dev/shm, else
   $TMPDIR or /tmp), malloc'ed; NULL when none can be made (outputs that
   keep state then keep it in memory only). */
char *pikos_cli_state_dir_make(void);
/* Removes the directory and its files, frees *dir and sets it NULL. */
void pikos_cli_state_dir_remove(char **dir);
/* Has each instance the ended program left with state, unfinalized,
   write its output (pikos-tools salvage); failures are told in one line
   each. */
void pikos_cli_salvage_states(const struct pikos_durable *run,
                              const struct pikos_cli_args *args,
                              const char *dir);

/* The exit status of the run, once the interpreter ended with wait
   status `status`: tells in one line how the program ended when it did
   not end normally, and ends this process by the same signal when it was
   killed by one (then does not return). */
int pikos_cli_ending(const struct pikos_durable *run,
                     const struct pikos_cli_args *args, int status);

#endif /* PIKOS_CLI_CHILD_H */
