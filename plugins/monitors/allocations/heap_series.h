/*
 * heap_series.h - monitors/allocations' heap over time (option
 * `interval`): the live bytes and blocks of the blocks it counts, as a
 * timed HeapRecord (docs/records.md) at most once per interval and only
 * when they changed, plus one when monitoring starts (nothing live) and
 * one when it stops (the last totals, when they changed since).
 *
 * A record may go out from the on_event of an allocation event, inside
 * the program's allocator: the emission reads the host's clock and
 * thread id and hands C recorders a record on the stack, nothing else.
 * Only events of the mem and object domains emit, where the thread holds
 * the GIL, so that heap records reach the recorders one at a time with
 * every other record of the run (the raw domain and the C library's
 * malloc may run without it: their events count, and show in the next
 * record).
 */
#ifndef ALLOCATIONS_HEAP_SERIES_H
#define ALLOCATIONS_HEAP_SERIES_H

#include <stdint.h>

#include <pikos/plugin.h>

struct heap_series {
    uint64_t interval_ns; /* 0: off */
    double bytes, blocks; /* live now (estimates when sampled) */
    int emitted;          /* a record went out in this run */
    uint64_t last_ns;     /* clock_ns() of the last record */
    int64_t last_bytes, last_blocks; /* what it said */
    int64_t index;        /* records emitted in this run */
};

extern const struct pikos_schema heap_record;

/* A new run: nothing live, nothing emitted. */
void heap_series_reset(struct heap_series *h, uint64_t interval_ns);

static inline void heap_series_alloc(struct heap_series *h, double bytes,
                                     double blocks)
{
    h->bytes += bytes;
    h->blocks += blocks;
}

static inline void heap_series_free(struct heap_series *h, double bytes,
                                    double blocks)
{
    h->bytes -= bytes;
    h->blocks -= blocks;
}

/* After an event was counted: a record if an interval has passed since
   the last one and the totals changed.  `domain` is the event's: only
   the mem and object domains' emit.  Returns the emission's status
   (PIKOS_OK when nothing went out). */
int heap_series_tick(struct pikos_instance *inst, const struct pikos_host *host,
                     struct heap_series *h, uint32_t domain);

/* From start (always) and stop (when the totals changed): a record now,
   whatever the interval. */
int heap_series_emit_now(struct pikos_instance *inst,
                         const struct pikos_host *host, struct heap_series *h,
                         int only_if_changed);

#endif
