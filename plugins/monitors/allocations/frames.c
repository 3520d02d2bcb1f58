/*
 * frames.c - each counted stack node's frame (function, file, line,
 * caller), copied into the durable state so that the records can be made
 * after the process ended.  host->stack_frame cannot be called inside the
 * allocator, so on_event only notes a node the first time it is counted,
 * and asks the host for a safe point (host->safe_point_soon), where the
 * frames of the noted nodes and of their callers are copied.  At stop the
 * last ones are copied before the records are made, from the same
 * buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "allocations.h"

void frames_note(struct pikos_instance *inst, struct allocations_ctx *self,
                 uint32_t stack)
{
    struct frames *f = &self->frames;

    if (stack == 0)
        return;
    if (f->npending == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 256;
        uint32_t *grown = realloc(f->pending, cap * sizeof(*grown));
        if (grown == NULL)
            return; /* copied at stop, if the process gets there */
        f->pending = grown;
        f->cap = cap;
    }
    f->pending[f->npending++] = stack;
    frames_ask(inst, self);
}

void frames_ask(struct pikos_instance *inst, struct allocations_ctx *self)
{
    struct frames *f = &self->frames;

    if (!f->asked && self->has_safe_points &&
        self->host->safe_point_soon(inst) == PIKOS_OK)
        f->asked = 1;
}

static uint64_t hash(uint64_t id)
{
    return (id >> 4) * 0x9E3779B97F4A7C15ull;
}

static struct code_slot *code_slot(struct frames *f, uint64_t id)
{
    size_t mask = f->codes_cap - 1;
    size_t i = (size_t)(hash(id) >> 32) & mask;

    while (f->codes[i].id != 0 && f->codes[i].id != id)
        i = (i + 1) & mask;
    return &f->codes[i];
}

static int codes_grow(struct frames *f)
{
    struct frames bigger = *f;

    bigger.codes_cap = f->codes_cap ? 2 * f->codes_cap : 256;
    bigger.codes = calloc(bigger.codes_cap, sizeof(*bigger.codes));
    if (bigger.codes == NULL)
        return -1;
    for (size_t i = 0; i < f->codes_cap; i++)
        if (f->codes[i].id != 0)
            *code_slot(&bigger, f->codes[i].id) = f->codes[i];
    free(f->codes);
    *f = bigger;
    return 0;
}

/* Room for `need` bytes of buffer `id`, doubling. */
static void *room(struct store *s, unsigned id, size_t need)
{
    if (need <= s->size[id])
        return s->data[id];
    size_t size = s->size[id] ? s->size[id] : 4096;
    while (size < need)
        size *= 2;
    return store_grow(s, id, size);
}

/* The index + 1 of the code's struct alloc_code, made the first time;
   0 when out of memory. */
static uint32_t code_number(struct allocations_ctx *self,
                            const struct pikos_code *code)
{
    struct frames *f = &self->frames;
    struct store *s = &self->store;
    struct alloc_head *h = self->stats.head;
    uint64_t id = (uint64_t)code->id ? (uint64_t)code->id : 1;

    if ((f->ncodes + 1) * 2 > f->codes_cap && codes_grow(f) < 0)
        return 0;
    struct code_slot *slot = code_slot(f, id);
    if (slot->id != 0)
        return slot->index + 1;
    size_t used = h->strings_used;
    size_t need = used + code->name_len + code->filename_len + 2;
    char *strings = room(s, BUF_STRINGS, need);
    struct alloc_code *codes =
        room(s, BUF_CODES, (h->ncodes + 1) * sizeof(*codes));
    if (strings == NULL || codes == NULL)
        return 0;
    memcpy(strings + used, code->name, code->name_len);
    strings[used + code->name_len] = '\0';
    memcpy(strings + used + code->name_len + 1, code->filename,
           code->filename_len);
    strings[need - 1] = '\0';
    codes[h->ncodes] = (struct alloc_code){
        id, used, code->name_len, used + code->name_len + 1,
        code->filename_len};
    h->strings_used = need; /* published after what they count */
    h->ncodes++;
    *slot = (struct code_slot){id, (uint32_t)(h->ncodes - 1)};
    f->ncodes++;
    return (uint32_t)h->ncodes;
}

/* The node's frame and its callers' until one is known. */
static int resolve_chain(struct allocations_ctx *self, uint32_t stack)
{
    struct store *s = &self->store;
    struct alloc_head *h = self->stats.head;

    while (stack != 0) {
        struct alloc_frame *frames =
            room(s, BUF_FRAMES, ((size_t)stack + 1) * sizeof(*frames));
        if (frames == NULL)
            return -1;
        if (h->nframes < s->size[BUF_FRAMES] / sizeof(*frames))
            h->nframes = s->size[BUF_FRAMES] / sizeof(*frames);
        if (frames[stack].code != 0)
            return 0;
        const struct pikos_code *code;
        int lineno;
        uint32_t parent;
        if (self->host->stack_frame(stack, &code, &lineno, &parent) !=
            PIKOS_OK)
            return 0; /* not a node: no frame */
        uint32_t number = code_number(self, code);
        if (number == 0)
            return -1;
        frames[stack].lineno = lineno;
        frames[stack].parent = parent;
        frames[stack].code = number; /* last: the frame is whole */
        stack = parent;
    }
    return 0;
}

int frames_resolve(struct allocations_ctx *self)
{
    struct frames *f = &self->frames;
    int rc = 0;

    f->asked = 0;
    if (self->stats.head == NULL) {
        f->npending = 0;
        return 0;
    }
    /* The list may grow while it is read (an allocation of this thread
       is no event here, another thread's waits for the host's lock), so
       by index. */
    for (size_t i = 0; i < f->npending && rc == 0; i++)
        rc = resolve_chain(self, f->pending[i]);
    f->npending = 0;
    return rc;
}

void frames_reset(struct frames *f)
{
    free(f->pending);
    free(f->codes);
    memset(f, 0, sizeof(*f));
}
