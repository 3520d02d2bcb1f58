/*
 * core/state.c - instances' durable state buffers (host->state_resize and
 * host->state_get, ABI 1.4).
 *
 * A recorder that writes its file only at finalize (recorders/profile)
 * keeps what it needs for that file in these buffers.  Under the `pikos`
 * command each buffer is a file of the run's state directory (made by the
 * command under /dev/shm, durable.h), mapped shared, so that when the
 * program ends before monitoring stops - os._exit, exec, a signal, even
 * SIGKILL - the command still reads them and has the plugin write its
 * file (its `salvage` callback, in pikos-tools salvage, through
 * state_get).  The instance's record in the shared region names the
 * plugin and its options, and says whether the instance is between its
 * start and the end of its finalize (the only time to salvage it).
 * Elsewhere (the Python API, an embedder) a buffer is private memory.
 *
 * A buffer grows with posix_fallocate and mremap (private memory: mremap
 * alone), so it may move: plugins keep indexes and offsets in them, not
 * pointers.
 *
 * Fork: a shared mapping stays shared in a forked child, which would then
 * write into its parent's state.  So right after a fork the child copies
 * each shared buffer into private memory at the same address (its plugin's
 * pointers stay good) and forgets the files and the record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "internal.h"

struct state_buffer {
    unsigned id;
    int fd;        /* its file under the command; -1: private memory */
    void *data;
    size_t size;   /* as asked */
    size_t mapped; /* bytes mapped: size, at least 1 */
};

struct buffer_list {
    struct state_buffer *items;
    size_t count, cap;
};

struct pikos_state {
    struct pikos_state *next; /* in the list of all, for fork */
    struct buffer_list own;
    int record; /* in the shared region, or -1 */
    /* In a salvage: where the ended process left its buffers, and those
       read so far (read-only). */
    char *salvage_dir;
    unsigned salvage_record;
    struct buffer_list left;
};

static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pikos_state *states;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------ the spec */

int pikos_state_keep_spec(struct pikos_instance *inst,
                          const struct pikos_option_setting *settings,
                          size_t nsettings)
{
    size_t len = strlen(inst->info->full_name) + 1;
    for (size_t i = 0; i < nsettings; i++)
        len += strlen(settings[i].key) + strlen(settings[i].value) + 2;
    char *spec = malloc(len), *at = spec;
    if (spec == NULL)
        return PIKOS_ENOMEM;
    at = stpcpy(at, inst->info->full_name) + 1;
    for (size_t i = 0; i < nsettings; i++) {
        at = stpcpy(stpcpy(stpcpy(at, settings[i].key), "="),
                    settings[i].value) + 1;
    }
    inst->spec = spec;
    inst->spec_len = len;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ fork */

/* Moves a shared buffer's bytes to private memory at the same address. */
static void privatize(struct state_buffer *b)
{
    void *copy = mmap(NULL, b->mapped, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy != MAP_FAILED) {
        memcpy(copy, b->data, b->mapped);
        if (mremap(copy, b->mapped, b->mapped, MREMAP_MAYMOVE | MREMAP_FIXED,
                   b->data) == MAP_FAILED)
            munmap(copy, b->mapped);
    }
    /* Without memory for a copy the child keeps writing the parent's
       file: a forked child that goes on recording while memory is short
       is not worth a crash here.  The file is closed all the same. */
    close(b->fd);
    b->fd = -1;
}

static void before_fork(void)
{
    pthread_mutex_lock(&states_lock);
}

static void after_fork_in_parent(void)
{
    pthread_mutex_unlock(&states_lock);
}

static void after_fork_in_child(void)
{
    for (struct pikos_state *st = states; st != NULL; st = st->next) {
        for (size_t i = 0; i < st->own.count; i++)
            if (st->own.items[i].fd >= 0)
                privatize(&st->own.items[i]);
        st->record = -1; /* the parent's */
    }
    pthread_mutex_unlock(&states_lock);
}

static void watch_fork(void)
{
    pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
}

/* ------------------------------------------------------------ buffers */

static struct state_buffer *find(struct buffer_list *list, unsigned id)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].id == id)
            return &list->items[i];
    return NULL;
}

/* Room for one more; NULL when out of memory. */
static struct state_buffer *append(struct buffer_list *list)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 8;
        struct state_buffer *grown =
            realloc(list->items, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        list->items = grown;
        list->cap = cap;
    }
    return &list->items[list->count];
}

static size_t map_length(size_t size)
{
    return size > 0 ? size : 1;
}

/* The instance's state, made the first time (and listed for fork). */
static struct pikos_state *state_of(struct pikos_instance *inst)
{
    if (inst->state != NULL)
        return inst->state;
    struct pikos_state *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    st->record = -1;
    pthread_once(&fork_once, watch_fork);
    pthread_mutex_lock(&states_lock);
    st->next = states;
    states = st;
    pthread_mutex_unlock(&states_lock);
    return inst->state = st;
}

/* The file of buffer `id` under the command, opened; -1 when the run has
   no state directory (not the command's, or a forked child) or the file
   cannot be made: the buffer is then private memory. */
static int open_file(struct pikos_instance *inst, struct pikos_state *st,
                     unsigned id)
{
    const char *dir = pikos_durable_state_dir();
    char path[PIKOS_DURABLE_PATH];

    if (dir == NULL)
        return -1;
    if (st->record < 0)
        st->record =
            pikos_durable_state_take(inst->spec, inst->spec_len, inst->started);
    if (st->record < 0 || pikos_durable_state_path(path, sizeof(path), dir,
                                                   (unsigned)st->record,
                                                   id) < 0)
        return -1;
    return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

/* The file's size made `size`, its blocks reserved when it grows: on a
   full /dev/shm a page that is only ftruncate'd would be SIGBUS when first
   written, where posix_fallocate fails here (the plugin is out of memory,
   the program goes on). */
static int size_file(int fd, size_t old, size_t size)
{
    if (size <= old)
        return ftruncate(fd, (off_t)size);
    return posix_fallocate(fd, 0, (off_t)size) == 0 ? 0 : -1;
}

static void *map_new(int fd, size_t size)
{
    if (fd < 0)
        return mmap(NULL, map_length(size), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (size_file(fd, 0, size) < 0)
        return MAP_FAILED;
    return mmap(NULL, map_length(size), PROT_READ | PROT_WRITE, MAP_SHARED,
                fd, 0);
}

static void *add_buffer(struct pikos_instance *inst, struct pikos_state *st,
                        unsigned id, size_t size)
{
    struct state_buffer *b = append(&st->own);
    if (b == NULL)
        return NULL;
    int fd = open_file(inst, st, id);
    void *data = map_new(fd, size);
    if (data == MAP_FAILED) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    *b = (struct state_buffer){id, fd, data, size, map_length(size)};
    st->own.count++;
    return data;
}

/* The file first, so that the mapping never reaches past its end. */
static void *grow_buffer(struct state_buffer *b, size_t size)
{
    size_t length = map_length(size);
    if (b->fd >= 0 && size_file(b->fd, b->size, size) < 0)
        return NULL;
    void *data = mremap(b->data, b->mapped, length, MREMAP_MAYMOVE);
    if (data == MAP_FAILED) {
        if (b->fd >= 0)
            (void)!ftruncate(b->fd, (off_t)b->size);
        return NULL;
    }
    b->data = data;
    b->size = size;
    b->mapped = length;
    return data;
}

void *pikos_state_resize(struct pikos_instance *inst, unsigned id, size_t size)
{
    struct pikos_state *st = state_of(inst);
    if (st == NULL)
        return NULL;
    struct state_buffer *b = find(&st->own, id);
    return b != NULL ? grow_buffer(b, size) : add_buffer(inst, st, id, size);
}

void pikos_state_running(struct pikos_instance *inst)
{
    if (inst->state != NULL && inst->state->record >= 0)
        pikos_durable_state_set_active(inst->state->record, inst->started);
}

/* ------------------------------------------------------------ salvage */

/* Maps the buffer the ended process left, read-only; NULL when there is
   none. */
static const void *read_left(struct pikos_state *st, unsigned id,
                             size_t *size)
{
    char path[PIKOS_DURABLE_PATH];
    struct stat info;
    struct state_buffer *b = append(&st->left);
    int fd = -1;

    if (b == NULL ||
        pikos_durable_state_path(path, sizeof(path), st->salvage_dir,
                                 st->salvage_record, id) < 0 ||
        (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &info) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    size_t length = map_length((size_t)info.st_size);
    void *data = mmap(NULL, length, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED)
        return NULL;
    *b = (struct state_buffer){id, -1, data, (size_t)info.st_size, length};
    st->left.count++;
    *size = b->size;
    return data;
}

const void *pikos_state_get(struct pikos_instance *inst, unsigned id,
                            size_t *size)
{
    struct pikos_state *st = inst->state;
    *size = 0;
    if (st == NULL || st->salvage_dir == NULL)
        return NULL;
    struct state_buffer *b = find(&st->left, id);
    if (b == NULL)
        return read_left(st, id, size);
    *size = b->size;
    return b->data;
}

static int cannot_salvage(struct pikos_instance *inst, struct pikos_error *err)
{
    return pikos_error_set(err, PIKOS_EPLUGIN,
                           "[%s] has no salvage: its output cannot be "
                           "written after the program ended",
                           inst->info->full_name);
}

static void unmap_all(struct buffer_list *list, const struct pikos_state *st);

PIKOS_EXPORT int pikos_instance_salvage(struct pikos_instance *inst,
                                        const char *dir, unsigned record,
                                        struct pikos_error *err)
{
    struct pikos_state *st = state_of(inst);
    if (st != NULL) { /* a salvage before: another process's buffers */
        unmap_all(&st->left, st);
        st->left = (struct buffer_list){0};
        free(st->salvage_dir);
    }
    if (st == NULL || (st->salvage_dir = strdup(dir)) == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory",
                               inst->info->full_name);
    st->salvage_record = record;
    if (!PIKOS_PLUGIN_HAS(inst->plugin, salvage) ||
        inst->plugin->salvage == NULL)
        return cannot_salvage(inst, err);
    PIKOS_CALL_ENTER(outer, inst, "salvage");
    int rc = inst->plugin->salvage(inst, inst->ctx);
    PIKOS_CALL_LEAVE(outer);
    if (rc < 0 && inst->error_code != PIKOS_OK)
        return pikos_instance_take_error(inst, err);
    if (rc < 0)
        return pikos_error_set(err, rc, "[%s] salvage failed (code %d)",
                               inst->info->full_name, rc);
    return PIKOS_OK;
}

/* ------------------------------------------------------------ the end */

static void unmap_all(struct buffer_list *list, const struct pikos_state *st)
{
    const char *dir = pikos_durable_state_dir();
    char path[PIKOS_DURABLE_PATH];

    for (size_t i = 0; i < list->count; i++) {
        struct state_buffer *b = &list->items[i];
        munmap(b->data, b->mapped);
        if (b->fd < 0)
            continue;
        close(b->fd);
        if (dir != NULL && st->record >= 0 &&
            pikos_durable_state_path(path, sizeof(path), dir,
                                     (unsigned)st->record, b->id) == 0)
            unlink(path);
    }
    free(list->items);
}

static void unlist(struct pikos_state *st)
{
    pthread_mutex_lock(&states_lock);
    struct pikos_state **link = &states;
    while (*link != NULL && *link != st)
        link = &(*link)->next;
    if (*link == st)
        *link = st->next;
    pthread_mutex_unlock(&states_lock);
}

void pikos_state_free(struct pikos_instance *inst)
{
    struct pikos_state *st = inst->state;
    if (st == NULL)
        return;
    unlist(st);
    unmap_all(&st->own, st);
    unmap_all(&st->left, st);
    if (st->record >= 0)
        pikos_durable_state_release(st->record);
    free(st->salvage_dir);
    free(st);
    inst->state = NULL;
}
