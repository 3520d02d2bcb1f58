/*
 * plugins/recorders/perfetto/open_slices.{c,h} - one thread's open calls,
 * as recorders/perfetto's hot path keeps them: a slice is begun for each
 * call and ended by one slice end packet (which names nothing), so all a
 * thread needs of its open calls is which are C calls.
 *
 * The rules are call_stacks.h's, the shared reader of chrome_trace and
 * profile, so that every recorder reads unbalanced streams alike:
 *   - call / c_call open a call;
 *   - return ends the innermost Python call, first ending any C call above
 *     it (a C call whose end was not seen);
 *   - c_return / c_exception end a C call on top;
 *   - an end that matches no open call (a function entered before
 *     monitoring started) is ignored.
 * They are kept here rather than through call_stacks_event because
 * perfetto's whole work per record costs about what that general reader
 * (frames of any size, a callback per ended call, its own thread lookup)
 * did; tests/unit/test_perfetto_proto.c drives both with the same streams
 * and checks that they agree.
 */
#ifndef PIKOS_PERFETTO_OPEN_SLICES_H
#define PIKOS_PERFETTO_OPEN_SLICES_H

#include <stdint.h>

#include "../common/timed.h"

struct open_slices {
    unsigned char *c_function; /* one flag per open call, innermost last:
                                  1 for a C call, 0 for a Python one */
    uint32_t depth, cap;
    uint32_t python_depth; /* the open calls that are Python's */
};

/* Frees the flags (the struct is the caller's). */
void open_slices_free(struct open_slices *s);

/* Room for one more call; -1 when out of memory. */
int open_slices_grow(struct open_slices *s);

/* Opens a call (a C call's if `c_function`); -1 when out of memory: the
   call is not opened. */
static inline int open_slices_push(struct open_slices *s, int c_function)
{
    if (s->depth == s->cap && open_slices_grow(s) != 0)
        return -1;
    s->c_function[s->depth++] = (unsigned char)(c_function != 0);
    s->python_depth += c_function == 0;
    return 0;
}

/* A return: ends the innermost Python call and the C calls above it
   (python_depth > 0: there is one). */
static inline uint32_t open_slices_end_python(struct open_slices *s)
{
    uint32_t ended = 1;
    while (s->c_function[s->depth - ended])
        ended++;
    s->depth -= ended;
    s->python_depth--;
    return ended;
}

/* Applies the end of a call (`kind`: TIMED_RETURN, TIMED_C_RETURN or
   TIMED_C_EXCEPTION) and returns how many open calls it ended: 0 when
   it matches none. */
static inline uint32_t open_slices_end(struct open_slices *s,
                                       enum timed_kind kind)
{
    if (kind == TIMED_RETURN)
        return s->python_depth > 0 ? open_slices_end_python(s) : 0;
    if (s->depth > 0 && s->c_function[s->depth - 1]) {
        s->depth--;
        return 1;
    }
    return 0;
}

/* Ends every open call; returns how many there were. */
uint32_t open_slices_close_all(struct open_slices *s);

#endif /* PIKOS_PERFETTO_OPEN_SLICES_H */
