/* plugins/recorders/common: timed records read by field name, and each
   thread's call stack rebuilt from function events, exact. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../../plugins/recorders/common/call_stacks.h"
#include "fakehost.h"

static const struct pikos_field timed_fields[] = {
    {"index", PIKOS_FIELD_INT},     {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR},  {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR},  {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},      {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema timed = {"TimedFunctionRecord", 8,
                                          timed_fields, NULL, NULL};
static const struct pikos_schema untimed = {"FunctionRecord", 5,
                                            timed_fields, NULL, NULL};

/* A record of `timed` read back as an event. */
static struct timed_event event_of(const struct timed_schema *b,
                                   const char *type, const char *function,
                                   int64_t time, int64_t thread)
{
    struct pikos_value v[8] = {
        {.u.i = 0},
        {.u.s = {type, strlen(type)}},
        {.u.s = {function, strlen(function)}},
        {.u.i = 7},
        {.u.s = {"app.py", 6}},
        {.u.i = 5},
        {.u.i = time},
        {.u.i = thread}};
    struct timed_event e;
    timed_event_read(b, v, &e);
    return e;
}

Test(timed, fields_are_found_by_name)
{
    struct fake_instance *fi = fake_instance_new(&(struct pikos_plugin){
        .name = "probe", .kind = PIKOS_KIND_RECORDER}, NULL);
    struct timed_schema b;
    cr_assert_eq(timed_schema_bind(&fi->inst, &fake_host, "recorders/x",
                                   &timed, &b), PIKOS_OK);
    struct timed_event e = event_of(&b, "c_call", "int", 900, 12);
    cr_assert_eq(e.kind, TIMED_C_CALL);
    cr_assert_eq(e.function.len, 3);
    cr_assert_eq(memcmp(e.function.ptr, "int", 3), 0);
    cr_assert_eq(e.filename.len, 6);
    cr_assert_eq(e.lineno, 7);
    cr_assert_eq(e.first_lineno, 5);
    cr_assert_eq(e.time_ns, 900);
    cr_assert_eq(e.thread, 12);
    cr_assert_not(e.has_memory);
    /* The end of a call names nothing: its fields are left unread. */
    e = event_of(&b, "c_exception", "int", 901, 12);
    cr_assert_eq(e.kind, TIMED_C_EXCEPTION);
    cr_assert_eq(e.function.len, 0);
    cr_assert_eq(e.filename.len, 0);
    cr_assert_eq(e.lineno, 0);
    cr_assert_eq(e.time_ns, 901);
    cr_assert_eq(e.thread, 12);
    cr_assert_eq(event_of(&b, "call", "f", 1, 1).kind, TIMED_CALL);
    cr_assert_eq(event_of(&b, "return", "f", 1, 1).kind, TIMED_RETURN);
    cr_assert_eq(event_of(&b, "c_call", "f", 1, 1).kind, TIMED_C_CALL);
    cr_assert_eq(event_of(&b, "c_return", "f", 1, 1).kind, TIMED_C_RETURN);
    cr_assert_eq(event_of(&b, "calls", "f", 1, 1).kind, TIMED_OTHER);
    fake_instance_free(fi);
}

Test(timed, a_schema_without_time_is_refused_with_one_clear_line)
{
    struct fake_instance *fi = fake_instance_new(&(struct pikos_plugin){
        .name = "probe", .kind = PIKOS_KIND_RECORDER}, NULL);
    struct timed_schema b;
    cr_assert_eq(timed_schema_bind(&fi->inst, &fake_host, "recorders/x",
                                   &untimed, &b), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "recorders/x takes timed records: FunctionRecord has no "
                     "time and thread fields (give the monitor time=true, "
                     "e.g. monitors/functions:time=true)");
    fake_instance_free(fi);
}

/* ------------------------------------------------------------ stacks */

struct my_frame {
    struct call_frame base;
    char name[16];
};

static char popped[512]; /* "name@end/depth " for each frame ended */

static void note_pop(struct call_stack *stack, void *frame, uint64_t end_ns,
                     void *arg)
{
    struct my_frame *f = frame;
    (void)arg;
    snprintf(popped + strlen(popped), sizeof(popped) - strlen(popped),
             "%s@%llu/%zu ", f->name, (unsigned long long)end_ns,
             stack->depth - 1);
}

static struct call_stacks *stacks;
static struct timed_schema bound;

static void setup(void)
{
    static const struct pikos_plugin probe = {.name = "probe",
                                              .kind = PIKOS_KIND_RECORDER};
    struct fake_instance *fi = fake_instance_new(&probe, NULL);
    cr_assert_eq(timed_schema_bind(&fi->inst, &fake_host, "recorders/x",
                                   &timed, &bound), PIKOS_OK);
    fake_instance_free(fi);
    stacks = call_stacks_new(sizeof(struct my_frame));
    popped[0] = '\0';
}

static void teardown(void)
{
    call_stacks_free(stacks);
}

/* Applies one event; names a pushed frame after its function. */
static enum call_stack_change apply(const char *type, const char *function,
                                    int64_t time, int64_t thread)
{
    struct timed_event e = event_of(&bound, type, function, time, thread);
    struct call_stack *stack;
    enum call_stack_change c =
        call_stacks_event(stacks, &e, &stack, note_pop, NULL);
    if (c == CALL_STACK_PUSHED) {
        struct my_frame *f = call_stack_top(stacks, stack);
        snprintf(f->name, sizeof(f->name), "%s", function);
        cr_assert_eq(f->base.start_ns, (uint64_t)time);
        cr_assert_eq(f->base.c_function, strcmp(type, "c_call") == 0);
    }
    return c;
}

TestSuite(stacks, .init = setup, .fini = teardown);

Test(stacks, calls_and_returns_nest_per_thread)
{
    cr_assert_eq(apply("call", "main", 1, 10), CALL_STACK_PUSHED);
    cr_assert_eq(apply("call", "worker", 2, 20), CALL_STACK_PUSHED);
    cr_assert_eq(apply("call", "f", 3, 10), CALL_STACK_PUSHED);
    cr_assert_eq(apply("c_call", "len", 4, 10), CALL_STACK_PUSHED);
    cr_assert_eq(apply("c_return", "len", 5, 10), CALL_STACK_POPPED);
    cr_assert_eq(apply("return", "f", 6, 10), CALL_STACK_POPPED);
    cr_assert_eq(apply("return", "worker", 7, 20), CALL_STACK_POPPED);
    cr_assert_str_eq(popped, "len@5/2 f@6/1 worker@7/0 ");
    cr_assert_eq(call_stacks_at(stacks, 0)->thread, 10);
    cr_assert_eq(call_stacks_at(stacks, 0)->depth, 1);
    cr_assert_eq(call_stacks_at(stacks, 1)->thread, 20);
    cr_assert_eq(call_stacks_at(stacks, 1)->depth, 0);
    cr_assert_null(call_stacks_at(stacks, 2));
}

Test(stacks, ends_of_calls_made_before_monitoring_are_ignored)
{
    cr_assert_eq(apply("return", "old", 1, 10), CALL_STACK_NONE);
    cr_assert_eq(apply("c_return", "len", 2, 10), CALL_STACK_NONE);
    cr_assert_eq(apply("call", "f", 3, 10), CALL_STACK_PUSHED);
    cr_assert_eq(apply("c_exception", "len", 4, 10), CALL_STACK_NONE);
    cr_assert_eq(apply("line", "f", 4, 10), CALL_STACK_NONE);
    cr_assert_eq(apply("return", "f", 5, 10), CALL_STACK_POPPED);
    cr_assert_eq(apply("return", "older", 6, 10), CALL_STACK_NONE);
    cr_assert_str_eq(popped, "f@5/0 ");
}

Test(stacks, a_return_closes_c_calls_left_open_above_it)
{
    apply("call", "f", 1, 10);
    apply("c_call", "map", 2, 10);
    apply("c_call", "next", 3, 10);
    cr_assert_eq(apply("return", "f", 9, 10), CALL_STACK_POPPED);
    cr_assert_str_eq(popped, "next@9/2 map@9/1 f@9/0 ");
}

Test(stacks, close_all_ends_every_open_call_innermost_first)
{
    apply("call", "main", 1, 10);
    apply("call", "f", 2, 10);
    apply("call", "worker", 3, 20);
    call_stacks_close_all(stacks, 50, note_pop, NULL);
    cr_assert_str_eq(popped, "f@50/1 main@50/0 worker@50/0 ");
}

Test(stacks, deep_recursion_grows_the_stack)
{
    char name[16];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "r%d", i);
        cr_assert_eq(apply("call", name, i, 10), CALL_STACK_PUSHED);
    }
    struct call_stack *s = call_stacks_get(stacks, 10);
    cr_assert_eq(s->depth, 5000);
    cr_assert_str_eq(((struct my_frame *)call_stack_frame(stacks, s, 4321))->name,
                     "r4321");
}
