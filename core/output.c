/*
 * core/output.c - buffered outputs owned by the host.
 *
 * Recorders write through these instead of stdio: each output is a 64 KiB
 * buffer over a file descriptor, so writing a record is a memcpy.  Every
 * open output is on one global list, which lets the host flush them all at
 * exit (atexit) or before a fatal signal ends the process.
 *
 * Fork safety: a child created by fork() inherits the parent's buffers and
 * descriptors.  If it flushed them, the parent's pending bytes would be
 * written twice and the child's records would be mixed into the parent's
 * file.  So a pthread_atfork handler marks every output that exists at the
 * fork as inherited in the child: its buffer is dropped, writes and flushes
 * do nothing, and closing it only releases the memory (and the child's copy
 * of the descriptor).
 *
 * When a write fails, the error is kept: later writes are dropped and
 * flush/close return PIKOS_EIO with errno set to the cause (also available
 * from pikos_output_errno).  The first failure is also reported once to
 * the output's owner (the plugin instance the host opened it for), so that
 * a recorder only passes on what the host returned.
 *
 * Durability: under the pikos command the buffer is a slot of the region
 * shared with it (durable.h), and `used` there counts whole records only
 * (every write and commit is a whole record, or a whole header), so that
 * whatever the process leaves unflushed, however it ends, the command
 * writes to the output after it.  A file's slot also keeps where its
 * buffer goes in the file.  In a forked child the inherited outputs move
 * to buffers of their own and never touch the parent's slots again.
 *
 * An output's ending (pikos_output_set_ending: a format's closing
 * brackets) lives in its slot too: written at close after everything
 * else, or by the command after the tail of a process that died.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "internal.h"

#define OUTPUT_BUFFER_SIZE PIKOS_DURABLE_BUFFER

struct pikos_output {
    struct pikos_output *next; /* in the list of open outputs */
    int fd;
    int owns_fd;     /* 0 for standard output, which is never closed */
    int is_terminal; /* isatty() at open */
    int inherited;   /* opened by the parent of this forked process; or
                        OUTPUT_MUTED (a resumed output until its records
                        come: what it is given is dropped, the same path) */
    int error;       /* errno of the first failed write, or 0 */
    int shared;      /* `slot` is in the region shared with the command */
    /* Who hears of the first failure, and the file's name for it (NULL:
       standard output). */
    struct pikos_instance *owner;
    pikos_output_report_fn report;
    char *name;
    /* The buffer, its bytes of whole records (`used`) and, for a file,
       where it goes; shared or this output's own (malloc'ed). */
    struct pikos_durable_slot *slot;
};

#define OUTPUT_MUTED 2

static pthread_mutex_t outputs_lock = PTHREAD_MUTEX_INITIALIZER;
/* pikos_outputs_resume: outputs opened now go on after what their file
   holds, muted until pikos_outputs_unmute. */
static int resuming;
static struct pikos_output *outputs;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------ writing */

/* The first failure, told to the owner once. */
static void report_failure(struct pikos_output *out)
{
    if (out->report == NULL)
        return;
    if (out->name == NULL)
        out->report(out->owner, PIKOS_EIO,
                    "cannot write to standard output: %s",
                    strerror(out->error));
    else
        out->report(out->owner, PIKOS_EIO, "cannot write to '%s': %s",
                    out->name, strerror(out->error));
    errno = out->error;
}

/* Writes all of data to the descriptor, retrying on EINTR and short
   writes.  Keeps the first error in out->error. */
static int write_all(struct pikos_output *out, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(out->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            out->error = n < 0 ? errno : EIO;
            report_failure(out);
            errno = out->error;
            return PIKOS_EIO;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int flush_buffer(struct pikos_output *out)
{
    if (out->inherited)
        return 0;
    if (out->error) {
        errno = out->error;
        return PIKOS_EIO;
    }
    struct pikos_durable_slot *slot = out->slot;
    size_t used = (size_t)slot->used;
    int rc;

    if (used == 0)
        return 0;
    /* Until `used` is cleared the command would write these bytes again
       (a file's at the same place: harmless). */
    slot->writing = 1;
    rc = write_all(out, slot->buffer, used);
    slot->file_offset += used;
    slot->used = 0;
    slot->writing = 0;
    return rc;
}

int pikos_output_write(struct pikos_output *out, const char *data, size_t len)
{
    if (out->inherited)
        return 0;
    if (out->error) {
        errno = out->error;
        return PIKOS_EIO;
    }
    struct pikos_durable_slot *slot = out->slot;
    if (len <= OUTPUT_BUFFER_SIZE - slot->used) {
        memcpy(slot->buffer + slot->used, data, len);
        slot->used += len;
        return 0;
    }
    int rc = flush_buffer(out);
    if (rc != 0)
        return rc;
    if (len >= OUTPUT_BUFFER_SIZE) {
        rc = write_all(out, data, len); /* too big to be worth copying */
        slot->file_offset += len;
        return rc;
    }
    memcpy(slot->buffer, data, len);
    slot->used = len;
    return 0;
}

char *pikos_output_reserve(struct pikos_output *out, size_t len)
{
    if (out->error || len > OUTPUT_BUFFER_SIZE)
        return NULL;
    if (out->inherited) /* the child's own copy: written, never kept */
        return out->slot != NULL ? out->slot->buffer : NULL;
    if (len > OUTPUT_BUFFER_SIZE - out->slot->used && flush_buffer(out) != 0)
        return NULL;
    return out->slot->buffer + out->slot->used;
}

int pikos_output_commit(struct pikos_output *out, size_t used)
{
    if (out->inherited)
        return 0;
    if (out->error) {
        errno = out->error;
        return PIKOS_EIO;
    }
    out->slot->used += used;
    return 0;
}

int pikos_output_flush(struct pikos_output *out)
{
    return flush_buffer(out);
}

/* Kept in the slot, so that the command writes it after the tail of a
   process that died.  Cleared while it changes and published last: a
   salvage never writes half of one. */
int pikos_output_set_ending(struct pikos_output *out, const char *data,
                            size_t len)
{
    struct pikos_durable_slot *slot = out->slot;

    if (len > PIKOS_OUTPUT_ENDING_MAX)
        return PIKOS_EINVAL;
    if (out->inherited)
        return 0;
    __atomic_store_n(&slot->ending_len, 0, __ATOMIC_RELEASE);
    if (len > 0)
        memcpy(slot->ending, data, len);
    __atomic_store_n(&slot->ending_len, (uint32_t)len, __ATOMIC_RELEASE);
    return 0;
}

/* The ending, after everything else, at close.  The slot keeps it until
   the write returns: a file's salvage meanwhile writes it again at the
   same place (file_offset is not moved past it). */
static int write_ending(struct pikos_output *out)
{
    struct pikos_durable_slot *slot = out->slot;
    int rc;

    if (out->inherited || slot->ending_len == 0)
        return 0;
    rc = write_all(out, slot->ending, slot->ending_len);
    slot->ending_len = 0;
    return rc;
}

int pikos_output_set_owner(struct pikos_output *out,
                           struct pikos_instance *owner,
                           pikos_output_report_fn report, const char *path)
{
    out->owner = owner;
    out->report = report;
    out->name = out->owns_fd ? strdup(path) : NULL;
    return out->owns_fd && out->name == NULL ? PIKOS_ENOMEM : PIKOS_OK;
}

int pikos_output_is_terminal(const struct pikos_output *out)
{
    return out->is_terminal;
}

int pikos_output_errno(const struct pikos_output *out)
{
    return out->error;
}

/* ------------------------------------------------------------ the list */

PIKOS_EXPORT void pikos_outputs_flush_all(void)
{
    pthread_mutex_lock(&outputs_lock);
    for (struct pikos_output *out = outputs; out != NULL; out = out->next)
        flush_buffer(out);
    pthread_mutex_unlock(&outputs_lock);
}

/* Around fork() the lock is held, so the child never inherits it locked
   by a thread that does not exist there. */
static void before_fork(void)
{
    pthread_mutex_lock(&outputs_lock);
}

static void after_fork_in_parent(void)
{
    pthread_mutex_unlock(&outputs_lock);
}

/* A shared slot is the parent's: the child gets a buffer of its own (or,
   short of memory, no buffer and no writes at all). */
static void leave_shared_slot(struct pikos_output *out)
{
    if (out->shared) {
        out->slot = malloc(sizeof(*out->slot));
        out->shared = 0;
        if (out->slot == NULL)
            out->error = ENOMEM;
    }
    if (out->slot != NULL)
        out->slot->used = out->slot->ending_len = 0;
}

static void after_fork_in_child(void)
{
    pikos_durable_forget();
    for (struct pikos_output *out = outputs; out != NULL; out = out->next) {
        out->inherited = 1;
        leave_shared_slot(out);
    }
    pthread_mutex_unlock(&outputs_lock);
}

static void install_handlers(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
    atexit(pikos_outputs_flush_all);
}

static void list_add(struct pikos_output *out)
{
    pthread_once(&handlers_once, install_handlers);
    pthread_mutex_lock(&outputs_lock);
    out->next = outputs;
    outputs = out;
    pthread_mutex_unlock(&outputs_lock);
}

static void list_remove(struct pikos_output *out)
{
    pthread_mutex_lock(&outputs_lock);
    struct pikos_output **link = &outputs;
    while (*link != NULL && *link != out)
        link = &(*link)->next;
    if (*link == out)
        *link = out->next;
    pthread_mutex_unlock(&outputs_lock);
}

/* ------------------------------------------------------------ open/close */

static int is_standard_output(const char *path)
{
    return path == NULL || path[0] == '\0' || strcmp(path, "-") == 0;
}

/* A slot of the shared region when there is one, else a buffer of the
   output's own. */
static int slot_acquire(struct pikos_output *out, const char *path)
{
    out->slot = pikos_durable_slot_take(out->owns_fd ? path : NULL);
    out->shared = out->slot != NULL;
    if (out->slot == NULL && (out->slot = malloc(sizeof(*out->slot))) != NULL) {
        out->slot->used = out->slot->file_offset = 0;
        out->slot->ending_len = 0;
    }
    return out->slot != NULL ? 0 : -1;
}

static void slot_release(struct pikos_output *out)
{
    if (out->shared)
        pikos_durable_slot_release(out->slot);
    else
        free(out->slot);
}

struct pikos_output *pikos_output_open(const char *path,
                                       struct pikos_error *err)
{
    return pikos_output_open_as(path, resuming, err);
}

int pikos_outputs_resuming(void)
{
    return resuming;
}

struct pikos_output *pikos_output_open_as(const char *path, int resume,
                                          struct pikos_error *err)
{
    struct pikos_output *out = malloc(sizeof(*out));
    if (out != NULL)
        out->owns_fd = !is_standard_output(path);
    if (out == NULL || slot_acquire(out, path) < 0) {
        free(out);
        pikos_error_set(err, PIKOS_ENOMEM, "out of memory opening output");
        return NULL;
    }
    out->fd = out->owns_fd
                  ? open(path,
                         O_WRONLY | O_CREAT | O_CLOEXEC |
                             (resume ? O_APPEND : O_TRUNC),
                         0644)
                  : STDOUT_FILENO;
    if (out->fd < 0) {
        pikos_error_set(err, PIKOS_EIO, "cannot open output '%s': %s", path,
                        strerror(errno));
        slot_release(out);
        free(out);
        return NULL;
    }
    out->is_terminal = isatty(out->fd);
    out->inherited = resume ? OUTPUT_MUTED : 0;
    out->error = 0;
    out->owner = NULL;
    out->report = NULL;
    out->name = NULL;
    list_add(out);
    return out;
}

PIKOS_EXPORT void pikos_outputs_resume(int on)
{
    resuming = on;
}

PIKOS_EXPORT void pikos_outputs_unmute(void)
{
    pthread_mutex_lock(&outputs_lock);
    for (struct pikos_output *out = outputs; out != NULL; out = out->next)
        if (out->inherited == OUTPUT_MUTED) {
            out->inherited = 0;
            out->slot->used = 0; /* what reserve handed out, dropped */
        }
    pthread_mutex_unlock(&outputs_lock);
}

int pikos_output_close(struct pikos_output *out)
{
    if (out == NULL)
        return 0;
    list_remove(out);
    int rc = flush_buffer(out);
    if (rc == 0)
        rc = write_ending(out);
    int saved_errno = errno;
    if (out->owns_fd && close(out->fd) != 0 && rc == 0 && !out->inherited) {
        rc = PIKOS_EIO;
        saved_errno = errno;
    }
    if (out->slot != NULL)
        slot_release(out);
    free(out->name);
    free(out);
    errno = saved_errno;
    return rc;
}
