/*
 * monitors/lines, monitors/line_memory and monitors/function_memory in the
 * real host: their descriptors and schemas are the seed's, their indexes
 * count events, memory values are plausible and follow allocations (exact
 * and sampled), the sampler is held only while monitoring runs, and bad
 * `memory=` / `interval=` values are refused with one clear message.
 */
#include "pipeline_harness.h"
#include "task_count.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

TestSuite(lines, .init = harness_setup, .fini = harness_teardown);

#define MIB (1024 * 1024)

/* Python code run under the monitors: `grow` keeps 64 MiB alive between
   two of its lines; `settle` gives the sampler time to see it. */
static const char allocating_source[] =
    "import time\n"
    "kept = []\n"
    "def grow():\n"
    "    before = 1\n"
    "    kept.append(bytearray(64 * 1024 * 1024))\n"
    "    after = 2\n"
    "def allocate():\n"
    "    kept.append(bytearray(64 * 1024 * 1024))\n"
    "def settle():\n"
    "    time.sleep(0.05)\n"
    "    return 3\n";

static void start_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    cr_assert_eq(pikos_pipeline_start(pipe, &err), 0, "%s", err.message);
}

static void stop_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    cr_assert_eq(pikos_pipeline_stop(pipe, &err), 0, "%s", err.message);
}

/* `monitor` (with its settings) -> recorders/collect. */
static struct collect_ctx *
collect_pipeline(struct pikos_pipeline *pipe, const char *monitor,
                 const struct pikos_option_setting *settings, size_t n)
{
    struct pikos_instance *recorder =
        local_instance(&collect_recorder, "recorders/collect");

    pipeline_add_ok(pipe, registry_instance(monitor, settings, n));
    pipeline_add_ok(pipe, recorder);
    return pikos_instance_ctx(recorder);
}

/* Field `index` (0-based) of a collected row, as text in `out`. */
static void row_field(const char *row, int index, char *out, size_t cap)
{
    size_t len;

    for (int i = 0; i < index; i++)
        row = strchr(row, '|') + 1;
    len = strcspn(row, "|");
    cr_assert_lt(len, cap);
    memcpy(out, row, len);
    out[len] = '\0';
}

static long long row_number(const char *row, int index)
{
    char text[64];
    row_field(row, index, text, sizeof(text));
    return strtoll(text, NULL, 10);
}

/* The first row whose field `field` is `value` and whose field
   `other_field` is `other`, or -1. */
static long find_row(const struct collect_ctx *collect, int field,
                     const char *value, int other_field, const char *other)
{
    char text[COLLECT_ROW_SIZE];

    for (size_t i = 0; i < collect->count && i < COLLECT_MAX_ROWS; i++) {
        row_field(collect->rows[i], field, text, sizeof(text));
        if (strcmp(text, value) != 0)
            continue;
        row_field(collect->rows[i], other_field, text, sizeof(text));
        if (strcmp(text, other) == 0)
            return (long)i;
    }
    return -1;
}

/* Every row has RSS (field rss) > 0 and RSS <= VMS (field rss + 1). */
static void assert_memory_plausible(const struct collect_ctx *collect, int rss)
{
    cr_assert_gt(collect->count, 0);
    for (size_t i = 0; i < collect->count; i++) {
        const char *row = collect->rows[i];
        cr_assert_gt(row_number(row, rss), 0, "%s", row);
        cr_assert_leq(row_number(row, rss), row_number(row, rss + 1), "%s",
                      row);
    }
}

/* ------------------------------------------------------------ schemas */

static void assert_schema(const char *monitor, const char *name,
                          const char *const *fields, size_t nfields,
                          const char *header, const char *line)
{
    struct pikos_instance *inst = registry_instance(monitor, NULL, 0);
    const struct pikos_schema *schema = pikos_instance_plugin(inst)->schema;

    cr_assert_str_eq(schema->name, name);
    cr_assert_eq(schema->nfields, nfields);
    for (size_t i = 0; i < nfields; i++)
        cr_assert_str_eq(schema->fields[i].name, fields[i]);
    cr_assert_str_eq(schema->header_template, header);
    cr_assert_str_eq(schema->line_template, line);
    pikos_instance_free(inst);
}

Test(lines, schemas_are_the_seeds)
{
    const char *line[] = {"index", "function", "lineNo", "line", "filename"};
    const char *function_memory[] = {"index", "type",   "function", "RSS",
                                     "VMS",   "lineNo", "filename"};
    const char *line_memory[] = {"index", "function", "lineNo",  "RSS",
                                 "VMS",   "line",     "filename"};

    assert_schema("monitors/lines", "LineRecord", line, 5,
                  "{:<12} {:<50} {:<7} {} -- {}",
                  "{:<12} {:<50} {:<7} {} -- {}");
    assert_schema("monitors/function_memory", "FunctionMemoryRecord",
                  function_memory, 7,
                  "{:<8} | {:<11} | {:<12} | {:<15} | {:<15} | {:>6} | {}",
                  "{:>8} | {:<11} | {:<12} | {:>15} | {:>15} | {:>6} | {}");
    assert_schema("monitors/line_memory", "LineMemoryRecord", line_memory, 7,
                  "{:^12} | {:^30} | {:^7} | {:^15} | {:^15} | {} {}",
                  "{:<12} | {:<30} | {:<7} | {:>15} | {:>15} | {} {}");
}

/* Every monitor takes the host-handled options through the flag, never
   declaring them: the host's table is what their manifests list. */
Test(lines, monitors_take_the_host_handled_options)
{
    const char *monitors[] = {"monitors/functions", "monitors/lines",
                              "monitors/function_memory",
                              "monitors/line_memory"};

    for (size_t m = 0; m < 4; m++) {
        struct pikos_instance *inst = registry_instance(monitors[m], NULL, 0);
        const struct pikos_plugin *d = pikos_instance_plugin(inst);
        const struct pikos_option *o =
            pikos_monitor_host_options(d->event_mask);

        cr_assert(d->monitor_flags & PIKOS_MONITOR_HOST_OPTIONS);
        for (const struct pikos_option *own = d->options; own && own->name;
             own++) {
            cr_assert_str_neq(own->name, PIKOS_MONITOR_OPTION_FUNCTIONS);
            cr_assert_str_neq(own->name, PIKOS_MONITOR_OPTION_THREADS);
        }
        cr_assert_str_eq(o[0].name, PIKOS_MONITOR_OPTION_FUNCTIONS);
        cr_assert_eq(o[0].type, PIKOS_OPT_LIST);
        cr_assert_str_eq(o[0].default_value, "");
        cr_assert_str_eq(o[1].name, PIKOS_MONITOR_OPTION_THREADS);
        cr_assert_eq(o[1].type, PIKOS_OPT_STRING);
        cr_assert_str_eq(o[1].default_value, "all");
        pikos_instance_free(inst);
    }
}

/* ------------------------------------------------------------ lines */

Test(lines, index_counts_every_event_across_stop_and_start)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_pipeline(pipe, "monitors/lines", NULL, 0);

    py_run(allocating_source);
    start_ok(pipe);
    py_run("settle()");
    stop_ok(pipe);
    start_ok(pipe);
    py_run("settle()");
    stop_ok(pipe);
    cr_assert_geq(collect->count, 6);
    for (size_t i = 0; i < collect->count; i++)
        cr_assert_eq(row_number(collect->rows[i], 0), (long long)i, "%s",
                     collect->rows[i]);
    pikos_pipeline_free(pipe);
}

/* ------------------------------------------------------------ memory */

/* The RSS of the rows of lines `from` and `to` of grow(), in a
   LineMemoryRecord collection. */
static long long rss_growth_over_lines(const struct collect_ctx *collect,
                                       const char *from, const char *to)
{
    long before = find_row(collect, 1, "grow", 2, from);
    long after = find_row(collect, 1, "grow", 2, to);

    cr_assert(before >= 0 && after > before);
    return row_number(collect->rows[after], 3) -
           row_number(collect->rows[before], 3);
}

Test(lines, line_memory_sees_an_allocation_between_two_lines)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_pipeline(pipe, "monitors/line_memory", NULL, 0);

    py_run(allocating_source);
    start_ok(pipe);
    py_run("grow()");
    stop_ok(pipe);
    assert_memory_plausible(collect, 3);
    cr_assert_geq(rss_growth_over_lines(collect, "5", "6"), 60 * MIB);
    cr_assert_lt(rss_growth_over_lines(collect, "4", "5"), 8 * MIB,
                 "nothing is allocated before line 5 runs");
    pikos_pipeline_free(pipe);
}

Test(lines, function_memory_sees_an_allocation_between_call_and_return)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_pipeline(pipe, "monitors/function_memory", NULL, 0);
    long call, back;

    py_run(allocating_source);
    start_ok(pipe);
    py_run("allocate()");
    stop_ok(pipe);
    assert_memory_plausible(collect, 3);
    call = find_row(collect, 1, "call", 2, "allocate");
    back = find_row(collect, 1, "return", 2, "allocate");
    cr_assert(call >= 0 && back > call);
    cr_assert_geq(row_number(collect->rows[back], 3) -
                      row_number(collect->rows[call], 3),
                  60 * MIB);
    pikos_pipeline_free(pipe);
}

Test(lines, sampled_memory_follows_allocations_within_an_interval)
{
    struct pikos_option_setting sampled[] = {{"memory", "sampled"},
                                             {"interval", "200"}};
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect =
        collect_pipeline(pipe, "monitors/line_memory", sampled, 2);
    long before, after;

    py_run(allocating_source);
    start_ok(pipe);
    py_run("grow()\nsettle()");
    stop_ok(pipe);
    assert_memory_plausible(collect, 3);
    /* grow's line 4 ran before the allocation; settle's return line runs
       50 ms (250 intervals) after it. */
    before = find_row(collect, 1, "grow", 2, "4");
    after = find_row(collect, 1, "settle", 2, "11");
    cr_assert(before >= 0 && after > before);
    cr_assert_geq(row_number(collect->rows[after], 3) -
                      row_number(collect->rows[before], 3),
                  60 * MIB);
    pikos_pipeline_free(pipe);
}

Test(lines, the_sampler_runs_only_while_monitoring)
{
    struct pikos_option_setting sampled[] = {{"memory", "sampled"}};
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    int alone = task_count();

    collect_pipeline(pipe, "monitors/function_memory", sampled, 1);
    cr_assert_eq(task_count(), alone);
    start_ok(pipe);
    cr_assert_eq(task_count(), alone + 1);
    stop_ok(pipe);
    cr_assert_eq(task_count_settled(alone), alone);
    pikos_pipeline_free(pipe);
}

/* ------------------------------------------------------------ bad input */

static void assert_refused(const char *monitor, const char *option,
                           const char *value, const char *message)
{
    struct pikos_option_setting setting = {option, value};
    struct pikos_error err = {0};
    struct pikos_instance *inst =
        pikos_instance_new(harness_registry, monitor, &setting, 1, &err);

    cr_assert_null(inst);
    cr_assert_eq(err.code, PIKOS_EINVAL);
    cr_assert_str_eq(err.message, message);
}

Test(lines, bad_memory_and_interval_values_are_refused)
{
    assert_refused("monitors/line_memory", "memory", "fast",
                   "[monitors/line_memory] option memory: 'fast' is not one "
                   "of exact, sampled");
    assert_refused("monitors/function_memory", "memory", "",
                   "[monitors/function_memory] option memory: '' is not one "
                   "of exact, sampled");
    assert_refused("monitors/line_memory", "interval", "0",
                   "[monitors/line_memory] option interval: 0 is not a "
                   "number of microseconds > 0");
    assert_refused("monitors/function_memory", "interval", "-5",
                   "[monitors/function_memory] option interval: -5 is not a "
                   "number of microseconds > 0");
}
