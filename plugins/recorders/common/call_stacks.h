/*
 * plugins/recorders/common/call_stacks.{c,h} - each thread's stack of open
 * calls, rebuilt from timed function events (timed.h), for the recorders
 * that draw nested calls: perfetto and chrome_trace (slices), profile (the
 * call tree).
 *
 * call_stacks_event applies one event to its thread's stack and says what
 * it meant, so that every recorder reads unbalanced streams the same way:
 *   - call / c_call push a frame;
 *   - return pops the innermost Python frame, first closing any C frame
 *     above it (a C call whose end was not seen);
 *   - c_return / c_exception pop a C frame on top;
 *   - an end that matches no open frame (a function entered before
 *     monitoring started, on a thread that was already running) is
 *     ignored.
 * Each frame has `frame_size` bytes: a struct call_frame first, then the
 * recorder's own data (zeroed at push).  Each thread's stack has a `user`
 * pointer for the recorder (its track, its call tree).
 *
 * Compiled into each recorder module that needs it.
 */
#ifndef PIKOS_RECORDERS_CALL_STACKS_H
#define PIKOS_RECORDERS_CALL_STACKS_H

#include <stddef.h>
#include <stdint.h>

#include "timed.h"

struct call_frame {
    int c_function;    /* a C function's frame (c_call), not Python's */
    uint64_t start_ns; /* the call's time */
};

struct call_stack {
    uint64_t thread;
    void *user; /* the recorder's, NULL to start with */
    size_t depth;
    size_t cap;
    unsigned char *frames; /* depth frames of frame_size bytes */
};

struct call_stacks;

/* NULL when out of memory. */
struct call_stacks *call_stacks_new(size_t frame_size);
/* Frees the stacks (not what their `user` pointers hold). */
void call_stacks_free(struct call_stacks *stacks);

/* The thread's stack, made empty the first time; NULL when out of
   memory. */
struct call_stack *call_stacks_get(struct call_stacks *stacks, uint64_t thread);
/* The innermost open frame (after CALL_STACK_PUSHED: the new one, for
   the recorder to fill its part), or NULL when none is open. */
void *call_stack_top(const struct call_stacks *stacks,
                     const struct call_stack *stack);
/* The i-th frame from the bottom (0) of a stack. */
void *call_stack_frame(const struct call_stacks *stacks,
                       const struct call_stack *stack, size_t i);
/* Every thread's stack, in the order first seen: NULL after the last. */
struct call_stack *call_stacks_at(const struct call_stacks *stacks, size_t i);

/* What an event did to its thread's stack. */
enum call_stack_change {
    CALL_STACK_NONE,   /* not a call event, or an end matching nothing */
    CALL_STACK_PUSHED,
    CALL_STACK_POPPED,
    CALL_STACK_NOMEM   /* a push found no memory: the event is lost */
};

/* Applies a function event to its thread's stack.  Every frame that ends
   (the matched one and any C frames closed above it, innermost first) is
   given to `on_pop(frame, depth_after_pop, end_ns, arg)` before it is
   popped, so that a recorder closes slices or call-tree nodes in one
   place.  `*stack` is set to the thread's stack. */
enum call_stack_change
call_stacks_event(struct call_stacks *stacks, const struct timed_event *event,
                  struct call_stack **stack,
                  void (*on_pop)(struct call_stack *stack, void *frame,
                                 uint64_t end_ns, void *arg),
                  void *arg);

/* Ends every open frame of every thread at `end_ns`, innermost first,
   through `on_pop`: for an ending with calls still open. */
void call_stacks_close_all(struct call_stacks *stacks, uint64_t end_ns,
                           void (*on_pop)(struct call_stack *stack,
                                          void *frame, uint64_t end_ns,
                                          void *arg),
                           void *arg);

#endif /* PIKOS_RECORDERS_CALL_STACKS_H */
