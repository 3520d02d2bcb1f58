/* plugins/recorders/profile/open_calls.c - see open_calls.h. */
#include <stdlib.h>

#include "open_calls.h"

struct open_calls *open_calls_new(struct call_tree *tree)
{
    struct open_calls *calls = calloc(1, sizeof(*calls));
    if (calls != NULL)
        calls->tree = tree;
    return calls;
}

void open_calls_free(struct open_calls *calls)
{
    if (calls == NULL)
        return;
    for (size_t i = 0; i < calls->count; i++) {
        free(calls->threads[i]->calls);
        free(calls->threads[i]);
    }
    free(calls->threads);
    free(calls);
}

/* ------------------------------------------------------------ threads */

/* A new thread without open calls, appended; NULL when out of memory. */
static struct open_thread *add_thread(struct open_calls *calls, uint64_t thread)
{
    if (calls->count == calls->cap) {
        size_t cap = calls->cap ? 2 * calls->cap : 8;
        struct open_thread **grown =
            realloc(calls->threads, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        calls->threads = grown;
        calls->cap = cap;
    }
    struct open_thread *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->thread = thread;
    t->root = CALL_TREE_NONE;
    calls->threads[calls->count++] = t;
    return t;
}

/* The thread's open calls, made the first time; NULL when out of memory.
   A program has few threads: a scan is cheaper than a hash here. */
static struct open_thread *thread_of(struct open_calls *calls, uint64_t thread)
{
    if (calls->last != NULL && calls->last->thread == thread)
        return calls->last;
    for (size_t i = 0; i < calls->count; i++)
        if (calls->threads[i]->thread == thread)
            return calls->last = calls->threads[i];
    struct open_thread *t = add_thread(calls, thread);
    if (t != NULL)
        calls->last = t;
    return t;
}

/* ------------------------------------------------------------ calls */

/* The node under which a new call goes: the innermost open call's, or
   the thread's root (made at its first call, so that roots come in the
   order threads first called). */
static uint32_t parent_of(struct open_calls *calls, struct open_thread *t)
{
    if (t->depth > 0)
        return t->calls[t->depth - 1].node;
    if (t->root == CALL_TREE_NONE)
        t->root = call_tree_thread_root(calls->tree, t->thread);
    return t->root;
}

/* Opens a call; -1 when out of memory.  A call whose node could not be
   made stays open (uncounted, as are its children), so that its end
   still matches it. */
static int open_call(struct open_calls *calls, struct open_thread *t,
                     const struct timed_event *e)
{
    if (t->depth == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 64;
        struct open_call *grown = realloc(t->calls, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        t->calls = grown;
        t->cap = cap;
    }
    uint32_t parent = parent_of(calls, t);
    uint32_t node = parent == CALL_TREE_NONE
                        ? CALL_TREE_NONE
                        : call_tree_child(calls->tree, parent, e);
    int c_function = e->kind == TIMED_C_CALL;
    t->calls[t->depth++] = (struct open_call){
        .node = node, .c_function = c_function, .start_ns = e->time_ns};
    t->python_depth += !c_function;
    return node != CALL_TREE_NONE ? 0 : -1;
}

/* Ends the innermost open call at `end_ns`. */
static inline void end_call(struct open_calls *calls, struct open_thread *t,
                            uint64_t end_ns)
{
    const struct open_call *c = &t->calls[--t->depth];
    t->python_depth -= !c->c_function;
    if (c->node != CALL_TREE_NONE)
        call_tree_end_call(calls->tree, c->node,
                           end_ns > c->start_ns ? end_ns - c->start_ns : 0);
}

/* A return ends the innermost Python call, and first the C calls above it
   whose end was not seen. */
static void end_python_call(struct open_calls *calls, struct open_thread *t,
                            uint64_t end_ns)
{
    if (t->python_depth == 0)
        return; /* nothing for the return to end */
    while (t->calls[t->depth - 1].c_function)
        end_call(calls, t, end_ns);
    end_call(calls, t, end_ns);
}

int open_calls_event(struct open_calls *calls, const struct timed_event *e)
{
    struct open_thread *t = thread_of(calls, e->thread);
    if (t == NULL)
        return -1;
    switch (e->kind) {
    case TIMED_CALL:
    case TIMED_C_CALL:
        return open_call(calls, t, e);
    case TIMED_RETURN:
        end_python_call(calls, t, e->time_ns);
        return 0;
    case TIMED_C_RETURN:
    case TIMED_C_EXCEPTION:
        if (t->depth > 0 && t->calls[t->depth - 1].c_function)
            end_call(calls, t, e->time_ns);
        return 0;
    default:
        return 0;
    }
}

void open_calls_close_all(struct open_calls *calls, uint64_t end_ns)
{
    for (size_t i = 0; i < calls->count; i++)
        while (calls->threads[i]->depth > 0)
            end_call(calls, calls->threads[i], end_ns);
}
