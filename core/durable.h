/*
 * core/durable.h - the memory the `pikos` command shares with the Python
 * process it runs, so that no record is lost however that process ends.
 *
 * The command (the supervisor) creates one shared region before it starts
 * the interpreter and hands it over as an inherited file descriptor.  In
 * the interpreter, libpikos attaches to it: every output buffer lives in a
 * slot of the region, and a slot's `used` counts only whole records.  When
 * the process ends without flushing (os._exit, exec, SIGKILL, a crash), the
 * supervisor writes each slot's tail where the process would have.  The
 * region also carries the run's arguments to the interpreter, how far the
 * run got (state), whether pikos itself failed, and which plugin callback
 * was running when a fatal signal arrived.
 *
 * Not an installed header: only the pikos command, its boot module and
 * libpikos use it, all of one build.
 */
#ifndef PIKOS_DURABLE_H
#define PIKOS_DURABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pikos/plugin.h>

#define PIKOS_DURABLE_MAGIC UINT64_C(0x31727564736f6b70) /* "pkosdur1" */
#define PIKOS_DURABLE_SLOTS 16
#define PIKOS_DURABLE_BUFFER (64 * 1024)
#define PIKOS_DURABLE_CONFIG (16 * 1024)
#define PIKOS_DURABLE_PATH 4096

#define PIKOS_DURABLE_STATES 8
#define PIKOS_DURABLE_SPEC 4096

/* The environment variable naming the region's descriptor in the child. */
#define PIKOS_DURABLE_ENV "PIKOS_SUPERVISOR_FD"

enum pikos_durable_state {
    PIKOS_RUN_BOOTING = 0, /* the interpreter has not loaded pikos yet */
    PIKOS_RUN_READY = 1,   /* pikos waits for the program's first line */
    PIKOS_RUN_RUNNING = 2, /* the program runs, monitored */
    PIKOS_RUN_STOPPED = 3, /* monitoring stopped, outputs flushed */
    PIKOS_RUN_FAILED = 4   /* pikos refused to start (reported, exit 2) */
};

/* One output: its buffer, its ending, and where its bytes go. */
struct pikos_durable_slot {
    uint32_t in_use;
    uint32_t to_stdout;   /* the screen: file descriptor 1 */
    uint32_t writing;     /* set around the write(2) of a flush */
    uint32_t ending_len;  /* bytes of `ending`; 0: none (set last) */
    uint64_t file_offset; /* where buffer[0] goes in the file */
    uint64_t used;        /* bytes of whole records in buffer */
    char path[PIKOS_DURABLE_PATH]; /* absolute path of a file output */
    char buffer[PIKOS_DURABLE_BUFFER];
    /* What goes after everything else (host->output_set_ending): the
       salvage writes it after the tail and, for a file, cuts the file
       there, so that a big write the process left half done does not
       follow it. */
    char ending[PIKOS_OUTPUT_ENDING_MAX];
};

/*
 * An instance with durable state (host->state_resize, ABI 1.4): its
 * buffers are the files "RECORD.ID" of the run's state directory (config
 * "state_dir", made and removed by the command), and `spec` says how to
 * make the same instance again in the command (pikos-tools salvage).
 */
struct pikos_durable_record {
    uint32_t in_use;   /* set last, once `spec` is written */
    uint32_t active;   /* between its start and the end of its finalize:
                          the command salvages it */
    uint32_t spec_len; /* bytes of `spec` */
    uint32_t reserved;
    char spec[PIKOS_DURABLE_SPEC]; /* "kind/name\0key=value\0..." */
    /* The directory the instance was made in, where its relative file
       names are ("": unknown, the command's own). */
    char cwd[PIKOS_DURABLE_PATH];
};

struct pikos_durable {
    uint64_t magic;
    uint32_t state;        /* enum pikos_durable_state */
    uint32_t pikos_failed; /* a plugin error or an unmatched focus: a run
                              that succeeded exits with status 2 */
    char crash[256];       /* "[kind/name] callback" of a fatal signal */
    int32_t exec_errno;    /* the interpreter could not be started */
    uint32_t config_len;
    char config[PIKOS_DURABLE_CONFIG]; /* "key=value\0" entries */
    struct pikos_durable_slot slots[PIKOS_DURABLE_SLOTS];
    struct pikos_durable_record states[PIKOS_DURABLE_STATES];
};

/* "DIR/RECORD.ID", the file of one state buffer; -1 when it does not fit
   in `cap` bytes. */
static inline int pikos_durable_state_path(char *buf, size_t cap,
                                           const char *dir, unsigned record,
                                           unsigned id)
{
    int n = snprintf(buf, cap, "%s/%u.%u", dir, record, id);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

/* ------------------------------------------------------------ supervisor */

/* A new zeroed region; *fd is its descriptor (close-on-exec).  NULL with
   errno set. */
PIKOS_EXPORT struct pikos_durable *pikos_durable_create(int *fd);
/* Appends "key=value" to the configuration; -1 when it is full. */
PIKOS_EXPORT int pikos_durable_config_add(struct pikos_durable *run,
                                          const char *key, const char *value);
/* Writes what the ended process left in its buffers to its outputs,
   then each one's ending; returns the number of bytes written back. */
PIKOS_EXPORT size_t pikos_durable_salvage(struct pikos_durable *run);
PIKOS_EXPORT void pikos_durable_destroy(struct pikos_durable *run);

/* ------------------------------------------------------------ child */

/* Maps the region the supervisor handed over (the descriptor is closed);
   NULL when `fd` is not one.  Later outputs use its slots. */
PIKOS_EXPORT struct pikos_durable *pikos_durable_attach(int fd);
/* The attached region, or NULL (none, or a forked child's). */
PIKOS_EXPORT struct pikos_durable *pikos_durable_current(void);
/* The value of the first "key=" entry from index *pos on (advancing *pos
   past it), or NULL when there is none. */
PIKOS_EXPORT const char *pikos_durable_config_next(const struct pikos_durable *run,
                                                   const char *key,
                                                   size_t *pos);
PIKOS_EXPORT void pikos_durable_set_state(uint32_t state);
PIKOS_EXPORT void pikos_durable_set_failed(void);

/* ------------------------------------------------------------ salvage */

struct pikos_error;
/* In pikos-tools salvage: has `inst` (made from the spec of record
   `record`) rebuild its output from the state buffers the ended process
   left in `dir` (its `salvage` callback).  0, or a negative code with
   *err set ("[kind/name] ..."). */
PIKOS_EXPORT int pikos_instance_salvage(struct pikos_instance *inst,
                                        const char *dir, unsigned record,
                                        struct pikos_error *err);

/* In pikos-tools salvage, for a monitor that kept its records in state
   buffers (monitors/allocations): `pipe` is the run's pipeline made again
   (from the same arguments, before which pikos_outputs_resume(1) was
   called, so that stream recorders go on after what the ended process
   wrote and their headers are not written twice).  Its filters and
   recorders start and are prepared as at a start, the monitor made from
   `spec` (spec_len bytes, as the record holds it) emits its records from
   the buffers in its `salvage`, then the filters stop and the recorders
   flush, stop and finalize.  No monitor starts: Python does not run.  0,
   or a negative code with *err set. */
struct pikos_pipeline;
PIKOS_EXPORT int pikos_pipeline_salvage(struct pikos_pipeline *pipe,
                                        const char *spec, size_t spec_len,
                                        const char *dir, unsigned record,
                                        struct pikos_error *err);
/* Outputs opened while `on` (by recorders without a salvage) go on after
   what their file holds and drop what they are given until
   pikos_outputs_unmute: a resumed recorder's header is not written
   again. */
PIKOS_EXPORT void pikos_outputs_resume(int on);
PIKOS_EXPORT void pikos_outputs_unmute(void);

#endif /* PIKOS_DURABLE_H */
