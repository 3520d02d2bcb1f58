/*
 * pikos_instance_query, and recorders/list read through it at the end of
 * real pipelines (monitors/functions watching tiny.g() in an embedded
 * Python, see pipeline_harness.h), with filters chained before it.
 */
#include "pipeline_harness.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

TestSuite(query, .init = harness_setup, .fini = harness_teardown);

/* ------------------------------------------------------------ the call */

/* A plugin that answers "answer" with 42 and counts its queries. */
struct answering_ctx {
    int queries;
};

static int answer_query(struct pikos_instance *inst, void *ctx,
                        const char *what, void *answer)
{
    ((struct answering_ctx *)ctx)->queries++;
    if (strcmp(what, "answer") != 0)
        return PIKOS_ENOTFOUND;
    *(int *)answer = 42;
    return PIKOS_OK;
}

static int ignore_record(struct pikos_instance *inst, void *ctx,
                         const struct pikos_record *rec)
{
    return PIKOS_OK;
}

static const struct pikos_plugin answering = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "answering",
    .ctx_size = sizeof(struct answering_ctx),
    .record = ignore_record,
    .query = answer_query,
};

/* The same plugin as built against ABI 1.0: its descriptor ends before
   `query`, so the host must not read (let alone call) that field. */
static const struct pikos_plugin answering_abi_1_0 = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = 0,
    .struct_size = offsetof(struct pikos_plugin, query),
    .kind = PIKOS_KIND_RECORDER,
    .name = "answering",
    .ctx_size = sizeof(struct answering_ctx),
    .record = ignore_record,
    .query = answer_query,
};

static const struct pikos_plugin mute = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "mute",
    .ctx_size = sizeof(struct answering_ctx),
    .record = ignore_record,
};

Test(query, passes_the_question_and_the_answer_to_the_plugin)
{
    struct pikos_instance *inst =
        local_instance(&answering, "recorders/answering");
    struct answering_ctx *ctx = pikos_instance_ctx(inst);
    int answer = 0;
    cr_assert_eq(pikos_instance_query(inst, "answer", &answer), PIKOS_OK);
    cr_assert_eq(answer, 42);
    cr_assert_eq(pikos_instance_query(inst, "other", &answer), PIKOS_ENOTFOUND);
    cr_assert_eq(ctx->queries, 2);
    pikos_instance_free(inst);
}

Test(query, a_plugin_without_query_knows_nothing)
{
    struct pikos_instance *inst = local_instance(&mute, "recorders/mute");
    int answer = 0;
    cr_assert_eq(pikos_instance_query(inst, "answer", &answer),
                 PIKOS_ENOTFOUND);
    cr_assert_eq(answer, 0);
    pikos_instance_free(inst);
}

Test(query, a_descriptor_that_ends_before_query_is_never_asked)
{
    struct pikos_instance *inst =
        local_instance(&answering_abi_1_0, "recorders/answering");
    struct answering_ctx *ctx = pikos_instance_ctx(inst);
    int answer = 0;
    cr_assert_eq(pikos_instance_query(inst, "answer", &answer),
                 PIKOS_ENOTFOUND);
    cr_assert_eq(answer, 0);
    cr_assert_eq(ctx->queries, 0);
    pikos_instance_free(inst);
}

/* ------------------------------------------------------------ lists */

/* The records recorders/list kept, each as "v|v|...\n" (malloc'ed). */
static char *list_text(struct pikos_instance *list)
{
    struct pikos_record_list records;
    cr_assert_eq(pikos_instance_query(list, "records", &records), PIKOS_OK);
    size_t cap = 64 + records.count * 128, len = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    for (size_t r = 0; r < records.count; r++) {
        const struct pikos_record *rec = &records.records[r];
        for (size_t i = 0; i < rec->schema->nfields; i++) {
            if (i > 0)
                text[len++] = '|';
            len += pikos_format_value(rec->schema->fields[i].type,
                                      &rec->values[i], text + len, cap - len);
        }
        text[len++] = '\n';
    }
    text[len] = '\0';
    return text;
}

static void assert_list(struct pikos_instance *list, const char *expected)
{
    char *text = list_text(list);
    cr_assert_str_eq(text, expected);
    free(text);
}

static void run_g(struct pikos_pipeline *pipe)
{
    struct pikos_error err = {0};
    cr_assert_eq(pikos_pipeline_start(pipe, &err), 0, "%s", err.message);
    py_call("tiny", "g");
    cr_assert_eq(pikos_pipeline_stop(pipe, &err), 0, "%s", err.message);
}

/* monitors/functions -> `filters` -> recorders/list; returns the list. */
static struct pikos_instance *
functions_to_list(struct pikos_pipeline *pipe,
                  struct pikos_instance *const *filters, size_t nfilters)
{
    struct pikos_instance *list = registry_instance("recorders/list", NULL, 0);
    pipeline_add_ok(pipe, registry_instance("monitors/functions", NULL, 0));
    for (size_t i = 0; i < nfilters; i++)
        pipeline_add_ok(pipe, filters[i]);
    pipeline_add_ok(pipe, list);
    return list;
}

Test(query, a_list_keeps_every_record_of_each_run)
{
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *list = functions_to_list(pipe, NULL, 0);
    static const char one_run[] = "%d|call|g|4|tiny.py\n"
                                  "%d|call|f|1|tiny.py\n"
                                  "%d|c_call|len|2|tiny.py\n"
                                  "%d|c_return|len|2|tiny.py\n"
                                  "%d|return|f|2|tiny.py\n"
                                  "%d|return|g|5|tiny.py\n";
    char expected[1024];
    run_g(pipe);
    snprintf(expected, sizeof(expected), one_run, 0, 1, 2, 3, 4, 5);
    assert_list(list, expected);
    run_g(pipe); /* the monitor counts on; the list keeps both runs */
    snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
             one_run, 6, 7, 8, 9, 10, 11);
    assert_list(list, expected);
    pikos_pipeline_free(pipe);
}

Test(query, filters_in_a_chain_each_see_what_the_previous_passed)
{
    struct pikos_option_setting not_len[] = {{"field", "function"},
                                             {"values", "len"}};
    struct pikos_option_setting on_function[] = {{"field", "function"}};
    struct pikos_instance *filters[] = {
        registry_instance("filters/not_on_value", not_len, 2),
        registry_instance("filters/on_change", on_function, 1),
    };
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *list = functions_to_list(pipe, filters, 2);
    run_g(pipe);
    /* not_on_value drops len's two records, so on_change sees g, f, f, g
       and drops the second f. */
    assert_list(list, "0|call|g|4|tiny.py\n"
                      "1|call|f|1|tiny.py\n"
                      "5|return|g|5|tiny.py\n");
    pikos_pipeline_free(pipe);
}

Test(query, filters_in_the_other_order_give_another_result)
{
    struct pikos_option_setting not_len[] = {{"field", "function"},
                                             {"values", "len"}};
    struct pikos_option_setting on_function[] = {{"field", "function"}};
    struct pikos_instance *filters[] = {
        registry_instance("filters/on_change", on_function, 1),
        registry_instance("filters/not_on_value", not_len, 2),
    };
    struct pikos_pipeline *pipe = pikos_pipeline_new();
    struct pikos_instance *list = functions_to_list(pipe, filters, 2);
    run_g(pipe);
    /* on_change passes g, f, len, f, g; not_on_value then drops len. */
    assert_list(list, "0|call|g|4|tiny.py\n"
                      "1|call|f|1|tiny.py\n"
                      "4|return|f|2|tiny.py\n"
                      "5|return|g|5|tiny.py\n");
    pikos_pipeline_free(pipe);
}
