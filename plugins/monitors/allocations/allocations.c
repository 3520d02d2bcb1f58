/*
 * monitors/allocations - where the program allocates memory: bytes and
 * counts allocated, freed, live at the peak and live at the end, by the
 * Python line (AllocationRecord) or the whole Python stack
 * (StackAllocationRecord) that asked for them.
 *
 * The host gives an event for every block Python's allocators (raw, mem,
 * object: what tracemalloc sees) hand out or take back, with the stack node
 * of the code that asked (ABI 1.5).  Per event this monitor only counts:
 * the live blocks' table (live_blocks.h) finds what a free gives back, and
 * each stack's counters (stack_stats.h) keep the peak.  Records go out when
 * monitoring stops, one per line or stack, largest allocators first
 * (aggregate.c).
 *
 * However the program ends, the records are kept: the counters and each
 * counted stack's frames (copied at the host's safe points, frames.c) are
 * in durable state buffers (state.h), from which the `pikos` command has
 * a fresh instance emit them into the run's recorders (`salvage`).
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

#include "allocations.h"

static const struct pikos_option allocations_options[] = {
    {"aggregate", PIKOS_OPT_STRING, 0, "line",
     "one record per 'line' (function, file, line) or per 'stack' (the "
     "whole Python stack, for flame graphs)",
     offsetof(struct allocations_ctx, aggregate)},
    {"sample", PIKOS_OPT_INT, 0, "0",
     "0: every block; N: about one block per N bytes allocated, picked at "
     "random, the counts then estimates (a fraction of the cost)",
     offsetof(struct allocations_ctx, sample)},
    {"native", PIKOS_OPT_BOOL, 0, "false",
     "also the C library's malloc, calloc, realloc, posix_memalign and "
     "free, as every library calls them (extension modules' buffers)",
     offsetof(struct allocations_ctx, native)},
    {"interval", PIKOS_OPT_INT, 0, "0",
     "0: records at the end only; N: also the live bytes and blocks as "
     "they change (HeapRecord, timed), at most one per N microseconds",
     offsetof(struct allocations_ctx, interval)},
    {"threshold", PIKOS_OPT_INT, 0, "0",
     "0: none; N: also one record per allocation of at least N bytes and "
     "per free of such a block (BlockRecord: time, thread, address, size, "
     "domain, line and stack), emitted at safe points in allocation order",
     offsetof(struct allocations_ctx, threshold)},
    {"queue", PIKOS_OPT_INT, 0, "65536",
     "with threshold: the block records that may wait for a safe point "
     "(56 bytes each); one more is dropped, leaving a gap in index",
     offsetof(struct allocations_ctx, queue)},
    {"live", PIKOS_OPT_FLOAT, 0, "0",
     "0: none; S: while the program runs, about every S seconds a "
     "snapshot of the top lines by live bytes (HeapTopRecord, for pikos "
     "watch), made at a safe point",
     offsetof(struct allocations_ctx, live_seconds)},
    {"top", PIKOS_OPT_INT, 0, "20",
     "with live: the lines a snapshot gives at most (the most live bytes "
     "first)",
     offsetof(struct allocations_ctx, top)},
    {0},
};

static int allocations_init(struct pikos_instance *inst, void *ctx,
                            const struct pikos_host *host)
{
    struct allocations_ctx *self = ctx;

    self->host = host;
    self->store.inst = inst;
    self->store.host = PIKOS_HOST_HAS(host, state_get) ? host : NULL;
    self->stats.store = &self->store;
    self->has_safe_points = PIKOS_HOST_HAS(host, safe_point_soon) &&
                            host->safe_point_soon != NULL;
    if (!PIKOS_HOST_HAS(host, allocations_native) ||
        host->allocations_native == NULL)
        return host->set_error(inst, PIKOS_EABI,
                               "this pikos gives no allocation events; "
                               "upgrade pikos to use this monitor");
    if (self->sample < 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'sample' must be 0 (every block) or "
                               "a number of bytes, not %lld",
                               (long long)self->sample);
    if (self->interval < 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'interval' must be 0 (no heap "
                               "records) or microseconds, not %lld",
                               (long long)self->interval);
    if (self->threshold < 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'threshold' must be 0 (no block "
                               "records) or a number of bytes, not %lld",
                               (long long)self->threshold);
    if (self->queue < 1)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'queue' must be at least 1, not %lld",
                               (long long)self->queue);
    if (!(self->live_seconds >= 0) || self->live_seconds > 86400)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'live' must be 0 (no snapshots) or "
                               "seconds up to 86400, not %g",
                               self->live_seconds);
    if (self->top < 1 || self->top > LIVE_TOP_MAX)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'top' must be 1 to %d lines, not %lld",
                               LIVE_TOP_MAX, (long long)self->top);
    if (self->live_seconds > 0 && !self->has_safe_points)
        return host->set_error(inst, PIKOS_EABI,
                               "option 'live' needs safe points, which this "
                               "pikos does not give; upgrade pikos");
    self->blocks.store = &self->store;
    self->blocks.limit = (uint64_t)self->queue;
    if (strcmp(self->aggregate, "line") == 0)
        self->by_stack = 0;
    else if (strcmp(self->aggregate, "stack") == 0)
        self->by_stack = 1;
    else
        return host->set_error(inst, PIKOS_EINVAL,
                               "option 'aggregate' must be 'line' or "
                               "'stack', not '%s'",
                               self->aggregate);
    return PIKOS_OK;
}

static const struct pikos_schema *
allocations_schema(struct pikos_instance *inst, void *ctx)
{
    struct allocations_ctx *self = ctx;

    (void)inst;
    /* With threshold, the block records come first; with interval, the
       heap records; with live, the snapshots; the aggregates at the end
       (docs/decisions.md). */
    if (self->threshold > 0)
        return &block_record;
    if (self->interval > 0)
        return &heap_record;
    if (self->live_seconds > 0)
        return &heap_top_record;
    return self->by_stack ? &stack_allocation_record : &allocation_record;
}

/*
 * Every record type this instance emits (ABI 1.5), so that the host
 * prepares the recorders for all of them at start and a recorder that
 * cannot hold them (recorders/csv on standard output: one type) refuses
 * before the program runs, not at stop.  In allocations_schema's order:
 * the block records (threshold=), the heap records (interval=), then the
 * aggregates, within ALLOCATIONS_SCHEMAS.
 */
#define ALLOCATIONS_SCHEMAS 4 /* block, heap, top, aggregates */

static int allocations_schemas(struct pikos_instance *inst, void *ctx,
                               const struct pikos_schema **out, size_t max)
{
    struct allocations_ctx *self = ctx;
    const struct pikos_schema *all[ALLOCATIONS_SCHEMAS];
    size_t n = 0;

    (void)inst;
    if (self->threshold > 0)
        all[n++] = &block_record;
    if (self->interval > 0)
        all[n++] = &heap_record;
    if (self->live_seconds > 0)
        all[n++] = &heap_top_record;
    all[n++] = self->by_stack ? &stack_allocation_record : &allocation_record;
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = all[i];
    return (int)n;
}

/* A new run counts from nothing: the host numbers stacks afresh. */
static int allocations_start(struct pikos_instance *inst, void *ctx)
{
    struct allocations_ctx *self = ctx;

    live_blocks_free(&self->live);
    stack_stats_reset(&self->stats);
    frames_reset(&self->frames);
    self->out_of_memory = 0;
    self->sample_bytes = 0;
    /* The state's first buffer now, so that the run's record in the
       command's region is taken at start, not in the allocator. */
    if (stack_stats_alloc(&self->stats, 0, (struct weight){0, 0}) < 0)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    self->stats.head->by_stack = (uint32_t)self->by_stack;
    block_queue_reset(&self->blocks);
    heap_series_reset(&self->heap, (uint64_t)self->interval * 1000);
    live_top_reset(&self->live_top, (uint64_t)(self->live_seconds * 1e9),
                   (uint64_t)self->top, self->host->clock_ns());
    int rc = self->host->allocations_sample(inst, (uint64_t)self->sample);
    if (rc == PIKOS_OK)
        rc = self->host->allocations_native(inst, self->native);
    if (rc == PIKOS_OK) /* the heap's first point: nothing live yet */
        rc = heap_series_emit_now(inst, self->host, &self->heap, 0);
    return rc;
}

/* What a block stands for: itself, or when it was sampled at a rate of
   one per N bytes (picked with probability p = 1 - exp(-size / N)),
   size / p bytes and 1 / p blocks: estimates without bias, as Go's heap
   profiler makes them. */
static struct weight weight_of(const struct allocations_ctx *self,
                               uint64_t size)
{
    if (self->sample_bytes == 0)
        return (struct weight){(double)size, 1};
    /* A block of 0 bytes was picked as one of 1 (core/alloc_hook.c). */
    double p = -expm1(-(double)(size ? size : 1) /
                      (double)self->sample_bytes);
    return (struct weight){(double)size / p, 1 / p};
}

/* A block record, queued for the next safe point. */
static void queue_block(struct pikos_instance *inst,
                        struct allocations_ctx *self,
                        const struct pikos_event *ev, uint8_t type,
                        uint64_t size, uint32_t stack)
{
    const struct pikos_host *host = self->host;
    uint64_t now = host->clock_ns(), zero = host->run_started_ns(inst);
    struct block_entry e = {
        .address = ev->address,
        .size = size,
        .time = now > zero ? now - zero : 0,
        .thread = host->os_thread_id(),
        .weight = weight_of(self, size).count,
        .stack = stack,
        .type = type,
        .domain = (uint8_t)ev->domain,
    };
    if (block_queue_push(&self->blocks, e) == 0)
        frames_ask(inst, self);
}

/* The free of the block at `address`, if it is one this monitor counts. */
static void count_free(struct pikos_instance *inst,
                       struct allocations_ctx *self,
                       const struct pikos_event *ev, uint64_t address)
{
    uint64_t size;
    uint32_t stack;

    if (!live_blocks_take(&self->live, address, &size, &stack))
        return;
    struct weight w = weight_of(self, size);
    if (self->threshold > 0 && size >= (uint64_t)self->threshold)
        queue_block(inst, self, ev, BLOCK_FREE, size, stack);
    stack_stats_free(&self->stats, stack, w);
    heap_series_free(&self->heap, w.bytes, w.count);
    heap_series_tick(inst, self->host, &self->heap, ev->domain);
    if (live_top_note(&self->live_top, self->host))
        frames_ask(inst, self);
}

static void allocations_on_event(struct pikos_instance *inst, void *ctx,
                                 const struct pikos_event *ev)
{
    struct allocations_ctx *self = ctx;
    uint64_t size;
    uint32_t stack;

    if (ev->type == PIKOS_EVENT_FREE) {
        count_free(inst, self, ev, ev->address);
        return;
    }
    self->sample_bytes = ev->sample_bytes; /* one rate for the run */
    /* A block still kept at this address was freed unseen (through a
       function pointer taken before native mode began, say): freed now,
       as tracemalloc does, so that one address is one block. */
    count_free(inst, self, ev, ev->address);
    /* Counted only when kept, so that its free is found: the counts
       stay consistent, and the error says some were lost. */
    int first;
    if (live_blocks_add(&self->live, ev->address, ev->size, ev->stack) < 0 ||
        (first = stack_stats_alloc(&self->stats, ev->stack,
                                   weight_of(self, ev->size))) < 0) {
        live_blocks_take(&self->live, ev->address, &size, &stack);
        self->out_of_memory = 1;
        if (self->stats.head != NULL)
            self->stats.head->out_of_memory = 1;
        return;
    }
    if (first)
        frames_note(inst, self, ev->stack);
    if (self->threshold > 0 && ev->size >= (uint64_t)self->threshold)
        queue_block(inst, self, ev, BLOCK_ALLOC, ev->size, ev->stack);
    struct weight w = weight_of(self, ev->size);
    heap_series_alloc(&self->heap, w.bytes, w.count);
    heap_series_tick(inst, self->host, &self->heap, ev->domain);
    if (live_top_note(&self->live_top, self->host))
        frames_ask(inst, self);
}

static void allocations_safe_point(struct pikos_instance *inst, void *ctx)
{
    struct allocations_ctx *self = ctx;

    if (frames_resolve(self) < 0)
        self->out_of_memory = 1;
    /* The block records queued since the last one, now that their
       frames are copied.  A recorder that fails keeps its error, which
       the run reports. */
    struct alloc_view view = view_of(self);
    block_records_drain(inst, self->host, &view, &self->blocks,
                        &self->stack_text);
    /* The live view's snapshot, when one is due (live_top.h). */
    live_top_emit(inst, self->host, &self->live_top, &view);
}

/* Block records a full queue lost: the run's error (their indexes are
   the gaps). */
static int report_dropped(struct pikos_instance *inst,
                          const struct pikos_host *host, uint64_t dropped,
                          int64_t queue)
{
    if (dropped == 0)
        return PIKOS_OK;
    return host->set_error(inst, PIKOS_ENOMEM,
                           "%llu block records dropped: more than queue=%lld "
                           "waited for a safe point (their indexes are "
                           "missing); raise queue= or threshold=",
                           (unsigned long long)dropped, (long long)queue);
}

static int allocations_stop(struct pikos_instance *inst, void *ctx)
{
    struct allocations_ctx *self = ctx;

    if (frames_resolve(self) < 0)
        self->out_of_memory = 1;
    /* The last block records, the heap's last point, then the
       aggregates. */
    struct alloc_view view = view_of(self);
    int rc = block_records_drain(inst, self->host, &view, &self->blocks,
                                 &self->stack_text);
    if (rc == PIKOS_OK)
        rc = heap_series_emit_now(inst, self->host, &self->heap, 1);
    if (rc == PIKOS_OK)
        rc = allocations_emit(inst, self->host, &view, self->by_stack);

    if (rc == PIKOS_OK && self->out_of_memory)
        rc = self->host->set_error(inst, PIKOS_ENOMEM,
                                   "out of memory: some allocations were "
                                   "not counted");
    if (rc == PIKOS_OK)
        rc = report_dropped(inst, self->host, self->blocks.head
                                                  ? self->blocks.head->dropped
                                                  : 0,
                            self->queue);
    return rc;
}

static void allocations_fini(struct pikos_instance *inst, void *ctx)
{
    struct allocations_ctx *self = ctx;

    (void)inst;
    live_blocks_free(&self->live);
    store_free(&self->store);
    frames_reset(&self->frames);
    live_top_free(&self->live_top);
    free(self->stack_text.data);
    self->stack_text = (struct text){0};
}

/* The program ended before monitoring stopped: the records from what it
   left, into the run's recorders made again (core: pikos_pipeline_salvage).
   Stacks counted after the last safe point have no frame: their records
   say "<unknown frame>". */
static int allocations_salvage(struct pikos_instance *inst, void *ctx)
{
    struct allocations_ctx *self = ctx;
    struct alloc_view view;

    if (!PIKOS_HOST_HAS(self->host, state_get) ||
        view_left(inst, self->host, &view) < 0)
        return self->host->set_error(inst, PIKOS_EPLUGIN,
                                     "the program left no whole counts");
    uint64_t dropped = 0;
    int rc = block_records_salvage(inst, self->host, &view, &dropped);
    if (rc == PIKOS_OK)
        rc = allocations_emit(inst, self->host, &view, self->by_stack);
    if (rc == PIKOS_OK)
        rc = report_dropped(inst, self->host, dropped, self->queue);
    if (rc == PIKOS_OK && view.head != NULL && view.head->out_of_memory)
        rc = self->host->set_error(inst, PIKOS_ENOMEM,
                                   "out of memory: some allocations were "
                                   "not counted");
    return rc;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "allocations",
    .version = "0.1.0",
    .description = "Where Python allocates memory: bytes and blocks "
                   "allocated, freed, live at the peak and at the end, by "
                   "line or by stack",
    .options = allocations_options,
    .ctx_size = sizeof(struct allocations_ctx),
    .init = allocations_init,
    .start = allocations_start,
    .stop = allocations_stop,
    .fini = allocations_fini,
    .event_mask = PIKOS_EVENTS_ALLOCATION,
    .schema = &allocation_record,
    .on_event = allocations_on_event,
    .instance_schema = allocations_schema,
    .salvage = allocations_salvage,
    .safe_point = allocations_safe_point,
    .instance_schemas = allocations_schemas,
});
