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
 * from pikos_output_errno).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define OUTPUT_BUFFER_SIZE (64 * 1024)

struct pikos_output {
    struct pikos_output *next; /* in the list of open outputs */
    int fd;
    int owns_fd;     /* 0 for standard output, which is never closed */
    int is_terminal; /* isatty() at open */
    int inherited;   /* opened by the parent of this forked process */
    int error;       /* errno of the first failed write, or 0 */
    size_t used;
    char buffer[OUTPUT_BUFFER_SIZE];
};

static pthread_mutex_t outputs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pikos_output *outputs;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------ writing */

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
    size_t used = out->used;
    out->used = 0;
    return write_all(out, out->buffer, used);
}

int pikos_output_write(struct pikos_output *out, const char *data, size_t len)
{
    if (out->inherited)
        return 0;
    if (out->error) {
        errno = out->error;
        return PIKOS_EIO;
    }
    if (len <= OUTPUT_BUFFER_SIZE - out->used) {
        memcpy(out->buffer + out->used, data, len);
        out->used += len;
        return 0;
    }
    int rc = flush_buffer(out);
    if (rc != 0)
        return rc;
    if (len >= OUTPUT_BUFFER_SIZE)
        return write_all(out, data, len); /* too big to be worth copying */
    memcpy(out->buffer, data, len);
    out->used = len;
    return 0;
}

char *pikos_output_reserve(struct pikos_output *out, size_t len)
{
    if (out->error || len > OUTPUT_BUFFER_SIZE)
        return NULL;
    if (out->inherited) /* the child's own copy: written, never kept */
        return out->buffer;
    if (len > OUTPUT_BUFFER_SIZE - out->used && flush_buffer(out) != 0)
        return NULL;
    return out->buffer + out->used;
}

int pikos_output_commit(struct pikos_output *out, size_t used)
{
    if (out->inherited)
        return 0;
    if (out->error) {
        errno = out->error;
        return PIKOS_EIO;
    }
    out->used += used;
    return 0;
}

int pikos_output_flush(struct pikos_output *out)
{
    return flush_buffer(out);
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

static void after_fork_in_child(void)
{
    for (struct pikos_output *out = outputs; out != NULL; out = out->next) {
        out->inherited = 1;
        out->used = 0;
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

struct pikos_output *pikos_output_open(const char *path,
                                       struct pikos_error *err)
{
    struct pikos_output *out = malloc(sizeof(*out));
    if (out == NULL) {
        pikos_error_set(err, PIKOS_ENOMEM, "out of memory opening output");
        return NULL;
    }
    out->owns_fd = !is_standard_output(path);
    out->fd = out->owns_fd
                  ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                  : STDOUT_FILENO;
    if (out->fd < 0) {
        pikos_error_set(err, PIKOS_EIO, "cannot open output '%s': %s", path,
                        strerror(errno));
        free(out);
        return NULL;
    }
    out->is_terminal = isatty(out->fd);
    out->inherited = 0;
    out->error = 0;
    out->used = 0;
    list_add(out);
    return out;
}

int pikos_output_close(struct pikos_output *out)
{
    if (out == NULL)
        return 0;
    list_remove(out);
    int rc = flush_buffer(out);
    int saved_errno = errno;
    if (out->owns_fd && close(out->fd) != 0 && rc == 0 && !out->inherited) {
        rc = PIKOS_EIO;
        saved_errno = errno;
    }
    free(out);
    errno = saved_errno;
    return rc;
}
