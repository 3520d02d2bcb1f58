/*
 * plugins/recorders/perfetto/process.{c,h} - what the trace says of the
 * process: its pid, its command line (/proc/self/cmdline) and the name
 * of the program python3 runs in it, read once when the recorder starts.
 */
#ifndef PIKOS_PERFETTO_PROCESS_H
#define PIKOS_PERFETTO_PROCESS_H

#include <stddef.h>
#include <stdint.h>

struct process_info {
    int32_t pid;
    const char *name; /* the program: its script's file name, the -m
                         module, "-c", "-", else the executable's name */
    char **args;      /* the command line, nargs arguments */
    size_t nargs;
    size_t cmdline_size; /* the bytes of all arguments together */
    char *cmdline;       /* the arguments' text, NUL after each */
};

/* Reads the current process's.  Returns 0, or -1 when out of memory
   (a command line that cannot be read leaves the arguments empty). */
int process_info_read(struct process_info *info);
void process_info_free(struct process_info *info);

/* The program python3 runs, from its arguments (exposed for tests). */
const char *process_program_name(char *const *args, size_t nargs);

#endif /* PIKOS_PERFETTO_PROCESS_H */
