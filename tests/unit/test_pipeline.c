/*
 * Pipelines: building, nested start/stop, filters, several pipelines at
 * once, and errors of plugins surfacing at start and at stop.  Records come
 * from the real monitors/functions watching tiny.g() in an embedded Python
 * (see pipeline_harness.h).
 */
#include "pipeline_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

TestSuite(pipeline, .init = harness_setup, .fini = harness_teardown);

/* The FunctionRecords of one tiny.g() call as a collect recorder keeps
   them, numbered from `index`. */
static void append_g_rows(char *text, int index)
{
    sprintf(text + strlen(text),
            "%d|call|g|4|tiny.py\n"
            "%d|call|f|1|tiny.py\n"
            "%d|c_call|len|2|tiny.py\n"
            "%d|c_return|len|2|tiny.py\n"
            "%d|return|f|2|tiny.py\n"
            "%d|return|g|5|tiny.py\n",
            index, index + 1, index + 2, index + 3, index + 4, index + 5);
}

static void assert_collected(const struct collect_ctx *collect,
                             const char *expected)
{
    char *text = collect_text(collect);
    cr_assert_str_eq(text, expected);
    free(text);
}

static void start_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_start(pipe, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

static void stop_ok(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    int rc = pikos_pipeline_stop(pipe, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
}

/* monitors/functions -> recorders/collect; returns the recorder's ctx. */
static struct collect_ctx *functions_to_collect(struct pikos_pipeline *pipe)
{
    struct pikos_instance *recorder =
        local_instance(&collect_recorder, "recorders/collect");

    pipeline_add_ok(pipe, registry_instance("monitors/functions", NULL, 0));
    pipeline_add_ok(pipe, recorder);
    return pikos_instance_ctx(recorder);
}

Test(pipeline, writes_the_exact_csv_of_a_call)
{
    static const char expected[] = "index,type,function,lineNo,filename\r\n"
                                   "0,call,g,4,tiny.py\r\n"
                                   "1,call,f,1,tiny.py\r\n"
                                   "2,c_call,len,2,tiny.py\r\n"
                                   "3,c_return,len,2,tiny.py\r\n"
                                   "4,return,f,2,tiny.py\r\n"
                                   "5,return,g,5,tiny.py\r\n";
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    char path[64];
    char *text;

    temp_path(path);
    struct pikos_option_setting file = {"filename", path};
    pipeline_add_ok(pipe, registry_instance("monitors/functions", NULL, 0));
    pipeline_add_ok(pipe, registry_instance("recorders/csv", &file, 1));
    cr_assert_eq(pikos_pipeline_count(pipe, PIKOS_KIND_MONITOR), 1);
    cr_assert_eq(pikos_pipeline_count(pipe, PIKOS_KIND_FILTER), 0);
    cr_assert_eq(pikos_pipeline_count(pipe, PIKOS_KIND_RECORDER), 1);
    start_ok(pipe);
    py_call("tiny", "g");
    stop_ok(pipe);
    pikos_pipeline_free(pipe);

    text = read_text_file(path);
    cr_assert_str_eq(text, expected);
    free(text);
    unlink(path);
}

Test(pipeline, only_the_outermost_start_and_stop_work)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = functions_to_collect(pipe);
    struct pikos_error err = {0};
    char expected[1024] = "";

    start_ok(pipe);
    start_ok(pipe);
    cr_assert_eq(collect->starts, 1);
    cr_assert_eq(collect->prepares, 1);
    py_call("tiny", "g");
    stop_ok(pipe);
    cr_assert(pikos_pipeline_is_running(pipe));
    cr_assert_eq(collect->stops, 0);
    py_call("tiny", "g");
    stop_ok(pipe);
    cr_assert_not(pikos_pipeline_is_running(pipe));
    cr_assert_eq(collect->flushes, 1);
    cr_assert_eq(collect->stops, 1);
    cr_assert_eq(collect->finalizes, 1);
    py_call("tiny", "g"); /* not monitored any more */

    append_g_rows(expected, 0);
    append_g_rows(expected, 6);
    assert_collected(collect, expected);
    cr_assert_eq(pikos_pipeline_stop(pipe, &err), PIKOS_ESTATE);
    cr_assert_str_eq(err.message, "cannot stop a pipeline that is not running");
    pikos_pipeline_free(pipe);
}

Test(pipeline, a_filter_drops_records_and_leaves_index_gaps)
{
    struct pikos_option_setting rule[] = {{"field", "function"},
                                          {"values", "f;g"}};
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = functions_to_collect(pipe);

    pipeline_add_ok(pipe, registry_instance("filters/on_value", rule, 2));
    start_ok(pipe);
    py_call("tiny", "g");
    stop_ok(pipe);
    assert_collected(collect, "0|call|g|4|tiny.py\n"
                              "1|call|f|1|tiny.py\n"
                              "4|return|f|2|tiny.py\n"
                              "5|return|g|5|tiny.py\n");
    pikos_pipeline_free(pipe);
}

Test(pipeline, a_failing_filter_drops_records_and_fails_the_stop)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = functions_to_collect(pipe);
    struct pikos_instance *filter =
        local_instance(&probe_filter, "filters/probe");
    struct probe_filter_ctx *probe = pikos_instance_ctx(filter);
    struct pikos_error err = {0};

    probe->fail_records = 1;
    pipeline_add_ok(pipe, filter);
    start_ok(pipe);
    py_call("tiny", "g");
    cr_assert_eq(pikos_pipeline_stop(pipe, &err), PIKOS_EIO);
    cr_assert_str_eq(err.message,
                     "[filters/probe] filter failed (input/output error)");
    cr_assert_eq(collect->count, 0);
    cr_assert_eq(collect->finalizes, 1);

    probe->fail_records = 0; /* the error was reported: a new run is clean */
    start_ok(pipe);
    py_call("tiny", "g");
    stop_ok(pipe);
    cr_assert_eq(collect->count, 6);
    pikos_pipeline_free(pipe);
}

Test(pipeline, a_recorder_error_surfaces_at_stop)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = functions_to_collect(pipe);
    struct pikos_error err = {0};

    collect->fail_at = 2;
    start_ok(pipe);
    py_call("tiny", "g");
    cr_assert_eq(pikos_pipeline_stop(pipe, &err), PIKOS_EIO);
    cr_assert_str_eq(err.message, "[recorders/collect] disk full at record 2");
    /* The other records went through, and the run ended normally. */
    assert_collected(collect, "0|call|g|4|tiny.py\n"
                              "2|c_call|len|2|tiny.py\n"
                              "3|c_return|len|2|tiny.py\n"
                              "4|return|f|2|tiny.py\n"
                              "5|return|g|5|tiny.py\n");
    cr_assert_eq(collect->finalizes, 1);

    start_ok(pipe);
    stop_ok(pipe);
    pikos_pipeline_free(pipe);
}

Test(pipeline, two_pipelines_run_at_once_with_their_own_filters)
{
    struct pikos_pipeline *first = pikos_pipeline_new();
    struct pikos_pipeline *second = pikos_pipeline_new();
    struct collect_ctx *one = functions_to_collect(first);
    struct collect_ctx *two = functions_to_collect(second);
    struct pikos_instance *filter =
        local_instance(&probe_filter, "filters/probe");
    char expected[2048] = "";

    ((struct probe_filter_ctx *)pikos_instance_ctx(filter))->drop = "len";
    pipeline_add_ok(second, filter);
    start_ok(first);
    py_call("tiny", "g");
    start_ok(second);
    py_call("tiny", "g");
    stop_ok(first);
    py_call("tiny", "g");
    stop_ok(second);

    append_g_rows(expected, 0);
    append_g_rows(expected, 6);
    assert_collected(one, expected);
    assert_collected(two, "0|call|g|4|tiny.py\n"
                          "1|call|f|1|tiny.py\n"
                          "4|return|f|2|tiny.py\n"
                          "5|return|g|5|tiny.py\n"
                          "6|call|g|4|tiny.py\n"
                          "7|call|f|1|tiny.py\n"
                          "10|return|f|2|tiny.py\n"
                          "11|return|g|5|tiny.py\n");
    pikos_pipeline_free(first);
    pikos_pipeline_free(second);
}

Test(pipeline, recorders_are_prepared_once_per_schema)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = functions_to_collect(pipe);

    pipeline_add_ok(pipe, registry_instance("monitors/functions", NULL, 0));
    start_ok(pipe);
    py_call("tiny", "g");
    stop_ok(pipe);
    cr_assert_eq(collect->prepares, 1);
    cr_assert_eq(collect->count, 12); /* each monitor records each event */
    pikos_pipeline_free(pipe);
}

Test(pipeline, a_failed_start_undoes_what_it_did)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct collect_ctx *collect = functions_to_collect(pipe);
    struct pikos_instance *filter =
        local_instance(&probe_filter, "filters/probe");
    struct probe_filter_ctx *probe = pikos_instance_ctx(filter);
    struct pikos_error err = {0};

    probe->fail_start = 1;
    pipeline_add_ok(pipe, filter);
    cr_assert_eq(pikos_pipeline_start(pipe, &err), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[filters/probe] no rule to filter by");
    cr_assert_not(pikos_pipeline_is_running(pipe));
    /* Filters start first, so the recorder was never started: it wrote
       nothing (no header) for a run that could not begin. */
    cr_assert_eq(collect->starts, 0);
    cr_assert_eq(collect->stops, 0);
    cr_assert_eq(collect->prepares, 0);
    cr_assert_eq(collect->finalizes, 0);
    cr_assert_eq(probe->stops, 0);
    cr_assert_null(PyThreadState_Get()->c_profilefunc);
    py_call("tiny", "g");
    cr_assert_eq(collect->count, 0);

    probe->fail_start = 0;
    start_ok(pipe);
    cr_assert_eq(collect->starts, 1);
    cr_assert_eq(collect->prepares, 1);
    stop_ok(pipe);
    pikos_pipeline_free(pipe);
}

Test(pipeline, adding_reports_what_is_wrong)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_error err = {0};
    struct pikos_instance *missing = pikos_instance_new(
        harness_registry, "recorders/nothing", NULL, 0, &err);
    int rc;

    cr_assert_null(missing);
    rc = err.code;
    cr_assert_lt(rc, 0);
    cr_assert_eq(pikos_pipeline_add(pipe, missing, &err), rc);

    functions_to_collect(pipe);
    start_ok(pipe);
    rc = pikos_pipeline_add(
        pipe, local_instance(&collect_recorder, "recorders/collect"), &err);
    cr_assert_eq(rc, PIKOS_ESTATE);
    cr_assert_str_eq(err.message, "[recorders/collect] cannot be added to a "
                                  "running pipeline: stop it first");
    cr_assert_eq(pikos_pipeline_count(pipe, PIKOS_KIND_RECORDER), 1);
    stop_ok(pipe);
    pikos_pipeline_free(pipe);
}

Test(pipeline, freeing_a_running_pipeline_stops_it)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();

    functions_to_collect(pipe);
    start_ok(pipe);
    start_ok(pipe);
    cr_assert(harness_hook_installed(1));
    pikos_pipeline_free(pipe);
    cr_assert_not(harness_hook_installed(1));
    py_call("tiny", "g");
}

/* A monitor without on_event (as the external monitors are): given no
   events, it emits one record of its own at stop. */
static const struct pikos_field summary_fields[] = {{"total", PIKOS_FIELD_INT}};
static const struct pikos_schema summary_schema = {"SummaryRecord", 1,
                                                   summary_fields, "{}", "{}"};

static int summary_stop(struct pikos_instance *inst, void *ctx)
{
    struct pikos_value value = {.u.i = 42};
    struct pikos_record record = {&summary_schema, &value};

    (void)ctx;
    return pikos_host_table.emit(inst, &record);
}

static const struct pikos_plugin summary_monitor = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "summary",
    .schema = &summary_schema,
    .ctx_size = sizeof(int), /* unused */
    .stop = summary_stop,
};

Test(pipeline, a_monitor_without_on_event_emits_from_stop)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *recorder =
        local_instance(&collect_recorder, "recorders/collect");

    pipeline_add_ok(pipe, local_instance(&summary_monitor, "monitors/summary"));
    pipeline_add_ok(pipe, recorder);
    start_ok(pipe);
    py_call("tiny", "g");
    stop_ok(pipe);
    assert_collected(pikos_instance_ctx(recorder), "42\n");
    pikos_pipeline_free(pipe);
}

/* The one callback-like field every monitor needs is its schema (the
   reserved former `snapshot` is never asked for). */
Test(pipeline, a_monitor_without_a_schema_is_refused)
{
    struct pikos_plugin plugin = summary_monitor;
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_error err = {0};
    struct pikos_instance *inst;

    plugin.schema = NULL;
    inst = local_instance(&plugin, "monitors/summary");
    cr_assert_eq(pikos_pipeline_add(pipe, inst, &err), PIKOS_EABI);
    cr_assert_str_eq(err.message,
                     "[monitors/summary] cannot be used: the plugin has no "
                     "schema");
    pikos_pipeline_free(pipe);
}

/* ------------------------------------------------------------ schema ctx */

/* A recorder of ABI 1.2: a counter per schema, its per-schema context. */
struct schema_counter_ctx {
    int prepares, wrong_ctx;
    size_t records;
};

struct schema_count {
    const struct pikos_schema *schema;
    size_t records;
};

/* What release_schema saw, over every instance (their contexts are freed
   with them). */
static int released, released_wrong;
static size_t released_records;

static int counter_prepare(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void **out)
{
    struct schema_count *count = calloc(1, sizeof(*count));

    if (count == NULL)
        return PIKOS_ENOMEM;
    count->schema = schema;
    *out = count;
    ((struct schema_counter_ctx *)ctx)->prepares++;
    return 0;
}

static int counter_record(struct pikos_instance *inst, void *ctx,
                          void *schema_ctx, const struct pikos_record *rec)
{
    struct schema_counter_ctx *self = ctx;
    struct schema_count *count = schema_ctx;

    self->wrong_ctx += count->schema != rec->schema;
    self->records++;
    count->records++;
    return 0;
}

static void counter_release(struct pikos_instance *inst, void *ctx,
                            const struct pikos_schema *schema, void *schema_ctx)
{
    struct schema_count *count = schema_ctx;

    released_wrong += count->schema != schema;
    released++;
    released_records += count->records;
    free(count);
}

/* The same context given to a filter: it drops every second record of
   each schema. */
static int counter_filter(struct pikos_instance *inst, void *ctx,
                          void *schema_ctx, const struct pikos_record *rec)
{
    struct schema_count *count = schema_ctx;

    return count->records++ % 2 == 0 ? PIKOS_PASS : PIKOS_DROP;
}

static const struct pikos_plugin counter_recorder = {
    .abi_major = 1,
    .abi_minor = 2,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "counter",
    .ctx_size = sizeof(struct schema_counter_ctx),
    .prepare_schema = counter_prepare,
    .record_schema = counter_record,
    .release_schema = counter_release,
};

static const struct pikos_plugin counter_filter_plugin = {
    .abi_major = 1,
    .abi_minor = 2,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_FILTER,
    .name = "every_second",
    .ctx_size = sizeof(struct schema_counter_ctx),
    .prepare_schema = counter_prepare,
    .filter_schema = counter_filter,
    .release_schema = counter_release,
};

#define MANY_SCHEMAS 40
static const struct pikos_field one_field[] = {{"n", PIKOS_FIELD_INT}};

/* Emits `per_schema` records of each of MANY_SCHEMAS schemas, as the
   monitor `monitor` would. */
static void emit_many_schemas(struct pikos_instance *monitor, int per_schema)
{
    static struct pikos_schema schemas[MANY_SCHEMAS];
    struct pikos_value value = {.u.i = 1};

    for (int k = 0; k < per_schema; k++)
        for (int s = 0; s < MANY_SCHEMAS; s++) {
            struct pikos_record rec = {&schemas[s], &value};
            schemas[s] =
                (struct pikos_schema){"Many", 1, one_field, "{}", "{}"};
            pikos_host_table.emit(monitor, &rec);
        }
}

/* Prepared once in the instance's life, released when it is freed. */
Test(pipeline, schema_contexts_come_back_for_any_number_of_schemas)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *monitor =
        local_instance(&line_probe, "monitors/line_probe");
    struct pikos_instance *filter =
        local_instance(&counter_filter_plugin, "filters/every_second");
    struct pikos_instance *recorder =
        local_instance(&counter_recorder, "recorders/counter");
    struct schema_counter_ctx *seen = pikos_instance_ctx(recorder);
    struct schema_counter_ctx *filtered = pikos_instance_ctx(filter);

    pipeline_add_ok(pipe, monitor);
    pipeline_add_ok(pipe, filter);
    pipeline_add_ok(pipe, recorder);
    for (int run = 0; run < 2; run++) {
        start_ok(pipe);
        cr_assert_eq(seen->prepares, run == 0 ? 1 : 1 + MANY_SCHEMAS);
        emit_many_schemas(monitor, 2);
        stop_ok(pipe);
    }
    cr_assert_eq(filtered->prepares, 1 + MANY_SCHEMAS);
    cr_assert_eq(seen->prepares, 1 + MANY_SCHEMAS);
    cr_assert_eq(seen->records, 2 * MANY_SCHEMAS);
    cr_assert_eq(seen->wrong_ctx + filtered->wrong_ctx, 0);
    cr_assert_eq(released, 0);
    pikos_pipeline_free(pipe);
    cr_assert_eq(released, 2 * (1 + MANY_SCHEMAS));
    /* The recorder counted 2 records of each schema, the filter 4. */
    cr_assert_eq(released_records, 6 * MANY_SCHEMAS);
    cr_assert_eq(released_wrong, 0);
}

/* An ABI 1.1 recorder: its descriptor stops before the 1.2 fields, so
   whatever follows it in memory (here: callbacks that would fail the test)
   is never read. */
static int never_called(struct pikos_instance *inst, void *ctx,
                        const struct pikos_schema *schema, void **out)
{
    cr_assert_fail("a field beyond struct_size was read");
    return PIKOS_EPLUGIN;
}

static struct pikos_plugin old_collect_recorder(void)
{
    struct pikos_plugin old = collect_recorder;

    old.abi_minor = 1;
    old.struct_size = offsetof(struct pikos_plugin, prepare_schema);
    old.prepare_schema = never_called;
    return old;
}

Test(pipeline, abi_1_1_recorders_work_with_two_schemas)
{
    static struct pikos_plugin old;
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *recorder;
    struct collect_ctx *collect;

    old = old_collect_recorder();
    recorder = local_instance(&old, "recorders/collect");
    collect = pikos_instance_ctx(recorder);
    pipeline_add_ok(pipe, registry_instance("monitors/functions", NULL, 0));
    pipeline_add_ok(pipe, local_instance(&line_probe, "monitors/line_probe"));
    pipeline_add_ok(pipe, recorder);
    start_ok(pipe);
    py_call("tiny", "g");
    stop_ok(pipe);
    cr_assert_eq(collect->prepares, 2);
    cr_assert_gt(collect->count, 6);
    start_ok(pipe); /* prepared again in each run, as in ABI 1.1 */
    stop_ok(pipe);
    cr_assert_eq(collect->prepares, 4);
    pikos_pipeline_free(pipe);
}

/* ------------------------------------------------------------ declared */

/* A monitor that declares its record types (ABI 1.5's instance_schemas):
   a series while running (emitted at start) and a summary at stop, as
   monitors/allocations interval=N does; `nschemas` of them in all (the
   others never emitted), or an error when `fail` is set. */
struct declaring_ctx {
    size_t nschemas;
    int fail;
    int started;
};

#define DECLARED_MAX 20
static const struct pikos_field declared_fields[] = {{"n", PIKOS_FIELD_INT}};
static const struct pikos_schema declared[DECLARED_MAX] = {
    {"SeriesRecord", 1, declared_fields, "{}", "{}"},
    {"TotalRecord", 1, declared_fields, "{}", "{}"},
#define EXTRA(k) {"Extra" #k "Record", 1, declared_fields, "{}", "{}"}
    EXTRA(2), EXTRA(3), EXTRA(4), EXTRA(5), EXTRA(6), EXTRA(7), EXTRA(8),
    EXTRA(9), EXTRA(10), EXTRA(11), EXTRA(12), EXTRA(13), EXTRA(14),
    EXTRA(15), EXTRA(16), EXTRA(17), EXTRA(18), EXTRA(19),
#undef EXTRA
};

static int declaring_schemas(struct pikos_instance *inst, void *ctx,
                             const struct pikos_schema **out, size_t max)
{
    struct declaring_ctx *self = ctx;

    if (self->fail)
        return pikos_host_table.set_error(inst, PIKOS_EINVAL,
                                          "option 'kinds' is wrong");
    for (size_t i = 0; i < self->nschemas && i < max; i++)
        out[i] = &declared[i];
    return (int)self->nschemas;
}

static int declaring_emit(struct pikos_instance *inst, size_t which, int n)
{
    struct pikos_value value = {.u.i = n};
    struct pikos_record record = {&declared[which], &value};

    return pikos_host_table.emit(inst, &record);
}

static int declaring_start(struct pikos_instance *inst, void *ctx)
{
    ((struct declaring_ctx *)ctx)->started++;
    return declaring_emit(inst, 0, 1);
}

static int declaring_stop(struct pikos_instance *inst, void *ctx)
{
    (void)ctx;
    return declaring_emit(inst, 1, 2);
}

static const struct pikos_plugin declaring_monitor = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "declaring",
    .schema = &declared[1], /* what its help describes */
    .ctx_size = sizeof(struct declaring_ctx),
    .start = declaring_start,
    .stop = declaring_stop,
    .instance_schemas = declaring_schemas,
};

/* A recorder that writes down, in order, each schema it is prepared for
   and each record it gets: "prepare:Name" and "record:Name=n". */
struct journal_ctx {
    char text[2048];
    int refuse_second; /* as recorders/csv on standard output */
    int prepared;
};

static void journal_note(struct journal_ctx *self, const char *what,
                         const char *name, long n)
{
    size_t len = strlen(self->text);
    if (n < 0)
        snprintf(self->text + len, sizeof(self->text) - len, "%s:%s\n",
                 what, name);
    else
        snprintf(self->text + len, sizeof(self->text) - len, "%s:%s=%ld\n",
                 what, name, n);
}

static int journal_prepare(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void **out)
{
    struct journal_ctx *self = ctx;

    if (self->refuse_second && self->prepared > 0)
        return pikos_host_table.set_error(
            inst, PIKOS_EINVAL, "gets %s records besides others",
            schema->name);
    self->prepared++;
    journal_note(self, "prepare", schema->name, -1);
    *out = (void *)schema;
    return 0;
}

static int journal_record(struct pikos_instance *inst, void *ctx,
                          void *schema_ctx, const struct pikos_record *rec)
{
    (void)inst;
    cr_assert_eq(schema_ctx, (void *)rec->schema);
    journal_note(ctx, "record", rec->schema->name, (long)rec->values[0].u.i);
    return 0;
}

static const struct pikos_plugin journal_recorder = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "journal",
    .ctx_size = sizeof(struct journal_ctx),
    .prepare_schema = journal_prepare,
    .record_schema = journal_record,
};

static struct pikos_instance *declaring_instance(size_t nschemas)
{
    struct pikos_instance *inst =
        local_instance(&declaring_monitor, "monitors/declaring");
    ((struct declaring_ctx *)pikos_instance_ctx(inst))->nschemas = nschemas;
    return inst;
}

Test(pipeline, every_declared_schema_is_prepared_at_start)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *filter =
        local_instance(&counter_filter_plugin, "filters/every_second");
    struct pikos_instance *recorder =
        local_instance(&journal_recorder, "recorders/journal");
    struct schema_counter_ctx *filtered = pikos_instance_ctx(filter);
    struct journal_ctx *journal = pikos_instance_ctx(recorder);

    pipeline_add_ok(pipe, declaring_instance(2));
    pipeline_add_ok(pipe, filter);
    pipeline_add_ok(pipe, recorder);
    start_ok(pipe);
    /* both prepared, the filter too, before the first record (emitted
       by the monitor's start) */
    cr_assert_eq(filtered->prepares, 2);
    cr_assert_str_eq(journal->text, "prepare:SeriesRecord\n"
                                    "prepare:TotalRecord\n"
                                    "record:SeriesRecord=1\n");
    stop_ok(pipe);
    cr_assert_str_eq(journal->text, "prepare:SeriesRecord\n"
                                    "prepare:TotalRecord\n"
                                    "record:SeriesRecord=1\n"
                                    "record:TotalRecord=2\n");
    cr_assert_eq(filtered->prepares, 2);
    pikos_pipeline_free(pipe);
}

/* A recorder that holds one record type refuses the second at start: the
   monitor never starts, nothing was recorded. */
Test(pipeline, a_declared_schema_is_refused_before_the_monitor_starts)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *monitor = declaring_instance(2);
    struct pikos_instance *recorder =
        local_instance(&journal_recorder, "recorders/journal");
    struct journal_ctx *journal = pikos_instance_ctx(recorder);
    struct pikos_error err = {0};

    journal->refuse_second = 1;
    pipeline_add_ok(pipe, monitor);
    pipeline_add_ok(pipe, recorder);
    cr_assert_eq(pikos_pipeline_start(pipe, &err), PIKOS_EINVAL);
    cr_assert_str_eq(err.message, "[recorders/journal] gets TotalRecord "
                                  "records besides others");
    cr_assert_not(pikos_pipeline_is_running(pipe));
    cr_assert_eq(((struct declaring_ctx *)pikos_instance_ctx(monitor))->started,
                 0);
    cr_assert_str_eq(journal->text, "prepare:SeriesRecord\n");
    pikos_pipeline_free(pipe);
}

/* More than the host's first room: asked again with room for all, each
   prepared once, in the monitor's order. */
Test(pipeline, many_declared_schemas_are_all_prepared)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *recorder =
        local_instance(&counter_recorder, "recorders/counter");
    struct schema_counter_ctx *seen = pikos_instance_ctx(recorder);

    pipeline_add_ok(pipe, declaring_instance(DECLARED_MAX));
    pipeline_add_ok(pipe, recorder);
    start_ok(pipe);
    cr_assert_eq(seen->prepares, DECLARED_MAX);
    cr_assert_eq(seen->records, 1);
    stop_ok(pipe);
    cr_assert_eq(seen->prepares, DECLARED_MAX);
    cr_assert_eq(seen->records, 2);
    cr_assert_eq(seen->wrong_ctx, 0);
    pikos_pipeline_free(pipe);
}

/* Declaring none leaves the descriptor's schema; a failure refuses the
   monitor when it is added, with its own message. */
Test(pipeline, declaring_none_or_failing)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *failing = declaring_instance(2);
    struct pikos_instance *recorder =
        local_instance(&journal_recorder, "recorders/journal");
    struct journal_ctx *journal = pikos_instance_ctx(recorder);
    struct pikos_error err = {0};

    ((struct declaring_ctx *)pikos_instance_ctx(failing))->fail = 1;
    cr_assert_eq(pikos_pipeline_add(pipe, failing, &err), PIKOS_EINVAL);
    cr_assert_str_eq(err.message,
                     "[monitors/declaring] option 'kinds' is wrong");
    cr_assert_eq(pikos_pipeline_count(pipe, PIKOS_KIND_MONITOR), 0);
    pipeline_add_ok(pipe, declaring_instance(0));
    pipeline_add_ok(pipe, recorder);
    start_ok(pipe);
    cr_assert_str_eq(journal->text, "prepare:TotalRecord\n"
                                    "prepare:SeriesRecord\n"
                                    "record:SeriesRecord=1\n");
    stop_ok(pipe);
    pikos_pipeline_free(pipe);
}

/* A monitor of a descriptor that stops before instance_schemas (an older
   1.5, or 1.4): never asked, its schema prepared at start and the others
   when they come, as before. */
static int never_asked(struct pikos_instance *inst, void *ctx,
                       const struct pikos_schema **out, size_t max)
{
    cr_assert_fail("a field beyond struct_size was read");
    return PIKOS_EPLUGIN;
}

Test(pipeline, an_older_monitor_is_not_asked_for_its_schemas)
{
    static struct pikos_plugin old;
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *recorder =
        local_instance(&journal_recorder, "recorders/journal");
    struct journal_ctx *journal = pikos_instance_ctx(recorder);

    old = declaring_monitor;
    old.struct_size = offsetof(struct pikos_plugin, instance_schemas);
    old.instance_schemas = never_asked;
    struct pikos_instance *monitor = local_instance(&old, "monitors/declaring");
    ((struct declaring_ctx *)pikos_instance_ctx(monitor))->nschemas = 2;
    pipeline_add_ok(pipe, monitor);
    pipeline_add_ok(pipe, recorder);
    start_ok(pipe);
    stop_ok(pipe);
    cr_assert_str_eq(journal->text, "prepare:TotalRecord\n"
                                    "prepare:SeriesRecord\n"
                                    "record:SeriesRecord=1\n"
                                    "record:TotalRecord=2\n");
    pikos_pipeline_free(pipe);
}
