/* monitors/functions against the fake host: synthetic events in, exact
   FunctionRecords out. */
#include <string.h>

#include <criterion/criterion.h>

#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

static const struct pikos_code module_code = {
    .name = "<module>",
    .name_len = 8,
    .qualname = "<module>",
    .qualname_len = 8,
    .filename = "/tmp/app.py",
    .filename_len = 11,
    .firstlineno = 1,
    .id = 1,
};

static const struct pikos_code work_code = {
    .name = "work",
    .name_len = 4,
    .qualname = "Job.work",
    .qualname_len = 8,
    .filename = "/tmp/app.py",
    .filename_len = 11,
    .firstlineno = 10,
    .id = 2,
};

/* A Python function event: `function` is the code's name. */
static struct pikos_event py_event(uint32_t type, const struct pikos_code *code,
                                   int lineno)
{
    return (struct pikos_event){.type = type,
                                .code = code,
                                .function = code->name,
                                .function_len = code->name_len,
                                .function_id = code->id,
                                .lineno = lineno};
}

/* A C function event: `function` is the C function's name, `code` the
   caller's. */
static struct pikos_event c_event(uint32_t type, const struct pikos_code *code,
                                  const char *function, int lineno)
{
    return (struct pikos_event){.type = type,
                                .code = code,
                                .function = function,
                                .function_len = strlen(function),
                                .function_id = 99,
                                .lineno = lineno};
}

static void send(struct fake_instance *fi, struct pikos_event ev)
{
    pikos_plugin_entry.on_event(&fi->inst, fi->ctx, &ev);
}

Test(functions, descriptor_is_a_function_monitor)
{
    const struct pikos_plugin *p = &pikos_plugin_entry;
    cr_assert_eq(p->abi_major, PIKOS_ABI_MAJOR);
    cr_assert_eq(p->struct_size, sizeof(struct pikos_plugin));
    cr_assert_eq(p->kind, PIKOS_KIND_MONITOR);
    cr_assert_str_eq(p->name, "functions");
    cr_assert_eq(p->event_mask, PIKOS_EVENTS_FUNCTION);
    cr_assert_not_null(p->on_event);
}

Test(functions, schema_is_the_seeds_function_record)
{
    const struct pikos_schema *s = pikos_plugin_entry.schema;
    const char *names[] = {"index", "type", "function", "lineNo", "filename"};
    const uint32_t types[] = {PIKOS_FIELD_INT, PIKOS_FIELD_STR, PIKOS_FIELD_STR,
                              PIKOS_FIELD_INT, PIKOS_FIELD_STR};
    cr_assert_str_eq(s->name, "FunctionRecord");
    cr_assert_eq(s->nfields, 5);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_str_eq(s->fields[i].name, names[i]);
        cr_assert_eq(s->fields[i].type, types[i]);
    }
    cr_assert_str_eq(s->header_template, "{:<8} {:<11} {:<30} {:<5} {}");
    cr_assert_str_eq(s->line_template, "{:<8} {:<11} {:<30} {:<5} {}");
}

Test(functions, every_function_event_becomes_one_record)
{
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, NULL);
    cr_assert_eq(fi->init_rc, PIKOS_OK);
    send(fi, py_event(PIKOS_EVENT_CALL, &work_code, 10));
    send(fi, c_event(PIKOS_EVENT_C_CALL, &work_code, "len", 12));
    send(fi, c_event(PIKOS_EVENT_C_RETURN, &work_code, "len", 12));
    send(fi, c_event(PIKOS_EVENT_C_CALL, &work_code, "int", 13));
    send(fi, c_event(PIKOS_EVENT_C_EXCEPTION, &work_code, "int", 13));
    send(fi, py_event(PIKOS_EVENT_RETURN, &work_code, 14));
    send(fi, py_event(PIKOS_EVENT_RETURN, &module_code, 30));

    const char *expected[] = {
        "0|call|work|10|/tmp/app.py",       "1|c_call|len|12|/tmp/app.py",
        "2|c_return|len|12|/tmp/app.py",    "3|c_call|int|13|/tmp/app.py",
        "4|c_exception|int|13|/tmp/app.py", "5|return|work|14|/tmp/app.py",
        "6|return|<module>|30|/tmp/app.py",
    };
    cr_assert_eq(fi->nrecords, 7);
    for (size_t i = 0; i < 7; i++)
        cr_assert_str_eq(fi->records[i], expected[i]);
    cr_assert_eq(fi->error_code, 0);
    fake_instance_free(fi);
}

Test(functions, index_counts_every_event_across_stop_and_start)
{
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, NULL);
    for (int i = 0; i < 40; i++)
        send(fi, py_event(PIKOS_EVENT_CALL, &work_code, 10));
    if (pikos_plugin_entry.stop)
        pikos_plugin_entry.stop(&fi->inst, fi->ctx);
    if (pikos_plugin_entry.start)
        pikos_plugin_entry.start(&fi->inst, fi->ctx);
    send(fi, py_event(PIKOS_EVENT_RETURN, &work_code, 11));
    cr_assert_eq(fi->nrecords, 41);
    cr_assert_str_eq(fi->records[39], "39|call|work|10|/tmp/app.py");
    cr_assert_str_eq(fi->records[40], "40|return|work|11|/tmp/app.py");
    fake_instance_free(fi);
}

Test(functions, names_are_taken_by_length_not_by_nul)
{
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, NULL);
    struct pikos_event ev =
        c_event(PIKOS_EVENT_C_CALL, &work_code, "lenXYZ", 3);
    ev.function_len = 3;
    send(fi, ev);
    cr_assert_str_eq(fi->records[0], "0|c_call|len|3|/tmp/app.py");
    fake_instance_free(fi);
}

/* time=true: TimedFunctionRecord, the seed's fields then firstLineNo (0 for
   C functions), time since the run started and the OS thread id. */
Test(functions, time_true_adds_first_line_time_and_thread)
{
    struct fake_instance *fi =
        fake_instance_new(&pikos_plugin_entry, (const char *[]){"time=true", NULL});
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    const struct pikos_schema *s =
        pikos_plugin_entry.instance_schema(&fi->inst, fi->ctx);
    const char *names[] = {"index",    "type",        "function",
                           "lineNo",   "filename",    "firstLineNo",
                           "time",     "thread"};
    cr_assert_str_eq(s->name, "TimedFunctionRecord");
    cr_assert_eq(s->nfields, 8);
    for (size_t i = 0; i < 8; i++)
        cr_assert_str_eq(s->fields[i].name, names[i]);

    fake_run_start_ns = 1000;
    fake_thread_id = 4242;
    cr_assert_eq(pikos_plugin_entry.start(&fi->inst, fi->ctx), PIKOS_OK);
    fake_now_ns = 1500;
    send(fi, py_event(PIKOS_EVENT_CALL, &work_code, 11));
    fake_now_ns = 2700;
    send(fi, c_event(PIKOS_EVENT_C_CALL, &work_code, "len", 12));
    fake_now_ns = 0;

    cr_assert_eq(fi->nrecords, 2);
    cr_assert_str_eq(fi->records[0], "0|call|work|11|/tmp/app.py|10|500|4242");
    cr_assert_str_eq(fi->records[1], "1|c_call|len|12|/tmp/app.py|0|1700|4242");
    fake_instance_free(fi);
}

Test(functions, time_false_keeps_the_seeds_schema)
{
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, NULL);
    cr_assert_eq(pikos_plugin_entry.instance_schema(&fi->inst, fi->ctx),
                 pikos_plugin_entry.schema);
    send(fi, py_event(PIKOS_EVENT_CALL, &work_code, 11));
    cr_assert_str_eq(fi->records[0], "0|call|work|11|/tmp/app.py");
    fake_instance_free(fi);
}
