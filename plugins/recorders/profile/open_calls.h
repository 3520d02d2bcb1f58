/*
 * plugins/recorders/profile/open_calls.{c,h} - each thread's open calls,
 * as recorders/profile's hot path keeps them: where in the call tree each
 * call is and when it started.  A call event finds its node under the
 * innermost open call (or the thread's root) and opens it; an end event
 * closes calls and adds their times to their nodes.
 *
 * The rules are call_stacks.h's, the shared reader of perfetto and
 * chrome_trace, so that every recorder reads unbalanced streams alike:
 *   - call / c_call open a call;
 *   - return ends the innermost Python call, first ending any C call above
 *     it (a C call whose end was not seen);
 *   - c_return / c_exception end a C call on top;
 *   - an end that matches no open call (a function entered before
 *     monitoring started) is ignored.
 * Each thread's open calls are a buffer of the tree's store (store.h):
 * should the program end before monitoring stops, the `pikos` command
 * reads them and closes them at the last timestamp, as finalize would.
 *
 * They are kept here rather than through call_stacks_event because the
 * profile's whole work per record costs less than that general reader's
 * (frames of any size, callbacks); tests/unit/test_profile_tree.c drives
 * both with the same streams and checks that their stacks agree.
 */
#ifndef PIKOS_PROFILE_OPEN_CALLS_H
#define PIKOS_PROFILE_OPEN_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/timed.h"
#include "call_tree.h"

struct open_call {
    uint32_t node;       /* CALL_TREE_NONE: not counted (out of memory) */
    uint32_t c_function; /* a c_call's, not a Python call's */
    uint64_t start_ns;
};

/* A thread's buffer (STORE_OPEN + index): it moves when it grows. */
struct open_thread {
    uint64_t thread; /* OS thread id */
    uint32_t root;   /* its root node, CALL_TREE_NONE until its first call */
    uint32_t index;  /* in open_calls.threads, and its buffer's */
    uint32_t depth, cap;
    uint32_t python_depth;   /* the open calls that are Python's */
    uint32_t reserved;
    struct open_call calls[]; /* innermost last */
};

struct open_calls {
    struct call_tree *tree;
    struct open_thread **threads; /* in the order first seen */
    size_t count, cap;
    struct open_thread *last; /* the last event's: most events follow one
                                 of the same thread */
};

/* NULL when out of memory.  The calls are counted into `tree`. */
struct open_calls *open_calls_new(struct call_tree *tree);
void open_calls_free(struct open_calls *calls);

/* Applies a function event (for a call: its function too).  Returns 0,
   or -1 when out of memory: the call is not counted. */
int open_calls_event(struct open_calls *calls, const struct timed_event *e);

/* In a salvage: the threads' open calls as the ended process left them
   in the tree's store (after call_tree_restore), their nodes checked.
   -1 when out of memory. */
int open_calls_restore(struct open_calls *calls);

/* Ends every open call of every thread at `end_ns`: for an ending with
   calls still open. */
void open_calls_close_all(struct open_calls *calls, uint64_t end_ns);

#endif /* PIKOS_PROFILE_OPEN_CALLS_H */
