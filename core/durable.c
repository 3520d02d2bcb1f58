/*
 * core/durable.c - the region the `pikos` command shares with the
 * interpreter it runs (durable.h): created and read back by the command,
 * attached to by libpikos in the interpreter, whose outputs then buffer
 * their records in it.
 *
 * Nothing here is on the per-event path: output.c writes into a slot's
 * buffer as it would into its own.  A fatal signal in the interpreter is
 * noted (which plugin callback was running, see pikos_current_call) and
 * then handled as before: the previous handler (faulthandler's, say) or
 * the default action.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "durable.h"
#include "internal.h"

static struct pikos_durable *attached;

_Thread_local struct pikos_current_call pikos_current_call
    __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------ supervisor */

PIKOS_EXPORT struct pikos_durable *pikos_durable_create(int *fd)
{
    struct pikos_durable *run;

    *fd = memfd_create("pikos-run", MFD_CLOEXEC);
    if (*fd < 0)
        return NULL;
    if (ftruncate(*fd, sizeof(*run)) < 0 ||
        (run = mmap(NULL, sizeof(*run), PROT_READ | PROT_WRITE, MAP_SHARED,
                    *fd, 0)) == MAP_FAILED) {
        int saved = errno;
        close(*fd);
        errno = saved;
        return NULL;
    }
    run->magic = PIKOS_DURABLE_MAGIC;
    return run;
}

PIKOS_EXPORT int pikos_durable_config_add(struct pikos_durable *run,
                                          const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    char *end = run->config + run->config_len;

    if (run->config_len + klen + vlen + 2 > sizeof(run->config))
        return -1;
    memcpy(end, key, klen);
    end[klen] = '=';
    memcpy(end + klen + 1, value, vlen + 1);
    run->config_len += (uint32_t)(klen + vlen + 2);
    return 0;
}

/* Writes `len` bytes of a slot where the process would have put them: a
   file's at `offset` (pwrite: bytes a flush did write are only written
   again), the screen's after what it has.  Returns the bytes written. */
static size_t put_back(const struct pikos_durable_slot *slot, int fd,
                       const char *data, size_t len, uint64_t offset)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = slot->to_stdout
                        ? write(fd, data + done, len - done)
                        : pwrite(fd, data + done, len - done,
                                 (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

/* The tail, then the ending right after it.  A file ends there: what a
   big write(2) of the process left half done beyond it is cut off. */
static size_t salvage_slot(const struct pikos_durable_slot *slot)
{
    size_t used = (size_t)slot->used, ending = slot->ending_len, done;
    uint64_t end = slot->file_offset + used;
    int fd;

    if (used > sizeof(slot->buffer) || ending > sizeof(slot->ending))
        return 0;
    fd = slot->to_stdout ? STDOUT_FILENO : open(slot->path, O_WRONLY);
    if (fd < 0)
        return 0;
    done = put_back(slot, fd, slot->buffer, used, slot->file_offset);
    if (ending > 0 && done == used) {
        size_t written = put_back(slot, fd, slot->ending, ending, end);
        if (written == ending && !slot->to_stdout)
            (void)!ftruncate(fd, (off_t)(end + ending));
        done += written;
    }
    if (!slot->to_stdout)
        close(fd);
    return done;
}

PIKOS_EXPORT size_t pikos_durable_salvage(struct pikos_durable *run)
{
    size_t total = 0;

    for (size_t i = 0; i < PIKOS_DURABLE_SLOTS; i++) {
        struct pikos_durable_slot *slot = &run->slots[i];
        if (slot->in_use && (slot->used > 0 || slot->ending_len > 0))
            total += salvage_slot(slot);
        slot->used = 0;
        slot->ending_len = 0;
    }
    return total;
}

PIKOS_EXPORT void pikos_durable_destroy(struct pikos_durable *run)
{
    if (run != NULL)
        munmap(run, sizeof(*run));
}

/* ------------------------------------------------------------ config */

PIKOS_EXPORT const char *pikos_durable_config_next(const struct pikos_durable *run,
                                                   const char *key,
                                                   size_t *pos)
{
    size_t klen = strlen(key);

    while (*pos < run->config_len) {
        const char *entry = run->config + *pos;
        *pos += strlen(entry) + 1;
        if (strncmp(entry, key, klen) == 0 && entry[klen] == '=')
            return entry + klen + 1;
    }
    return NULL;
}

/* ------------------------------------------------------------ crashes */

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
static struct sigaction previous_actions[sizeof(fatal_signals) /
                                         sizeof(*fatal_signals)];

/* Appends `text` to `dst` (async-signal-safe strncat). */
static size_t append(char *dst, size_t len, size_t cap, const char *text)
{
    while (text != NULL && *text != '\0' && len + 1 < cap)
        dst[len++] = *text++;
    dst[len] = '\0';
    return len;
}

static void note_crash(void)
{
    const struct pikos_current_call *call = &pikos_current_call;
    char *crash = attached->crash;
    size_t len = 0;

    if (call->plugin == NULL)
        return;
    len = append(crash, len, sizeof(attached->crash), "[");
    len = append(crash, len, sizeof(attached->crash), call->plugin);
    len = append(crash, len, sizeof(attached->crash), "] ");
    append(crash, len, sizeof(attached->crash), call->callback);
}

/* Notes the plugin, then lets the signal do what it did before pikos:
   the previous action is put back and the signal raised again, delivered
   when this handler returns. */
static void on_fatal_signal(int sig)
{
    if (attached != NULL && attached->crash[0] == '\0')
        note_crash();
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
        if (fatal_signals[i] == sig)
            sigaction(sig, &previous_actions[i], NULL);
    raise(sig);
}

static void watch_fatal_signals(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof(action));
    action.sa_handler = on_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_ONSTACK;
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(*fatal_signals); i++)
        sigaction(fatal_signals[i], &action, &previous_actions[i]);
}

/* ------------------------------------------------------------ child */

PIKOS_EXPORT struct pikos_durable *pikos_durable_attach(int fd)
{
    struct pikos_durable *run =
        mmap(NULL, sizeof(*run), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    close(fd);
    if (run == MAP_FAILED)
        return NULL;
    if (run->magic != PIKOS_DURABLE_MAGIC) {
        munmap(run, sizeof(*run));
        return NULL;
    }
    attached = run;
    watch_fatal_signals();
    return run;
}

PIKOS_EXPORT struct pikos_durable *pikos_durable_current(void)
{
    return attached;
}

PIKOS_EXPORT void pikos_durable_set_state(uint32_t state)
{
    if (attached != NULL)
        attached->state = state;
}

PIKOS_EXPORT void pikos_durable_set_failed(void)
{
    if (attached != NULL)
        attached->pikos_failed = 1;
}

/* An absolute form of `path` for the supervisor, which may run in another
   directory by the time it needs it. */
static void absolute_path(char *dst, const char *path)
{
    char cwd[PIKOS_DURABLE_PATH];
    size_t len = 0;

    dst[0] = '\0';
    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
        len = append(dst, len, PIKOS_DURABLE_PATH, cwd);
        len = append(dst, len, PIKOS_DURABLE_PATH, "/");
    }
    append(dst, len, PIKOS_DURABLE_PATH, path);
}

struct pikos_durable_slot *pikos_durable_slot_take(const char *path)
{
    for (size_t i = 0; attached != NULL && i < PIKOS_DURABLE_SLOTS; i++) {
        struct pikos_durable_slot *slot = &attached->slots[i];
        if (slot->in_use)
            continue;
        slot->to_stdout = path == NULL;
        if (path != NULL)
            absolute_path(slot->path, path);
        slot->file_offset = 0;
        slot->used = 0;
        slot->writing = 0;
        slot->ending_len = 0;
        slot->in_use = 1;
        return slot;
    }
    return NULL;
}

void pikos_durable_slot_release(struct pikos_durable_slot *slot)
{
    slot->used = 0;
    slot->ending_len = 0;
    slot->in_use = 0;
}

void pikos_durable_forget(void)
{
    attached = NULL;
}

/* ------------------------------------------------------------ state */

const char *pikos_durable_state_dir(void)
{
    size_t pos = 0;
    return attached != NULL
               ? pikos_durable_config_next(attached, "state_dir", &pos)
               : NULL;
}

int pikos_durable_state_take(const char *spec, size_t len, int active)
{
    for (size_t i = 0; attached != NULL && i < PIKOS_DURABLE_STATES; i++) {
        struct pikos_durable_record *state = &attached->states[i];
        if (state->in_use || len > sizeof(state->spec))
            continue;
        if (len > 0)
            memcpy(state->spec, spec, len);
        state->spec_len = (uint32_t)len;
        if (getcwd(state->cwd, sizeof(state->cwd)) == NULL)
            state->cwd[0] = '\0';
        state->active = (uint32_t)active;
        __atomic_store_n(&state->in_use, 1, __ATOMIC_RELEASE);
        return (int)i;
    }
    return -1;
}

void pikos_durable_state_set_active(int record, int active)
{
    if (attached != NULL && record >= 0 && record < PIKOS_DURABLE_STATES)
        __atomic_store_n(&attached->states[record].active, (uint32_t)active,
                         __ATOMIC_RELEASE);
}

void pikos_durable_state_release(int record)
{
    if (attached != NULL && record >= 0 && record < PIKOS_DURABLE_STATES) {
        attached->states[record].active = 0;
        __atomic_store_n(&attached->states[record].in_use, 0,
                         __ATOMIC_RELEASE);
    }
}
