/*
 * live_top.h - monitors/allocations' live view (option `live=SECONDS`):
 * while the program runs, a snapshot of the per-line aggregates, the top
 * `top=N` lines by live bytes, as HeapTopRecords (docs/records.md), at
 * most once per period, for `pikos watch`.
 *
 * Paced on events: an allocation or free counted once the period has
 * passed since the last snapshot asks the host for a safe point
 * (host->safe_point_soon), where the frames are copied and the snapshot
 * is made from the same counters the aggregates come from: every counted
 * stack summed by line (function, file, line of its innermost frame),
 * the lines sorted by live bytes, the first N emitted, one record each.
 * A snapshot goes out only when something was counted since the last
 * one; none at stop (the aggregates are the last word) and none in a
 * salvage (a view of a running program).
 */
#ifndef ALLOCATIONS_LIVE_TOP_H
#define ALLOCATIONS_LIVE_TOP_H

#include <stdint.h>

#include <pikos/plugin.h>

struct alloc_view;

/* The most rows a snapshot may have (option `top`). */
#define LIVE_TOP_MAX 10000

struct live_top_row; /* live_top.c */

struct live_top {
    uint64_t period_ns; /* 0: off */
    uint64_t top;       /* rows per snapshot at most */
    uint64_t last_ns;   /* clock_ns() of the last snapshot (or start) */
    int changed;        /* counted something since the last snapshot */
    int64_t snapshots;  /* emitted in this run */
    struct live_top_row *rows; /* reused from one snapshot to the next */
    size_t capacity;
};

extern const struct pikos_schema heap_top_record;

/* A new run: nothing counted, the first snapshot a period from now. */
void live_top_reset(struct live_top *t, uint64_t period_ns, uint64_t top,
                    uint64_t now_ns);
void live_top_free(struct live_top *t);

/* From on_event, after an event was counted: 1 when a snapshot is due
   (the caller asks for a safe point), else 0. */
static inline int live_top_note(struct live_top *t,
                                const struct pikos_host *host)
{
    if (t->period_ns == 0)
        return 0;
    t->changed = 1;
    return host->clock_ns() - t->last_ns >= t->period_ns;
}

/* From the safe point (the frames copied): the snapshot, when one is due
   and something changed.  PIKOS_OK, or the first emission's error (the
   other rows still go out), or PIKOS_ENOMEM. */
int live_top_emit(struct pikos_instance *inst, const struct pikos_host *host,
                  struct live_top *t, const struct alloc_view *v);

#endif
