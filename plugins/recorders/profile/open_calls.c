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
    for (size_t i = 0; i < calls->count; i++)
        store_free(&calls->tree->store, calls->threads[i]);
    free(calls->threads);
    free(calls);
}

/* ------------------------------------------------------------ threads */

static size_t thread_size(uint32_t cap)
{
    return sizeof(struct open_thread) + (size_t)cap * sizeof(struct open_call);
}

/* Room in the list for one more thread; -1 when out of memory. */
static int reserve_thread(struct open_calls *calls)
{
    if (calls->count < calls->cap)
        return 0;
    size_t cap = calls->cap ? 2 * calls->cap : 8;
    struct open_thread **grown = realloc(calls->threads, cap * sizeof(*grown));
    if (grown == NULL)
        return -1;
    calls->threads = grown;
    calls->cap = cap;
    return 0;
}

/* A new thread without open calls, appended; NULL when out of memory. */
static struct open_thread *add_thread(struct open_calls *calls, uint64_t thread)
{
    uint32_t index = (uint32_t)calls->count, cap = 64;
    if (reserve_thread(calls) < 0)
        return NULL;
    struct open_thread *t = store_resize(&calls->tree->store, STORE_OPEN + index,
                                         NULL, thread_size(cap));
    if (t == NULL)
        return NULL;
    *t = (struct open_thread){.thread = thread,
                              .root = CALL_TREE_NONE,
                              .index = index,
                              .cap = cap};
    calls->threads[calls->count++] = t;
    return t;
}

/* Doubles a thread's room for open calls; the thread as it moved, or NULL
   when out of memory. */
static struct open_thread *grow_thread(struct open_calls *calls,
                                       struct open_thread *t)
{
    uint32_t cap = 2 * t->cap;
    struct open_thread *grown = store_resize(
        &calls->tree->store, STORE_OPEN + t->index, t, thread_size(cap));
    if (grown == NULL)
        return NULL;
    grown->cap = cap;
    calls->threads[grown->index] = grown;
    return calls->last = grown;
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
    if (t->depth == t->cap && (t = grow_thread(calls, t)) == NULL)
        return -1;
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

/* ------------------------------------------------------------ salvage */

/* What a torn end left wrong is made whole: a depth past the room, an
   open call on a node that is not one (then not counted). */
static void thread_check(const struct call_tree *tree, struct open_thread *t)
{
    if (t->depth > t->cap)
        t->depth = t->cap;
    if (t->root >= tree->nnodes)
        t->root = CALL_TREE_NONE;
    t->python_depth = 0;
    for (uint32_t i = 0; i < t->depth; i++) {
        struct open_call *c = &t->calls[i];
        if (c->node >= tree->nnodes ||
            tree->nodes[c->node].parent == CALL_TREE_NONE)
            c->node = CALL_TREE_NONE;
        t->python_depth += !c->c_function;
    }
}

int open_calls_restore(struct open_calls *calls)
{
    for (uint32_t i = 0;; i++) {
        size_t size;
        struct open_thread *t =
            store_restore(&calls->tree->store, STORE_OPEN + i, &size);
        if (t == NULL || size < sizeof(*t))
            return 0; /* no more threads */
        if (reserve_thread(calls) < 0)
            return -1;
        uint32_t fits = (uint32_t)((size - sizeof(*t)) / sizeof(t->calls[0]));
        t->cap = t->cap < fits ? t->cap : fits;
        t->index = i;
        thread_check(calls->tree, t);
        calls->threads[calls->count++] = t;
    }
}
