/*
 * stack_stats.c - per-stack counters and the lazily copied peak.
 */
#include <stdlib.h>
#include <string.h>

#include "stack_stats.h"

static int reach(struct stack_stats *s, uint32_t stack)
{
    if (stack < s->capacity)
        return 0;
    size_t capacity = s->capacity ? s->capacity : 1024;
    while (capacity <= stack)
        capacity *= 2;
    char *data = store_grow(s->store, BUF_STATS,
                            sizeof(struct alloc_head) +
                                capacity * sizeof(struct stack_stat));
    if (data == NULL)
        return -1;
    s->head = (struct alloc_head *)data;
    s->stats = (struct stack_stat *)(data + sizeof(struct alloc_head));
    s->capacity = capacity;
    if (s->head->peak_epoch == 0)
        s->head->peak_epoch = 1; /* new stacks (epoch 0) start outside it */
    s->head->capacity = capacity;
    s->head->magic = ALLOC_STATE_MAGIC;
    return 0;
}

/* Keeps the stack's live counts at the last peak before they change. */
static void keep_peak(const struct alloc_head *h, struct stack_stat *st)
{
    if (st->epoch == h->peak_epoch)
        return;
    st->peak = st->live;
    st->epoch = h->peak_epoch;
}

static void add(struct weight *to, struct weight w, double sign)
{
    to->bytes += sign * w.bytes;
    to->count += sign * w.count;
}

int stack_stats_alloc(struct stack_stats *s, uint32_t stack, struct weight w)
{
    if (reach(s, stack) < 0)
        return -1;
    struct alloc_head *h = s->head;
    struct stack_stat *st = &s->stats[stack];
    int first = st->alloc.count == 0;
    keep_peak(h, st);
    add(&st->alloc, w, 1);
    add(&st->live, w, 1);
    h->live_bytes += w.bytes;
    if (h->live_bytes > h->peak_bytes) {
        h->peak_bytes = h->live_bytes;
        h->peak_epoch++; /* every stack's live counts are the peak's */
    }
    return first;
}

void stack_stats_free(struct stack_stats *s, uint32_t stack, struct weight w)
{
    struct alloc_head *h = s->head;
    struct stack_stat *st = &s->stats[stack]; /* counted when allocated */

    keep_peak(h, st);
    add(&st->freed, w, 1);
    add(&st->live, w, -1);
    h->live_bytes -= w.bytes;
}

struct weight stack_stat_at_peak(const struct stack_stat *st,
                                 uint64_t peak_epoch)
{
    return st->epoch == peak_epoch ? st->peak : st->live;
}

void stack_stats_reset(struct stack_stats *s)
{
    store_clear(s->store);
    if (s->head != NULL) {
        s->head->magic = ALLOC_STATE_MAGIC;
        s->head->peak_epoch = 1;
        s->head->capacity = s->capacity;
    }
}
