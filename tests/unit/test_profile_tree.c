/* recorders/profile: the call tree (call_tree.h), its cProfile-style
   statistics (stats.h), and the plugin driven through the fake host. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "../../plugins/recorders/common/call_stacks.h"
#include "../../plugins/recorders/profile/call_tree.h"
#include "../../plugins/recorders/profile/open_calls.h"
#include "../../plugins/recorders/profile/stats.h"
#include "durable.h"
#include "fakehost.h"

extern const struct pikos_plugin pikos_plugin_entry;

static struct timed_event call_of(const char *function, const char *file,
                                  int64_t first_lineno, int c)
{
    struct timed_event e = {0};
    e.kind = c ? TIMED_C_CALL : TIMED_CALL;
    e.function = (struct timed_text){function, strlen(function)};
    e.filename = (struct timed_text){file, strlen(file)};
    e.first_lineno = c ? 0 : first_lineno;
    e.lineno = 3;
    return e;
}

/* A small stack machine over a tree: call pushes the child of the top
   node, ret pops it with the time since its call. */
struct driver {
    struct call_tree *tree;
    uint32_t nodes[64];
    uint64_t starts[64];
    size_t depth;
};

static void call(struct driver *d, const char *name, int c, uint64_t now)
{
    struct timed_event e = call_of(name, "app.py", (int64_t)strlen(name), c);
    uint32_t parent =
        d->depth ? d->nodes[d->depth - 1] : call_tree_thread_root(d->tree, 7);
    uint32_t node = call_tree_child(d->tree, parent, &e);
    cr_assert_neq(node, CALL_TREE_NONE);
    d->nodes[d->depth] = node;
    d->starts[d->depth++] = now;
}

static void ret(struct driver *d, uint64_t now)
{
    d->depth--;
    call_tree_end_call(d->tree, d->nodes[d->depth], now - d->starts[d->depth]);
}

static const struct tree_function *
function_named(const struct call_tree *t, const char *name, uint32_t *index)
{
    for (uint32_t i = 0; i < t->nfunctions; i++)
        if (strcmp(t->functions[i].name, name) == 0) {
            *index = i;
            return &t->functions[i];
        }
    cr_assert_fail("no function %s", name);
    return NULL;
}

/* The caller -> callee counts, or NULL. */
static const struct call_counts *edge(const struct profile_stats *s,
                                      uint32_t caller, uint32_t callee)
{
    for (uint32_t i = s->first_caller[callee]; i != CALL_TREE_NONE;
         i = s->callers[i].next_caller)
        if (s->callers[i].caller == caller)
            return &s->callers[i].counts;
    return NULL;
}

Test(tree, direct_recursion_counts_primitive_calls_as_cprofile_does)
{
    struct driver d = {.tree = call_tree_new()};
    call(&d, "main", 0, 0);
    call(&d, "fact", 0, 10); /* fact(3) */
    call(&d, "fact", 0, 20); /*   fact(2) */
    call(&d, "fact", 0, 30); /*     fact(1) */
    ret(&d, 35);
    ret(&d, 45);
    ret(&d, 60);
    call(&d, "fact", 0, 70); /* fact(1) again, from main */
    ret(&d, 75);
    ret(&d, 100);

    struct profile_stats s;
    cr_assert_eq(profile_stats_compute(d.tree, &s), 0);
    uint32_t main_i, fact_i;
    function_named(d.tree, "main", &main_i);
    function_named(d.tree, "fact", &fact_i);
    const struct call_counts *fact = &s.functions[fact_i];
    cr_assert_eq(fact->nc, 4);
    cr_assert_eq(fact->cc, 2);         /* the two calls from main */
    cr_assert_eq(fact->ct_ns, 50 + 5); /* time counted once */
    cr_assert_eq(fact->tt_ns, 55);     /* all of it is fact's own */
    cr_assert_eq(s.functions[main_i].ct_ns, 100);
    cr_assert_eq(s.functions[main_i].tt_ns, 100 - 55);
    const struct call_counts *from_main = edge(&s, main_i, fact_i);
    const struct call_counts *from_fact = edge(&s, fact_i, fact_i);
    cr_assert_eq(from_main->nc, 2);
    cr_assert_eq(from_main->cc, 2);
    cr_assert_eq(from_main->ct_ns, 55);
    cr_assert_eq(from_fact->nc, 2);
    cr_assert_eq(from_fact->cc, 1);     /* fact->fact already open above */
    cr_assert_eq(from_fact->ct_ns, 25); /* fact(2) only */
    cr_assert_null(edge(&s, fact_i, main_i));
    profile_stats_free(&s);
    call_tree_free(d.tree);
}

Test(tree, mutual_recursion_counts_each_function_and_edge)
{
    struct driver d = {.tree = call_tree_new()};
    call(&d, "even", 0, 0);
    call(&d, "odd", 0, 10);
    call(&d, "even", 0, 20);
    call(&d, "odd", 0, 30);
    ret(&d, 31);
    ret(&d, 33);
    ret(&d, 37);
    ret(&d, 45);

    struct profile_stats s;
    cr_assert_eq(profile_stats_compute(d.tree, &s), 0);
    uint32_t even_i, odd_i;
    function_named(d.tree, "even", &even_i);
    function_named(d.tree, "odd", &odd_i);
    cr_assert_eq(s.functions[even_i].nc, 2);
    cr_assert_eq(s.functions[even_i].cc, 1);
    cr_assert_eq(s.functions[even_i].ct_ns, 45);
    cr_assert_eq(s.functions[odd_i].nc, 2);
    cr_assert_eq(s.functions[odd_i].cc, 1);
    cr_assert_eq(s.functions[odd_i].ct_ns, 27);
    cr_assert_eq(edge(&s, even_i, odd_i)->nc, 2);
    cr_assert_eq(edge(&s, even_i, odd_i)->cc, 1);
    cr_assert_eq(edge(&s, odd_i, even_i)->nc, 1);
    cr_assert_eq(edge(&s, odd_i, even_i)->cc, 1);
    /* tt: even 10 + 3 + 2 (before, between and after odd) ... */
    cr_assert_eq(s.functions[even_i].tt_ns + s.functions[odd_i].tt_ns, 45);
    profile_stats_free(&s);
    call_tree_free(d.tree);
}

static uint64_t exclusive_sum;
static void add_exclusive(const uint32_t *path, size_t depth, void *arg)
{
    exclusive_sum += call_tree_exclusive_ns(arg, path[depth - 1]);
}

Test(tree, exclusive_times_sum_to_the_roots_inclusive_times)
{
    struct driver d = {.tree = call_tree_new()};
    call(&d, "a", 0, 0);
    call(&d, "b", 0, 5);
    call(&d, "len", 1, 6);
    ret(&d, 9);
    ret(&d, 20);
    call(&d, "c", 0, 21);
    ret(&d, 40);
    ret(&d, 50);
    call(&d, "z", 0, 60); /* a second top call */
    ret(&d, 61);
    uint32_t root = call_tree_thread_root(d.tree, 7);
    exclusive_sum = 0;
    cr_assert_eq(call_tree_walk(d.tree, root, add_exclusive, NULL, d.tree), 0);
    cr_assert_eq(call_tree_thread_ns(d.tree, root), 51);
    cr_assert_eq(exclusive_sum, 51);
    call_tree_free(d.tree);
}

Test(tree, a_known_call_path_allocates_nothing)
{
    struct driver d = {.tree = call_tree_new()};
    for (int i = 0; i < 3; i++) {
        call(&d, "f", 0, 0);
        call(&d, "g", 0, 1);
        call(&d, "len", 1, 2);
        ret(&d, 3);
        ret(&d, 4);
        ret(&d, 5);
        if (i == 0) {
            cr_assert_eq(d.tree->nnodes, 4); /* the root, f, g, len */
            cr_assert_eq(d.tree->nfunctions, 3);
        }
    }
    struct call_tree before = *d.tree;
    call(&d, "f", 0, 0);
    call(&d, "g", 0, 1);
    ret(&d, 2);
    ret(&d, 3);
    cr_assert_eq(d.tree->nodes, before.nodes);
    cr_assert_eq(d.tree->node_slots, before.node_slots);
    cr_assert_eq(d.tree->functions, before.functions);
    cr_assert_eq(d.tree->nnodes, 4);
    cr_assert_eq(d.tree->nodes[1].calls, 4);
    call_tree_free(d.tree);
}

Test(tree, functions_are_keyed_as_cprofile_keys_them)
{
    struct call_tree *tree = call_tree_new();
    uint32_t root = call_tree_thread_root(tree, 1);
    struct timed_event a = call_of("f", "a.py", 1, 0);
    struct timed_event b = call_of("f", "b.py", 1, 0);
    struct timed_event a9 = call_of("f", "a.py", 9, 0);
    struct timed_event len_a = call_of("len", "a.py", 0, 1);
    struct timed_event len_b = call_of("len", "b.py", 0, 1);
    uint32_t n1 = call_tree_child(tree, root, &a);
    cr_assert_neq(call_tree_child(tree, root, &b), n1);
    cr_assert_neq(call_tree_child(tree, root, &a9), n1);
    cr_assert_eq(call_tree_child(tree, root, &a), n1);
    /* A C function is its name: the file of a c_call is the caller's. */
    uint32_t l = call_tree_child(tree, n1, &len_a);
    cr_assert_eq(call_tree_child(tree, n1, &len_b), l);
    cr_assert_eq(tree->nfunctions, 4);
    cr_assert_str_eq(tree->functions[tree->nodes[l].function].filename, "");
    /* Threads have roots of their own. */
    cr_assert_neq(call_tree_thread_root(tree, 2), root);
    cr_assert_eq(call_tree_thread_root(tree, 1), root);
    call_tree_free(tree);
}

/* The monitor's buffers outlive no code object: one freed with its code
   may hold another function's name at the same address later. */
Test(tree, strings_at_a_known_address_are_confirmed_by_content)
{
    struct call_tree *tree = call_tree_new();
    uint32_t root = call_tree_thread_root(tree, 1);
    char name[8] = "f", file[16] = "a.py";
    struct timed_event e = call_of(name, file, 1, 0);
    uint32_t f = call_tree_child(tree, root, &e);
    strcpy(name, "g"); /* same address, same length, other function */
    uint32_t g = call_tree_child(tree, root, &e);
    cr_assert_neq(g, f);
    strcpy(file, "b.py"); /* and another file */
    uint32_t g_b = call_tree_child(tree, root, &e);
    cr_assert_neq(g_b, g);
    cr_assert_eq(tree->nfunctions, 3);
    strcpy(name, "f");
    strcpy(file, "a.py");
    cr_assert_eq(call_tree_child(tree, root, &e), f);
    call_tree_free(tree);
}

/* Names and paths are compared inline a word at a time: a difference at
   any byte of any length tells two functions apart. */
Test(tree, a_name_or_file_differing_in_any_byte_is_another_function)
{
    for (size_t n = 1; n <= 40; n++)
        for (size_t at = 0; at < n; at++) {
            struct call_tree *tree = call_tree_new();
            uint32_t root = call_tree_thread_root(tree, 1);
            char name[41], file[41];
            memset(name, 'a', n);
            memset(file, 'a', n);
            name[n] = file[n] = '\0';
            struct timed_event e = call_of(name, file, 1, 0);
            uint32_t first = call_tree_child(tree, root, &e);
            name[at] = 'b';
            uint32_t other_name = call_tree_child(tree, root, &e);
            name[at] = 'a';
            file[at] = 'b';
            uint32_t other_file = call_tree_child(tree, root, &e);
            file[at] = 'a';
            cr_assert_eq(call_tree_child(tree, root, &e), first);
            cr_assert_neq(other_name, first, "length %zu, byte %zu", n, at);
            cr_assert_neq(other_file, first, "length %zu, byte %zu", n, at);
            cr_assert_neq(other_file, other_name);
            call_tree_free(tree);
        }
}

/* A loop's body calls its children in turn: the child found last is
   tried first, and a miss still finds the right one. */
Test(tree, children_called_in_turn_keep_their_own_nodes)
{
    struct driver d = {.tree = call_tree_new()};
    call(&d, "loop", 0, 0);
    for (uint64_t i = 0; i < 4; i++) {
        call(&d, i % 2 ? "b" : "a", 0, 10 * i);
        ret(&d, 10 * i + 1 + i % 2);
    }
    ret(&d, 50);
    cr_assert_eq(d.tree->nnodes, 4); /* the root, loop, a, b */
    uint32_t a, b;
    function_named(d.tree, "a", &a);
    function_named(d.tree, "b", &b);
    cr_assert_eq(d.tree->nodes[2].function, a);
    cr_assert_eq(d.tree->nodes[2].calls, 2);
    cr_assert_eq(d.tree->nodes[2].inclusive_ns, 2);
    cr_assert_eq(d.tree->nodes[3].function, b);
    cr_assert_eq(d.tree->nodes[3].inclusive_ns, 4);
    call_tree_free(d.tree);
}

Test(tree, many_paths_and_functions_grow_their_tables)
{
    struct call_tree *tree = call_tree_new();
    uint32_t root = call_tree_thread_root(tree, 1);
    char name[16];
    uint32_t parent = root;
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "f%d", i % 1500);
        struct timed_event e = call_of(name, "x.py", 1, 0);
        parent = call_tree_child(tree, i % 2 ? parent : root, &e);
        cr_assert_neq(parent, CALL_TREE_NONE);
    }
    cr_assert_eq(tree->nfunctions, 1500);
    for (int i = 0; i < 1500; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        struct timed_event e = call_of(name, "x.py", 1, 0);
        uint32_t n = call_tree_child(tree, root, &e);
        cr_assert_eq(tree->nodes[n].parent, root);
        cr_assert_str_eq(tree->functions[tree->nodes[n].function].name, name);
    }
    call_tree_free(tree);
}

/* ------------------------------------------------------------ open calls */

/* call_stacks' end of a call: its duration, summed. */
static void sum_duration(struct call_stack *stack, void *frame, uint64_t end_ns,
                         void *arg)
{
    (void)stack;
    *(uint64_t *)arg += end_ns - ((struct call_frame *)frame)->start_ns;
}

/* The thread's open calls hold what its shared call stack holds. */
static void assert_same_calls(const struct call_stacks *stacks,
                              const struct open_calls *calls, uint64_t thread)
{
    const struct call_stack *stack = NULL;
    for (size_t i = 0; call_stacks_at(stacks, i) != NULL; i++)
        if (call_stacks_at(stacks, i)->thread == thread)
            stack = call_stacks_at(stacks, i);
    const struct open_thread *t = calls->last;
    cr_assert_eq(t->thread, thread);
    cr_assert_eq(t->depth, stack->depth);
    for (size_t i = 0; i < stack->depth; i++) {
        const struct call_frame *f = call_stack_frame(stacks, stack, i);
        cr_assert_eq(t->calls[i].c_function, (uint32_t)f->c_function);
        cr_assert_eq(t->calls[i].start_ns, f->start_ns);
    }
}

/* The sum of every node's calls' durations. */
static uint64_t counted_ns(const struct call_tree *tree)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < tree->nnodes; i++)
        sum += tree->nodes[i].inclusive_ns;
    return sum;
}

/* open_calls keeps call_stacks' rules (open_calls.h): on a random
   unbalanced stream of two threads, with ends that match nothing and C
   calls left open under returns, both hold the same calls after every
   event and end the same calls at the same times. */
Test(open_calls, agree_with_the_shared_call_stacks)
{
    static const enum timed_kind kinds[] = {TIMED_CALL,        TIMED_RETURN,
                                            TIMED_C_CALL,      TIMED_C_RETURN,
                                            TIMED_C_EXCEPTION, TIMED_OTHER};
    struct call_tree *tree = call_tree_new();
    struct open_calls *calls = open_calls_new(tree);
    struct call_stacks *stacks = call_stacks_new(sizeof(struct call_frame));
    uint64_t seed = 14, ended_ns = 0;
    for (uint64_t now = 1; now <= 20000; now++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        enum timed_kind kind = kinds[(seed >> 33) % 6];
        struct timed_event e = call_of((seed >> 40) % 2 ? "f" : "len", "app.py",
                                       1, kind == TIMED_C_CALL);
        e.kind = kind;
        e.time_ns = now;
        e.thread = 1 + (seed >> 50) % 2;
        struct call_stack *stack;
        call_stacks_event(stacks, &e, &stack, sum_duration, &ended_ns);
        cr_assert_eq(open_calls_event(calls, &e), 0);
        assert_same_calls(stacks, calls, e.thread);
        cr_assert_eq(counted_ns(tree), ended_ns, "after event %llu",
                     (unsigned long long)now);
    }
    cr_assert_gt(ended_ns, 0);
    call_stacks_close_all(stacks, 30000, sum_duration, &ended_ns);
    open_calls_close_all(calls, 30000);
    cr_assert_eq(counted_ns(tree), ended_ns);
    call_stacks_free(stacks);
    open_calls_free(calls);
    call_tree_free(tree);
}

/* ------------------------------------------------------------ plugin */

static const struct pikos_field fields[] = {
    {"index", PIKOS_FIELD_INT},    {"type", PIKOS_FIELD_STR},
    {"function", PIKOS_FIELD_STR}, {"lineNo", PIKOS_FIELD_INT},
    {"filename", PIKOS_FIELD_STR}, {"firstLineNo", PIKOS_FIELD_INT},
    {"time", PIKOS_FIELD_INT},     {"thread", PIKOS_FIELD_INT}};
static const struct pikos_schema timed = {"TimedFunctionRecord", 8, fields,
                                          NULL, NULL};
static const struct pikos_schema untimed = {"FunctionRecord", 5, fields, NULL,
                                            NULL};

static void record(struct fake_instance *fi, const char *type,
                   const char *function, int64_t first, int64_t time,
                   int64_t thread)
{
    struct pikos_value v[8] = {{.u.i = 0},
                               {.u.s = {type, strlen(type)}},
                               {.u.s = {function, strlen(function)}},
                               {.u.i = 4},
                               {.u.s = {"app.py", 6}},
                               {.u.i = first},
                               {.u.i = time},
                               {.u.i = thread}};
    struct pikos_record rec = {&timed, v};
    cr_assert_eq(fake_record(fi, &rec), PIKOS_OK);
}

static struct fake_instance *profiler(const char *format, char path[64])
{
    fake_temp_file(path);
    char format_setting[64], file_setting[96];
    snprintf(format_setting, sizeof(format_setting), "format=%s", format);
    snprintf(file_setting, sizeof(file_setting), "filename=%s", path);
    const char *settings[] = {format_setting, file_setting, NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    return fi;
}

Test(plugin, collapsed_stacks_of_two_threads_with_open_calls_closed_at_the_end)
{
    char path[64];
    struct fake_instance *fi = profiler("collapsed", path);
    record(fi, "return", "old", 3, 90, 10); /* entered before: ignored */
    record(fi, "call", "main", 1, 100, 10);
    record(fi, "call", "work", 5, 110, 10);
    record(fi, "c_call", "len", 0, 120, 10);
    record(fi, "c_return", "len", 0, 125, 10);
    record(fi, "call", "run", 9, 130, 20);
    record(fi, "return", "work", 5, 150, 10);
    record(fi, "call", "f;g", 2, 170, 20);
    /* The run ends at 200: main, run and f;g are still open. */
    record(fi, "c_call", "sleep", 0, 200, 20);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, "thread-10;main (app.py:1) 60\n"
                           "thread-10;main (app.py:1);work (app.py:5) 35\n"
                           "thread-10;main (app.py:1);work (app.py:5);"
                           "<built-in method len> 5\n"
                           "thread-20;run (app.py:9) 40\n"
                           "thread-20;run (app.py:9);f_g (app.py:2) 30\n");
    free(text);
    fake_instance_free(fi);
    unlink(path);
}

Test(plugin, untimed_records_are_refused_with_one_clear_error)
{
    char path[64];
    struct fake_instance *fi = profiler("pstats", path);
    cr_assert_eq(fake_prepare(fi, &untimed), PIKOS_EINVAL);
    cr_assert_str_eq(fi->error,
                     "a profile takes timed records: FunctionRecord "
                     "has no time and thread fields (give the monitor "
                     "time=true, e.g. monitors/functions:time=true)");
    fake_instance_free(fi);
    unlink(path);
}

Test(plugin, an_unknown_format_is_refused_at_init)
{
    const char *settings[] = {"format=svg", NULL};
    struct fake_instance *fi = fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_eq(fi->init_rc, PIKOS_EINVAL);
    cr_assert_str_eq(fi->error, "option 'format' must be collapsed, "
                                "speedscope, pprof or pstats, not 'svg'");
    fake_instance_free(fi);
}

Test(plugin, a_second_run_rewrites_the_whole_profile)
{
    char path[64];
    struct fake_instance *fi = profiler("collapsed", path);
    record(fi, "call", "f", 1, 10, 1);
    record(fi, "return", "f", 1, 30, 1);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    record(fi, "call", "f", 1, 5, 1); /* times restart with each run */
    record(fi, "return", "f", 1, 10, 1);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    char *text = fake_read_file(path);
    cr_assert_str_eq(text, "thread-1;f (app.py:1) 25\n");
    free(text);
    fake_instance_free(fi);
    unlink(path);
}

/* ------------------------------------------------------------ salvage */

/* As under the pikos command: a region with a state directory, so that
   the profile's state buffers are files a second instance reads back. */
static char state_dir[] = "/tmp/pikos-test-profile-XXXXXX";
static struct pikos_durable *command;

static void share_region(void)
{
    int fd;
    command = pikos_durable_create(&fd);
    cr_assert_not_null(command);
    cr_assert_not_null(mkdtemp(state_dir));
    cr_assert_eq(pikos_durable_config_add(command, "state_dir", state_dir), 0);
    cr_assert_not_null(pikos_durable_attach(dup(fd)));
    close(fd);
}

static void unshare_region(void)
{
    pikos_durable_destroy(command);
    fake_remove_dir(state_dir);
}

/* Enough to grow every buffer past its first size: 300 functions (their
   strings past 4 KiB), a recursion 100 deep (past 64 open calls), two
   threads; calls left open in both at the end. */
static void busy_program(struct fake_instance *fi)
{
    char name[32];
    int64_t t = 100;
    record(fi, "call", "main", 1, t++, 10);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "function_number_%d", i);
        record(fi, "call", name, 10 + i, t++, 10);
        record(fi, "c_call", "len", 0, t++, 10);
        record(fi, "c_return", "len", 0, t++, 10);
        record(fi, "return", name, 10 + i, t++, 10);
    }
    record(fi, "call", "run", 2, t++, 20);
    for (int depth = 0; depth < 100; depth++)
        record(fi, "call", "deep", 3, t++, 20);
    for (int depth = 0; depth < 40; depth++)
        record(fi, "return", "deep", 3, t++, 20);
    record(fi, "c_call", "sleep", 0, t + 50, 10);
}

/* The whole file; its size in *len. */
static char *read_bytes(const char *path, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fstat(fileno(f), &st), 0);
    char *data = malloc((size_t)st.st_size + 1);
    cr_assert_not_null(data);
    *len = fread(data, 1, (size_t)st.st_size, f);
    fclose(f);
    return data;
}

/* A fresh instance (its own file, made at init, unused) salvages what
   the first left: it writes to the first's file. */
static void salvage_into(const char *format)
{
    static struct pikos_plugin_info info = {.full_name = "recorders/profile"};
    char own[64];
    struct pikos_error err = {0};
    struct fake_instance *again = profiler(format, own);
    again->inst.info = &info;
    cr_assert_eq(pikos_instance_salvage(&again->inst, state_dir, 0, &err),
                 PIKOS_OK, "%s", err.message);
    fake_instance_free(again);
    unlink(own);
}

/* The file a salvage writes from the buffers an instance left is the one
   its own finalize writes. */
static void assert_salvage_is_finalize(const char *format)
{
    char path[64];
    size_t salvaged_len, finalized_len;
    struct fake_instance *fi = profiler(format, path);
    cr_assert(command->states[0].in_use);
    cr_assert_eq(fake_prepare(fi, &timed), PIKOS_OK);
    busy_program(fi);
    salvage_into(format);
    char *salvaged = read_bytes(path, &salvaged_len);
    cr_assert_gt(salvaged_len, 1000);
    cr_assert_eq(truncate(path, 0), 0);
    cr_assert_eq(pikos_plugin_entry.finalize(&fi->inst, fi->ctx), PIKOS_OK);
    char *finalized = read_bytes(path, &finalized_len);
    cr_assert_eq(salvaged_len, finalized_len);
    cr_assert_eq(memcmp(salvaged, finalized, salvaged_len), 0);
    free(salvaged);
    free(finalized);
    fake_instance_free(fi);
    unlink(path);
}

TestSuite(salvage, .init = share_region, .fini = unshare_region);

Test(salvage, collapsed_as_finalize_writes_it)
{
    assert_salvage_is_finalize("collapsed");
}

Test(salvage, pstats_as_finalize_writes_it)
{
    assert_salvage_is_finalize("pstats");
}

/* A memory profile's records come only at stop: a program that ended
   before leaves none, and the salvage writes an empty memory profile
   (not an empty call profile). */
Test(salvage, a_memory_profile_is_salvaged_empty_of_its_kind)
{
    static const struct pikos_field alloc_fields[] = {
        {"function", PIKOS_FIELD_STR},    {"filename", PIKOS_FIELD_STR},
        {"lineno", PIKOS_FIELD_INT},      {"alloc_bytes", PIKOS_FIELD_INT},
        {"alloc_count", PIKOS_FIELD_INT}, {"free_bytes", PIKOS_FIELD_INT},
        {"free_count", PIKOS_FIELD_INT},  {"peak_bytes", PIKOS_FIELD_INT},
        {"peak_count", PIKOS_FIELD_INT},  {"exit_bytes", PIKOS_FIELD_INT},
        {"exit_count", PIKOS_FIELD_INT}};
    static const struct pikos_schema allocations = {
        "AllocationRecord", 11, alloc_fields, NULL, NULL};
    char path[64];
    struct fake_instance *fi = profiler("speedscope", path);
    cr_assert_eq(fake_prepare(fi, &allocations), PIKOS_OK, "%s", fi->error);
    salvage_into("speedscope");
    char *text = fake_read_file(path);
    cr_assert_str_eq(
        text,
        "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
        "\"name\":\"pikos memory profile\",\"exporter\":\"pikos "
        "recorders/profile\",\"activeProfileIndex\":0,\"shared\":{\"frames\":"
        "[]},\"profiles\":[{\"type\":\"sampled\",\"name\":\"live bytes at "
        "the peak\",\"unit\":\"bytes\",\"startValue\":0,\"endValue\":0,"
        "\"samples\":[],\"weights\":[]}]}\n");
    free(text);
    fake_instance_free(fi);
    unlink(path);
}
