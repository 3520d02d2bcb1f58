/* monitors/allocations' live view (live=SECONDS, live_top.c) against the
   fake host, which gives the clock and three stack nodes: an event
   counted once the period has passed asks for a safe point, where a
   snapshot of the top lines by live bytes goes out (HeapTopRecord: the
   stacks summed by line, most live bytes first, at most top=N rows); at
   most one per period, none when nothing changed, none at stop. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "alloc_driver.h"

static const struct pikos_code module_code = {
    "<module>", 8, "<module>", 8, "prog.py", 7, 1, 0x100};
static const struct pikos_code work_code = {
    "work", 4, "work", 4, "prog.py", 7, 3, 0x200};
/* node 1: <module> at line 10; nodes 2 and 3: work at lines 5 and 6,
   called from 1; node 4: work at line 5 called from work at line 6
   (another stack, the same line as node 2) */
static const struct fake_frame frames[] = {
    {&module_code, 10, 0},
    {&work_code, 5, 1},
    {&work_code, 6, 1},
    {&work_code, 5, 3},
};

static struct fake_instance *monitor(const char *a, const char *b)
{
    const char *settings[] = {a, b, NULL};
    return alloc_driver_start(settings, frames, 4);
}

static void event(struct fake_instance *fi, uint32_t type, uint64_t address,
                  uint64_t size, uint32_t stack, uint64_t at_ms)
{
    alloc_driver_event(fi, type, PIKOS_ALLOC_OBJ, address, size, stack,
                       at_ms);
}

static void alloc(struct fake_instance *fi, uint64_t address, uint64_t size,
                  uint32_t stack, uint64_t at_ms)
{
    event(fi, PIKOS_EVENT_ALLOC, address, size, stack, at_ms);
}

static void release(struct fake_instance *fi, uint64_t address,
                    uint64_t at_ms)
{
    event(fi, PIKOS_EVENT_FREE, address, 0, 0, at_ms);
}

static void safe_point(struct fake_instance *fi, uint64_t at_ms)
{
    fake_now_ns = fake_run_start_ns + at_ms * MS;
    pikos_plugin_entry.safe_point(&fi->inst, fi->ctx);
}

/* Three lines: work:5 (two stacks) 1000 live of 3000 allocated, work:6
   350 live, no Python frame 7 live. */
static void three_lines(struct fake_instance *fi)
{
    alloc(fi, 0x1000, 600, 2, 1);
    alloc(fi, 0x1100, 400, 4, 2);
    alloc(fi, 0x2000, 300, 3, 5);
    alloc(fi, 0x3000, 50, 3, 6);
    alloc(fi, 0x4000, 7, 0, 7);
    alloc(fi, 0x5000, 2000, 2, 8);
    release(fi, 0x5000, 9);
}

Test(live_top, a_snapshot_of_the_lines_by_live_bytes_after_the_period)
{
    struct fake_instance *fi = monitor("live=0.01", NULL); /* 10 ms */
    cr_assert_eq(fi->nrecords, 0);
    three_lines(fi);
    safe_point(fi, 9); /* frames copied; within the period: no snapshot */
    cr_assert_eq(fi->nrecords, 0);
    int asked = fake_safe_points_asked;
    alloc(fi, 0x6000, 1, 0, 12); /* the period has passed: a safe point */
    cr_assert_eq(fake_safe_points_asked, asked + 1);
    release(fi, 0x6000, 13);
    safe_point(fi, 14);
    cr_assert_eq(fi->nrecords, 3);
    cr_assert_str_eq(fi->records[0],
                     "1|1|3|3|work|prog.py|5|1000|2|3000|3|14000000");
    cr_assert_str_eq(fi->records[1],
                     "1|2|3|3|work|prog.py|6|350|2|350|2|14000000");
    cr_assert_str_eq(fi->records[2],
                     "1|3|3|3|<no Python frame>||0|7|1|8|2|14000000");
    fake_instance_free(fi);
}

Test(live_top, at_most_one_per_period_and_only_after_changes)
{
    struct fake_instance *fi = monitor("live=0.01", NULL);
    alloc(fi, 0x1000, 100, 2, 11);
    safe_point(fi, 11);
    cr_assert_eq(fi->nrecords, 1);
    cr_assert_str_eq(fi->records[0],
                     "1|1|1|1|work|prog.py|5|100|1|100|1|11000000");
    alloc(fi, 0x2000, 200, 3, 12); /* within the period of the last one */
    safe_point(fi, 13);
    cr_assert_eq(fi->nrecords, 1);
    safe_point(fi, 25); /* the period passed: what changed since */
    cr_assert_eq(fi->nrecords, 3);
    cr_assert_str_eq(fi->records[1],
                     "2|1|2|2|work|prog.py|6|200|1|200|1|25000000");
    cr_assert_str_eq(fi->records[2],
                     "2|2|2|2|work|prog.py|5|100|1|100|1|25000000");
    safe_point(fi, 40); /* nothing counted since: none */
    cr_assert_eq(fi->nrecords, 3);
    release(fi, 0x2000, 41); /* a free counts as a change */
    safe_point(fi, 41);
    cr_assert_eq(fi->nrecords, 5);
    cr_assert_str_eq(fi->records[3],
                     "3|1|2|2|work|prog.py|5|100|1|100|1|41000000");
    cr_assert_str_eq(fi->records[4],
                     "3|2|2|2|work|prog.py|6|0|0|200|1|41000000");
    fake_instance_free(fi);
}

Test(live_top, top_bounds_the_rows)
{
    struct fake_instance *fi = monitor("live=0.01", "top=2");
    three_lines(fi);
    safe_point(fi, 20);
    cr_assert_eq(fi->nrecords, 2);
    cr_assert_str_eq(fi->records[0],
                     "1|1|2|3|work|prog.py|5|1000|2|3000|3|20000000");
    cr_assert_str_eq(fi->records[1],
                     "1|2|2|3|work|prog.py|6|350|2|350|2|20000000");
    fake_instance_free(fi);
}

Test(live_top, none_at_stop_nor_without_the_option)
{
    struct fake_instance *fi = monitor("live=0.01", NULL);
    three_lines(fi);
    fake_now_ns = fake_run_start_ns + 50 * MS;
    cr_assert_eq(pikos_plugin_entry.stop(&fi->inst, fi->ctx), PIKOS_OK, "%s",
                 fi->error);
    /* the aggregates only (AllocationRecord: 11 fields) */
    cr_assert_eq(fi->nrecords, 3);
    cr_assert_str_eq(fi->records[0],
                     "work|prog.py|5|3000|3|2000|1|3000|3|1000|2");
    fake_instance_free(fi);

    fi = monitor(NULL, NULL);
    three_lines(fi);
    safe_point(fi, 100);
    cr_assert_eq(fi->nrecords, 0);
    fake_instance_free(fi);
}

Test(live_top, the_schema_and_bad_options)
{
    struct fake_instance *fi = monitor("live=1", NULL);
    const struct pikos_schema *s =
        pikos_plugin_entry.instance_schema(&fi->inst, fi->ctx);
    cr_assert_str_eq(s->name, "HeapTopRecord");
    cr_assert_eq(s->nfields, 12);
    fake_instance_free(fi);
    fi = monitor("live=1", "interval=1000");
    s = pikos_plugin_entry.instance_schema(&fi->inst, fi->ctx);
    cr_assert_str_eq(s->name, "HeapRecord");
    fake_instance_free(fi);

    const char *bad[][2] = {{"live=-1", NULL}, {"top=0", NULL},
                            {"live=1", "top=10001"}, {"live=86401", NULL}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *settings[] = {bad[i][0], bad[i][1], NULL};
        fi = fake_instance_new(&pikos_plugin_entry, settings);
        cr_assert_not_null(fi);
        cr_assert_eq(fi->init_rc, PIKOS_EINVAL, "%s", bad[i][0]);
        fake_instance_free(fi);
    }
}
