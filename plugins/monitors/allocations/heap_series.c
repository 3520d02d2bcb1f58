/*
 * heap_series.c - the heap over time (see heap_series.h).
 */
#include <math.h>

#include "heap_series.h"

enum {
    FIELD_INDEX,
    FIELD_LIVE_BYTES,
    FIELD_LIVE_BLOCKS,
    FIELD_TIME,
    FIELD_THREAD,
    FIELD_COUNT
};

static const struct pikos_field fields[FIELD_COUNT] = {
    [FIELD_INDEX] = {"index", PIKOS_FIELD_INT},
    [FIELD_LIVE_BYTES] = {"live_bytes", PIKOS_FIELD_INT},
    [FIELD_LIVE_BLOCKS] = {"live_blocks", PIKOS_FIELD_INT},
    [FIELD_TIME] = {"time", PIKOS_FIELD_INT},
    [FIELD_THREAD] = {"thread", PIKOS_FIELD_INT},
};

const struct pikos_schema heap_record = {
    .name = "HeapRecord",
    .nfields = FIELD_COUNT,
    .fields = fields,
    .header_template = "{:>8} {:>14} {:>11} {:>14} {:>8}",
    .line_template = "{:>8} {:>14} {:>11} {:>14} {:>8}",
};

void heap_series_reset(struct heap_series *h, uint64_t interval_ns)
{
    *h = (struct heap_series){.interval_ns = interval_ns};
}

/* Integers for the record: a sampled run's estimates rounded, and never
   below 0 (an estimate's rounding could dip a hair under). */
static int64_t whole(double x)
{
    long long v = llround(x);
    return v < 0 ? 0 : v;
}

static int emit(struct pikos_instance *inst, const struct pikos_host *host,
                struct heap_series *h, uint64_t now, int64_t bytes,
                int64_t blocks)
{
    uint64_t zero = host->run_started_ns(inst);
    struct pikos_value values[FIELD_COUNT];

    values[FIELD_INDEX].u.i = h->index++;
    values[FIELD_LIVE_BYTES].u.i = bytes;
    values[FIELD_LIVE_BLOCKS].u.i = blocks;
    values[FIELD_TIME].u.i = now > zero ? (int64_t)(now - zero) : 0;
    values[FIELD_THREAD].u.i = (int64_t)host->os_thread_id();
    h->emitted = 1;
    h->last_ns = now;
    h->last_bytes = bytes;
    h->last_blocks = blocks;
    struct pikos_record record = {&heap_record, values};
    return host->emit(inst, &record);
}

int heap_series_tick(struct pikos_instance *inst, const struct pikos_host *host,
                     struct heap_series *h, uint32_t domain)
{
    if (h->interval_ns == 0 ||
        (domain != PIKOS_ALLOC_MEM && domain != PIKOS_ALLOC_OBJ))
        return PIKOS_OK;
    uint64_t now = host->clock_ns();
    if (h->emitted && now - h->last_ns < h->interval_ns)
        return PIKOS_OK;
    int64_t bytes = whole(h->bytes), blocks = whole(h->blocks);
    if (h->emitted && bytes == h->last_bytes && blocks == h->last_blocks)
        return PIKOS_OK;
    return emit(inst, host, h, now, bytes, blocks);
}

int heap_series_emit_now(struct pikos_instance *inst,
                         const struct pikos_host *host, struct heap_series *h,
                         int only_if_changed)
{
    if (h->interval_ns == 0)
        return PIKOS_OK;
    int64_t bytes = whole(h->bytes), blocks = whole(h->blocks);
    if (only_if_changed && h->emitted && bytes == h->last_bytes &&
        blocks == h->last_blocks)
        return PIKOS_OK;
    return emit(inst, host, h, host->clock_ns(), bytes, blocks);
}
