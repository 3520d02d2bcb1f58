/* monitors/allocations' block records (threshold=N, block_records.c)
   against the fake host, which gives the clock, the thread and two stack
   nodes: a record per allocation of at least N bytes and per free of
   such a block, queued until the safe point (asked for) or stop, then
   emitted in the events' order with the place of the allocation; a full
   queue drops records, leaving gaps in index, and stop says so; sampled
   blocks carry their weight. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "alloc_driver.h"

static const struct pikos_code module_code = {
    "<module>", 8, "<module>", 8, "prog.py", 7, 1, 0x100};
static const struct pikos_code work_code = {
    "work", 4, "work", 4, "prog.py", 7, 3, 0x200};
/* node 1: <module> at line 10; node 2: work at line 5, called from 1 */
static const struct fake_frame frames[] = {
    {&module_code, 10, 0},
    {&work_code, 5, 1},
};

static struct fake_instance *monitor(const char *a, const char *b)
{
    const char *settings[] = {a, b, NULL};
    return alloc_driver_start(settings, frames, 2);
}

#define event alloc_driver_event

static void alloc(struct fake_instance *fi, uint64_t address, uint64_t size,
                  uint32_t stack, uint64_t at_ms)
{
    event(fi, PIKOS_EVENT_ALLOC, PIKOS_ALLOC_OBJ, address, size, stack,
          at_ms);
}

static void release(struct fake_instance *fi, uint64_t address,
                    uint64_t at_ms)
{
    event(fi, PIKOS_EVENT_FREE, PIKOS_ALLOC_OBJ, address, 0, 0, at_ms);
}

static void safe_point(struct fake_instance *fi)
{
    pikos_plugin_entry.safe_point(&fi->inst, fi->ctx);
}

#define WORK_STACK "<module> (prog.py:10);work (prog.py:5)"

Test(blocks, records_wait_for_the_safe_point_in_order)
{
    struct fake_instance *fi = monitor("threshold=10000", NULL);
    alloc(fi, 0x1000, 20000, 2, 1);
    alloc(fi, 0x2000, 9999, 2, 2); /* below: no record */
    fake_thread_id = 43;
    release(fi, 0x1000, 3);        /* its free: the allocation's place */
    release(fi, 0x2000, 4);
    event(fi, PIKOS_EVENT_ALLOC, PIKOS_ALLOC_RAW, 0x3000, 10000, 0, 5);
    cr_assert_eq(fi->nrecords, 0); /* names only at a safe point */
    cr_assert_gt(fake_safe_points_asked, 0);
    safe_point(fi);
    cr_assert_eq(fi->nrecords, 3);
    cr_assert_str_eq(fi->records[0], "0|alloc|4096|20000|obj|1.0|work|"
                                     "prog.py|5|" WORK_STACK "|1000000|42");
    cr_assert_str_eq(fi->records[1], "1|free|4096|20000|obj|1.0|work|"
                                     "prog.py|5|" WORK_STACK "|3000000|43");
    cr_assert_str_eq(fi->records[2],
                     "2|alloc|12288|10000|raw|1.0|<no Python frame>||0|"
                     "<no Python frame>|5000000|43");
    safe_point(fi); /* nothing new: nothing emitted */
    cr_assert_eq(fi->nrecords, 3);
    alloc(fi, 0x4000, 30000, 1, 6);
    cr_assert_eq(pikos_plugin_entry.stop(&fi->inst, fi->ctx), PIKOS_OK, "%s",
                 fi->error);
    /* the last one at stop, then the aggregates: three lines */
    cr_assert_eq(fi->nrecords, 7);
    cr_assert_str_eq(fi->records[3], "3|alloc|16384|30000|obj|1.0|<module>|"
                                     "prog.py|10|<module> (prog.py:10)|"
                                     "6000000|43");
    cr_assert(strncmp(fi->records[4], "<module>|prog.py|10|30000|1|", 28) == 0,
              "%s", fi->records[4]);
    cr_assert(strncmp(fi->records[5], "work|prog.py|5|29999|2|29999|2|", 31) ==
                  0, "%s", fi->records[5]);
    fake_instance_free(fi);
}

Test(blocks, a_full_queue_drops_and_says_so)
{
    struct fake_instance *fi = monitor("threshold=100", "queue=2");
    alloc(fi, 0x1000, 100, 2, 1);
    alloc(fi, 0x2000, 200, 2, 2);
    alloc(fi, 0x3000, 300, 2, 3); /* the queue is full: dropped */
    safe_point(fi);
    cr_assert_eq(fi->nrecords, 2);
    alloc(fi, 0x4000, 400, 2, 4); /* room again; index 2 is the gap */
    release(fi, 0x3000, 5);       /* its free has a record */
    safe_point(fi);
    cr_assert_eq(fi->nrecords, 4);
    cr_assert(strncmp(fi->records[2], "3|alloc|16384|400|", 18) == 0, "%s",
              fi->records[2]);
    cr_assert(strncmp(fi->records[3], "4|free|12288|300|", 17) == 0, "%s",
              fi->records[3]);
    cr_assert_eq(pikos_plugin_entry.stop(&fi->inst, fi->ctx), PIKOS_ENOMEM);
    cr_assert(strstr(fi->error, "1 block records dropped") != NULL, "%s",
              fi->error);
    cr_assert(strstr(fi->error, "queue=2") != NULL, "%s", fi->error);
    fake_instance_free(fi);
}

Test(blocks, frees_of_blocks_from_before_the_start_have_none)
{
    struct fake_instance *fi = monitor("threshold=1", NULL);
    release(fi, 0x1000, 1);
    safe_point(fi);
    cr_assert_eq(fi->nrecords, 0);
    cr_assert_eq(pikos_plugin_entry.stop(&fi->inst, fi->ctx), PIKOS_OK);
    cr_assert_eq(fi->nrecords, 0);
    fake_instance_free(fi);
}

Test(blocks, sampled_blocks_carry_their_weight)
{
    struct fake_instance *fi = monitor("threshold=500", NULL);
    /* 1000 bytes picked at one per 1000 bytes: p = 1 - 1/e */
    struct pikos_event ev = {.type = PIKOS_EVENT_ALLOC, .address = 0x1000,
                             .size = 1000, .domain = PIKOS_ALLOC_MEM,
                             .stack = 2, .sample_bytes = 1000};
    pikos_plugin_entry.on_event(&fi->inst, fi->ctx, &ev);
    safe_point(fi);
    cr_assert_eq(fi->nrecords, 1);
    cr_assert(strncmp(fi->records[0], "0|alloc|4096|1000|mem|1.58197670",
                      32) == 0, "%s", fi->records[0]);
    fake_instance_free(fi);
}

Test(blocks, the_instance_schema_is_the_block_records)
{
    const char *both[] = {"threshold=5", "interval=5", NULL};
    struct fake_instance *a = fake_instance_new(&pikos_plugin_entry, both);
    cr_assert_str_eq(pikos_plugin_entry.instance_schema(&a->inst, a->ctx)->name,
                     "BlockRecord");
    fake_instance_free(a);
}

Test(blocks, bad_options_are_refused)
{
    const char *negative[] = {"threshold=-1", NULL};
    const char *no_queue[] = {"threshold=1", "queue=0", NULL};
    struct fake_instance *a = fake_instance_new(&pikos_plugin_entry, negative);
    struct fake_instance *b = fake_instance_new(&pikos_plugin_entry, no_queue);
    cr_assert_eq(a->init_rc, PIKOS_EINVAL);
    cr_assert(strstr(a->error, "'threshold'") != NULL, "%s", a->error);
    cr_assert_eq(b->init_rc, PIKOS_EINVAL);
    cr_assert(strstr(b->error, "'queue'") != NULL, "%s", b->error);
    fake_instance_free(a);
    fake_instance_free(b);
}
