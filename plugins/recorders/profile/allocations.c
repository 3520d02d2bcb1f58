/* plugins/recorders/profile/allocations.c - see allocations.h. */
#include <stdlib.h>
#include <string.h>

#include "allocations.h"

const char *const alloc_value_names[ALLOC_NVALUES] = {
    "alloc_bytes", "alloc_count", "free_bytes", "free_count",
    "peak_bytes",  "peak_count",  "exit_bytes", "exit_count"};

struct alloc_profile *alloc_profile_new(void)
{
    return calloc(1, sizeof(struct alloc_profile));
}

void alloc_profile_free(struct alloc_profile *p)
{
    if (p == NULL)
        return;
    free(p->strings);
    free(p->functions);
    free(p->function_table.slots);
    free(p->locations);
    free(p->location_table.slots);
    free(p->frames);
    free(p->stacks);
    free(p->stack_table.slots);
    free(p->scratch);
    free(p);
}

/* ------------------------------------------------------------ parsing */

/* The last occurrence of " (" in text[0, len), or NULL. */
static const char *last_open(const char *text, size_t len)
{
    for (size_t i = len; i >= 2; i--)
        if (text[i - 2] == ' ' && text[i - 1] == '(')
            return text + i - 2;
    return NULL;
}

void alloc_frame_parse(const char *text, size_t len,
                       struct alloc_frame_text *frame)
{
    const char *open = len > 0 && text[len - 1] == ')'
                           ? last_open(text, len - 1)
                           : NULL;
    *frame = (struct alloc_frame_text){text, len, "", 0, 0};
    if (open == NULL)
        return;
    frame->function_len = (size_t)(open - text);
    const char *place = open + 2, *end = text + len - 1; /* before ')' */
    const char *colon = NULL;
    for (const char *c = end; c > place; c--)
        if (c[-1] == ':') {
            colon = c - 1;
            break;
        }
    frame->filename = place;
    frame->filename_len = (size_t)(end - place);
    if (colon == NULL || colon + 1 == end || end - colon > 19)
        return;
    int64_t line = 0;
    for (const char *d = colon + 1; d < end; d++) {
        if (*d < '0' || *d > '9')
            return;
        line = line * 10 + (*d - '0');
    }
    frame->filename_len = (size_t)(colon - place);
    frame->lineno = line;
}

/* ------------------------------------------------------------ tables */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_bytes(uint64_t h, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
    return mix(h ^ len);
}

/* Room for one more item in a table of `count` items, rehashing with
   `hashes` (the items' hashes, `stride` bytes apart); -1 when out of
   memory. */
static int table_reserve(struct alloc_table *t, uint32_t count,
                         const void *items, size_t stride, size_t hash_offset)
{
    if (2 * ((uint64_t)count + 1) <= t->cap)
        return 0;
    uint32_t cap = t->cap ? 2 * t->cap : 64;
    uint32_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -1;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t hash;
        memcpy(&hash, (const char *)items + i * stride + hash_offset,
               sizeof(hash));
        uint32_t at = (uint32_t)hash & (cap - 1);
        while (slots[at] != 0)
            at = (at + 1) & (cap - 1);
        slots[at] = i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* Grows an array of `size`-byte items to hold count + 1; -1 when out of
   memory. */
static int array_reserve(void **items, uint32_t *cap, uint32_t count,
                         size_t size)
{
    if (count < *cap)
        return 0;
    if (count >= UINT32_MAX / 4)
        return -1;
    uint32_t new_cap = *cap ? 2 * *cap : 64;
    void *grown = realloc(*items, (size_t)new_cap * size);
    if (grown == NULL)
        return -1;
    *items = grown;
    *cap = new_cap;
    return 0;
}

/* Appends `len` bytes and a NUL to the strings; their offset, or
   UINT64_MAX when out of memory. */
static uint64_t put_text(struct alloc_profile *p, const char *text, size_t len)
{
    if (p->strings_used + len + 1 > p->strings_cap) {
        uint64_t cap = p->strings_cap ? p->strings_cap : 4096;
        while (cap < p->strings_used + len + 1)
            cap *= 2;
        char *grown = realloc(p->strings, (size_t)cap);
        if (grown == NULL)
            return UINT64_MAX;
        p->strings = grown;
        p->strings_cap = cap;
    }
    uint64_t at = p->strings_used;
    if (len > 0)
        memcpy(p->strings + at, text, len);
    p->strings[at + len] = '\0';
    p->strings_used += len + 1;
    return at;
}

/* The function (name, file) of a frame, found or added; UINT32_MAX when
   out of memory. */
static uint32_t intern_function(struct alloc_profile *p,
                                const struct alloc_frame_text *frame)
{
    uint64_t hash = hash_bytes(hash_bytes(1, frame->function,
                                          frame->function_len),
                               frame->filename, frame->filename_len);
    if (table_reserve(&p->function_table, p->nfunctions, p->functions,
                      sizeof(*p->functions),
                      offsetof(struct alloc_function, hash)) < 0)
        return UINT32_MAX;
    uint32_t mask = p->function_table.cap - 1, at = (uint32_t)hash & mask;
    for (; p->function_table.slots[at] != 0; at = (at + 1) & mask) {
        uint32_t i = p->function_table.slots[at] - 1;
        const struct alloc_function *f = &p->functions[i];
        if (f->hash == hash && f->name_len == frame->function_len &&
            f->filename_len == frame->filename_len &&
            memcmp(p->strings + f->name_at, frame->function,
                   f->name_len) == 0 &&
            memcmp(p->strings + f->filename_at, frame->filename,
                   f->filename_len) == 0)
            return i;
    }
    if (array_reserve((void **)&p->functions, &p->functions_cap,
                      p->nfunctions, sizeof(*p->functions)) < 0)
        return UINT32_MAX;
    uint64_t name_at = put_text(p, frame->function, frame->function_len);
    uint64_t filename_at = name_at == UINT64_MAX
                               ? UINT64_MAX
                               : put_text(p, frame->filename,
                                          frame->filename_len);
    if (filename_at == UINT64_MAX)
        return UINT32_MAX;
    p->functions[p->nfunctions] =
        (struct alloc_function){name_at, filename_at, frame->function_len,
                                frame->filename_len, hash};
    p->function_table.slots[at] = p->nfunctions + 1;
    return p->nfunctions++;
}

/* The location (function, line) of a frame, found or added; UINT32_MAX
   when out of memory. */
static uint32_t intern_location(struct alloc_profile *p,
                                const struct alloc_frame_text *frame)
{
    uint32_t function = intern_function(p, frame);
    if (function == UINT32_MAX)
        return UINT32_MAX;
    uint64_t hash = mix(((uint64_t)function << 32) ^ (uint64_t)frame->lineno ^
                        0x9e3779b97f4a7c15ull);
    if (table_reserve(&p->location_table, p->nlocations, p->locations,
                      sizeof(*p->locations),
                      offsetof(struct alloc_location, hash)) < 0)
        return UINT32_MAX;
    uint32_t mask = p->location_table.cap - 1, at = (uint32_t)hash & mask;
    for (; p->location_table.slots[at] != 0; at = (at + 1) & mask) {
        uint32_t i = p->location_table.slots[at] - 1;
        if (p->locations[i].function == function &&
            p->locations[i].line == frame->lineno)
            return i;
    }
    if (array_reserve((void **)&p->locations, &p->locations_cap,
                      p->nlocations, sizeof(*p->locations)) < 0)
        return UINT32_MAX;
    p->locations[p->nlocations] =
        (struct alloc_location){function, frame->lineno, hash};
    p->location_table.slots[at] = p->nlocations + 1;
    return p->nlocations++;
}

int alloc_profile_add(struct alloc_profile *p,
                      const struct alloc_frame_text *frames, size_t depth,
                      const int64_t values[ALLOC_NVALUES])
{
    if (depth == 0 || depth >= UINT32_MAX / 4)
        return -1;
    if (depth > p->scratch_cap) {
        uint32_t *grown = realloc(p->scratch, 2 * depth * sizeof(*grown));
        if (grown == NULL)
            return -1;
        p->scratch = grown;
        p->scratch_cap = 2 * depth;
    }
    uint64_t hash = 7;
    for (size_t i = 0; i < depth; i++) {
        p->scratch[i] = intern_location(p, &frames[i]);
        if (p->scratch[i] == UINT32_MAX)
            return -1;
        hash = mix((hash ^ p->scratch[i]) * 0x9e3779b97f4a7c15ull);
    }
    if (table_reserve(&p->stack_table, p->nstacks, p->stacks,
                      sizeof(*p->stacks), offsetof(struct alloc_stack, hash)) <
        0)
        return -1;
    uint32_t mask = p->stack_table.cap - 1, at = (uint32_t)hash & mask;
    for (; p->stack_table.slots[at] != 0; at = (at + 1) & mask) {
        struct alloc_stack *s = &p->stacks[p->stack_table.slots[at] - 1];
        if (s->hash == hash && s->depth == depth &&
            memcmp(alloc_stack_frames(p, s), p->scratch, depth * sizeof(uint32_t)) ==
                0) {
            for (int v = 0; v < ALLOC_NVALUES; v++)
                s->values[v] += values[v];
            return 0;
        }
    }
    if (array_reserve((void **)&p->stacks, &p->stacks_cap, p->nstacks,
                      sizeof(*p->stacks)) < 0)
        return -1;
    if (p->nframes + depth > p->frames_cap) {
        uint64_t cap = p->frames_cap ? p->frames_cap : 256;
        while (cap < p->nframes + depth)
            cap *= 2;
        uint32_t *grown = realloc(p->frames, (size_t)cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        p->frames = grown;
        p->frames_cap = cap;
    }
    memcpy(p->frames + p->nframes, p->scratch, depth * sizeof(uint32_t));
    struct alloc_stack *s = &p->stacks[p->nstacks];
    s->frames_at = p->nframes;
    s->depth = (uint32_t)depth;
    s->hash = hash;
    memcpy(s->values, values, sizeof(s->values));
    p->nframes += depth;
    p->stack_table.slots[at] = p->nstacks + 1;
    p->nstacks++;
    return 0;
}
