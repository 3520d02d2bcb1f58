/*
 * block_records.c - the queue of per-block records (see block_records.h)
 * and its schema; allocations.c emits them.
 */
#include <stdlib.h>
#include <string.h>

#include "allocations.h"

enum {
    FIELD_INDEX,
    FIELD_TYPE,
    FIELD_ADDRESS,
    FIELD_SIZE,
    FIELD_DOMAIN,
    FIELD_WEIGHT,
    FIELD_FUNCTION,
    FIELD_FILENAME,
    FIELD_LINENO,
    FIELD_STACK,
    FIELD_TIME,
    FIELD_THREAD,
    FIELD_COUNT
};

static const struct pikos_field fields[FIELD_COUNT] = {
    [FIELD_INDEX] = {"index", PIKOS_FIELD_INT},
    [FIELD_TYPE] = {"type", PIKOS_FIELD_STR},
    [FIELD_ADDRESS] = {"address", PIKOS_FIELD_INT},
    [FIELD_SIZE] = {"size", PIKOS_FIELD_INT},
    [FIELD_DOMAIN] = {"domain", PIKOS_FIELD_STR},
    [FIELD_WEIGHT] = {"weight", PIKOS_FIELD_FLOAT},
    [FIELD_FUNCTION] = {"function", PIKOS_FIELD_STR},
    [FIELD_FILENAME] = {"filename", PIKOS_FIELD_STR},
    [FIELD_LINENO] = {"lineno", PIKOS_FIELD_INT},
    [FIELD_STACK] = {"stack", PIKOS_FIELD_STR},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
    [FIELD_THREAD] = {"thread", PIKOS_FIELD_INT},
};

const struct pikos_schema block_record = {
    .name = "BlockRecord",
    .nfields = FIELD_COUNT,
    .fields = fields,
    .header_template =
        "{:>8} {:<5} {:>16} {:>12} {:<6} {:>8} {:<30} {} {:>6} {} {:>14} {:>8}",
    .line_template =
        "{:>8} {:<5} {:>16} {:>12} {:<6} {:>8} {:<30} {} {:>6} {} {:>14} {:>8}",
};

void block_queue_reset(struct block_queue *q)
{
    /* store_clear zeroed the buffer (a new run); the pointers follow. */
    q->head = q->store->data[BUF_BLOCKS];
    q->entries = NULL;
    q->capacity = 0;
    if (q->head == NULL)
        return;
    q->head->magic = BLOCK_STATE_MAGIC;
    q->entries = (struct block_entry *)(q->head + 1);
    q->capacity = (q->store->size[BUF_BLOCKS] - sizeof(struct block_head)) /
                  sizeof(*q->entries);
}

/* Room for one more entry, doubling; -1 past the limit or out of
   memory. */
static int room(struct block_queue *q)
{
    uint64_t need = q->head != NULL ? q->head->count + 1 : 1;

    if (need > q->limit)
        return -1;
    if (q->head != NULL && need <= q->capacity)
        return 0;
    size_t capacity = q->capacity ? 2 * q->capacity : 64;
    if (capacity > q->limit)
        capacity = (size_t)q->limit;
    size_t size = sizeof(struct block_head) + capacity * sizeof(*q->entries);
    if (q->store->size[BUF_BLOCKS] < size &&
        store_grow(q->store, BUF_BLOCKS, size) == NULL)
        return -1;
    q->head = q->store->data[BUF_BLOCKS];
    q->head->magic = BLOCK_STATE_MAGIC;
    q->entries = (struct block_entry *)(q->head + 1);
    q->capacity = (q->store->size[BUF_BLOCKS] - sizeof(struct block_head)) /
                  sizeof(*q->entries);
    return 0;
}

int block_queue_push(struct block_queue *q, struct block_entry e)
{
    if (room(q) < 0) {
        if (q->head != NULL) {
            q->head->next_index++; /* a gap where the record would be */
            q->head->dropped++;
        }
        return -1;
    }
    e.index = q->head->next_index++;
    q->entries[q->head->count] = e;
    /* Published after it is written: a process killed in between leaves
       it out, never half of it. */
    __atomic_store_n(&q->head->count, q->head->count + 1, __ATOMIC_RELEASE);
    return 0;
}

/* ------------------------------------------------------------ records */

static const char *const domain_names[] = {"raw", "mem", "obj", "native"};

static void set_text(struct pikos_value *v, const char *text, size_t len)
{
    v->u.s.ptr = text;
    v->u.s.len = len;
}

static int emit_one(struct pikos_instance *inst, const struct pikos_host *host,
                    const struct alloc_view *v, const struct block_entry *e,
                    struct text *stack)
{
    struct pikos_value values[FIELD_COUNT];
    struct alloc_place place;

    if (allocations_stack_text(v, e->stack, stack) < 0)
        return host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    allocations_place(v, e->stack, &place);
    values[FIELD_INDEX].u.i = (int64_t)e->index;
    set_text(&values[FIELD_TYPE], e->type == BLOCK_FREE ? "free" : "alloc",
             e->type == BLOCK_FREE ? 4 : 5);
    values[FIELD_ADDRESS].u.i = (int64_t)e->address;
    values[FIELD_SIZE].u.i = (int64_t)e->size;
    const char *domain = e->domain < 4 ? domain_names[e->domain] : "?";
    set_text(&values[FIELD_DOMAIN], domain, strlen(domain));
    values[FIELD_WEIGHT].u.f = e->weight;
    set_text(&values[FIELD_FUNCTION], place.function, place.function_len);
    set_text(&values[FIELD_FILENAME], place.filename, place.filename_len);
    values[FIELD_LINENO].u.i = place.lineno;
    set_text(&values[FIELD_STACK], stack->data ? stack->data : "",
             stack->len);
    values[FIELD_TIME].u.i = (int64_t)e->time;
    values[FIELD_THREAD].u.i = (int64_t)e->thread;
    struct pikos_record record = {&block_record, values};
    return host->emit(inst, &record);
}

int block_records_drain(struct pikos_instance *inst,
                        const struct pikos_host *host,
                        const struct alloc_view *v, struct block_queue *q,
                        struct text *stack)
{
    struct block_head *h = q->head;
    int rc = PIKOS_OK;

    if (h == NULL)
        return PIKOS_OK;
    while (h->emitted < h->count) {
        int failed = emit_one(inst, host, v, &q->entries[h->emitted], stack);
        if (failed < 0 && rc == PIKOS_OK)
            rc = failed; /* the recorder keeps its error; the rest go on */
        __atomic_store_n(&h->emitted, h->emitted + 1, __ATOMIC_RELEASE);
    }
    /* Empty again: `count` first, so that a process killed in between
       leaves nothing to emit twice. */
    __atomic_store_n(&h->count, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&h->emitted, 0, __ATOMIC_RELEASE);
    return rc;
}

int block_records_salvage(struct pikos_instance *inst,
                          const struct pikos_host *host,
                          const struct alloc_view *v, uint64_t *dropped)
{
    size_t size = 0;
    const struct block_head *h = host->state_get(inst, BUF_BLOCKS, &size);
    struct text stack = {0};
    int rc = PIKOS_OK;

    *dropped = 0;
    if (h == NULL || size < sizeof(*h) || h->magic != BLOCK_STATE_MAGIC)
        return PIKOS_OK; /* no record was queued */
    const struct block_entry *entries = (const struct block_entry *)(h + 1);
    uint64_t n = (size - sizeof(*h)) / sizeof(*entries);
    uint64_t count = h->count < n ? h->count : n;
    for (uint64_t i = h->emitted; i < count && rc == PIKOS_OK; i++)
        rc = emit_one(inst, host, v, &entries[i], &stack);
    free(stack.data);
    *dropped = h->dropped;
    return rc;
}
