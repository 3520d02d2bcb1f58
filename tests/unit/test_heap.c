/* monitors/allocations' heap over time (interval=N, heap_series.c)
   against the fake host, which gives the clock: a HeapRecord at start
   (nothing live), then after an event at most one per interval and only
   when the live bytes or blocks changed, only from events of the mem and
   object domains; the last totals at stop, then the aggregates; sampled
   events count as the blocks they stand for. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "alloc_driver.h"


static struct fake_instance *monitor(const char *interval)
{
    const char *settings[] = {interval, NULL};
    return alloc_driver_start(settings, NULL, 0);
}

static void event(struct fake_instance *fi, uint32_t type, uint32_t domain,
                  uint64_t address, uint64_t size, uint64_t at_ms)
{
    alloc_driver_event(fi, type, domain, address, size, 0, at_ms);
}

static void alloc(struct fake_instance *fi, uint64_t address, uint64_t size,
                  uint64_t at_ms)
{
    event(fi, PIKOS_EVENT_ALLOC, PIKOS_ALLOC_OBJ, address, size, at_ms);
}

static void release(struct fake_instance *fi, uint64_t address,
                    uint64_t at_ms)
{
    event(fi, PIKOS_EVENT_FREE, PIKOS_ALLOC_OBJ, address, 0, at_ms);
}

static void stop(struct fake_instance *fi, uint64_t at_ms)
{
    fake_now_ns = fake_run_start_ns + at_ms * MS;
    cr_assert_eq(pikos_plugin_entry.stop(&fi->inst, fi->ctx), PIKOS_OK, "%s",
                 fi->error);
}

Test(heap, records_are_paced_by_the_interval_and_changes)
{
    struct fake_instance *fi = monitor("interval=10000"); /* 10 ms */
    cr_assert_eq(fi->nrecords, 1);
    cr_assert_str_eq(fi->records[0], "0|0|0|0|42");
    alloc(fi, 0x1000, 100, 1);   /* within 10 ms of the first: none */
    alloc(fi, 0x2000, 200, 5);
    cr_assert_eq(fi->nrecords, 1);
    alloc(fi, 0x3000, 300, 10);  /* 10 ms since: the totals now */
    cr_assert_eq(fi->nrecords, 2);
    cr_assert_str_eq(fi->records[1], "1|600|3|10000000|42");
    release(fi, 0x2000, 15);
    cr_assert_eq(fi->nrecords, 2);
    release(fi, 0x9000, 30);     /* not counted: nothing changed */
    cr_assert_eq(fi->nrecords, 2);
    alloc(fi, 0x2000, 200, 31);  /* back to what the last record said */
    cr_assert_eq(fi->nrecords, 2);
    release(fi, 0x1000, 40);
    cr_assert_eq(fi->nrecords, 3);
    cr_assert_str_eq(fi->records[2], "2|500|2|40000000|42");
    stop(fi, 45); /* unchanged since: the aggregates only */
    cr_assert_eq(fi->nrecords, 4);
    cr_assert(strstr(fi->records[3], "<no Python frame>") == fi->records[3],
              "%s", fi->records[3]);
    fake_instance_free(fi);
}

Test(heap, raw_domain_events_count_but_do_not_emit)
{
    struct fake_instance *fi = monitor("interval=1000");
    event(fi, PIKOS_EVENT_ALLOC, PIKOS_ALLOC_RAW, 0x1000, 64, 5);
    event(fi, PIKOS_EVENT_ALLOC, PIKOS_ALLOC_NATIVE, 0x2000, 64, 6);
    cr_assert_eq(fi->nrecords, 1);
    event(fi, PIKOS_EVENT_ALLOC, PIKOS_ALLOC_MEM, 0x3000, 32, 7);
    cr_assert_eq(fi->nrecords, 2);
    cr_assert_str_eq(fi->records[1], "1|160|3|7000000|42");
    event(fi, PIKOS_EVENT_FREE, PIKOS_ALLOC_RAW, 0x1000, 0, 9);
    cr_assert_eq(fi->nrecords, 2);
    stop(fi, 9); /* the last totals at stop, whatever the interval */
    cr_assert_str_eq(fi->records[2], "2|96|2|9000000|42");
    fake_instance_free(fi);
}

Test(heap, sampled_blocks_count_as_what_they_stand_for)
{
    struct fake_instance *fi = monitor("interval=1000");
    /* one block of 1000 bytes picked at one per 1000 bytes: p = 1 - 1/e */
    struct pikos_event ev = {.type = PIKOS_EVENT_ALLOC, .address = 0x1000,
                             .size = 1000, .domain = PIKOS_ALLOC_OBJ,
                             .sample_bytes = 1000};
    fake_now_ns = fake_run_start_ns + 2 * MS;
    pikos_plugin_entry.on_event(&fi->inst, fi->ctx, &ev);
    cr_assert_eq(fi->nrecords, 2);
    /* 1000 / 0.632... = 1582, 1 / 0.632... = 1.58 -> 2 */
    cr_assert_str_eq(fi->records[1], "1|1582|2|2000000|42");
    fake_instance_free(fi);
}

/* A block of 0 bytes is picked as one of 1 byte (core/alloc_hook.c):
   it stands for 1 / p blocks and no bytes, so that a run of empty blocks
   is not lost from the block counts. */
Test(heap, a_sampled_empty_block_counts_as_blocks)
{
    struct fake_instance *fi = monitor("interval=1000");
    struct pikos_event ev = {.type = PIKOS_EVENT_ALLOC, .address = 0x1000,
                             .size = 0, .domain = PIKOS_ALLOC_OBJ,
                             .sample_bytes = 2};
    fake_now_ns = fake_run_start_ns + 2 * MS;
    pikos_plugin_entry.on_event(&fi->inst, fi->ctx, &ev);
    cr_assert_eq(fi->nrecords, 2);
    /* p = 1 - exp(-1/2) = 0.393..., 1 / p = 2.54 -> 3 blocks, 0 bytes */
    cr_assert_str_eq(fi->records[1], "1|0|3|2000000|42");
    fake_instance_free(fi);
}

Test(heap, no_interval_no_heap_records)
{
    struct fake_instance *fi = monitor("interval=0");
    cr_assert_eq(fi->nrecords, 0);
    alloc(fi, 0x1000, 100, 100);
    cr_assert_eq(fi->nrecords, 0);
    stop(fi, 200);
    cr_assert_eq(fi->nrecords, 1); /* the aggregate */
    fake_instance_free(fi);
}

Test(heap, the_instance_schema_follows_the_interval)
{
    const char *on[] = {"interval=5", NULL}, *off[] = {NULL};
    struct fake_instance *a = fake_instance_new(&pikos_plugin_entry, on);
    struct fake_instance *b = fake_instance_new(&pikos_plugin_entry, off);
    cr_assert_str_eq(pikos_plugin_entry.instance_schema(&a->inst, a->ctx)->name,
                     "HeapRecord");
    cr_assert_str_eq(pikos_plugin_entry.instance_schema(&b->inst, b->ctx)->name,
                     "AllocationRecord");
    fake_instance_free(a);
    fake_instance_free(b);
}

/* Every record type an instance emits (ABI 1.5's instance_schemas), the
   heap records first: the host prepares the recorders for all of them at
   start.  A short `out` still gets the count. */
Test(heap, the_instance_declares_each_record_type_it_emits)
{
    const char *on[] = {"interval=5", NULL}, *off[] = {NULL};
    const char *stack[] = {"interval=5", "aggregate=stack", NULL};
    struct fake_instance *a = fake_instance_new(&pikos_plugin_entry, on);
    struct fake_instance *b = fake_instance_new(&pikos_plugin_entry, off);
    struct fake_instance *c = fake_instance_new(&pikos_plugin_entry, stack);
    const struct pikos_schema *out[4] = {0};

    cr_assert_eq(pikos_plugin_entry.instance_schemas(&a->inst, a->ctx, out, 4),
                 2);
    cr_assert_str_eq(out[0]->name, "HeapRecord");
    cr_assert_str_eq(out[1]->name, "AllocationRecord");
    cr_assert_eq(pikos_plugin_entry.instance_schemas(&b->inst, b->ctx, out, 4),
                 1);
    cr_assert_str_eq(out[0]->name, "AllocationRecord");
    out[1] = NULL;
    cr_assert_eq(pikos_plugin_entry.instance_schemas(&c->inst, c->ctx, out, 1),
                 2);
    cr_assert_str_eq(out[0]->name, "HeapRecord");
    cr_assert_null(out[1]); /* no room: not written */
    cr_assert_eq(pikos_plugin_entry.instance_schemas(&c->inst, c->ctx, out, 4),
                 2);
    cr_assert_str_eq(out[1]->name, "StackAllocationRecord");
    fake_instance_free(a);
    fake_instance_free(b);
    fake_instance_free(c);
}

Test(heap, a_negative_interval_is_refused)
{
    const char *settings[] = {"interval=-1", NULL};
    struct fake_instance *fi =
        fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_eq(fi->init_rc, PIKOS_EINVAL);
    cr_assert(strstr(fi->error, "'interval'") != NULL, "%s", fi->error);
    fake_instance_free(fi);
}
