/* plugins/recorders/common/call_stacks.c - see call_stacks.h. */
#include <stdlib.h>
#include <string.h>

#include "call_stacks.h"

struct call_stacks {
    size_t frame_size;
    struct call_stack **threads; /* in the order first seen */
    size_t count, cap;
    struct call_stack *last; /* the thread of the last event: most events
                                follow one of the same thread */
};

struct call_stacks *call_stacks_new(size_t frame_size)
{
    struct call_stacks *stacks = calloc(1, sizeof(*stacks));

    if (stacks != NULL)
        stacks->frame_size = frame_size < sizeof(struct call_frame)
                                 ? sizeof(struct call_frame)
                                 : frame_size;
    return stacks;
}

void call_stacks_free(struct call_stacks *stacks)
{
    if (stacks == NULL)
        return;
    for (size_t i = 0; i < stacks->count; i++) {
        free(stacks->threads[i]->frames);
        free(stacks->threads[i]);
    }
    free(stacks->threads);
    free(stacks);
}

/* A new empty stack for `thread`, appended; NULL when out of memory. */
static struct call_stack *add_thread(struct call_stacks *stacks,
                                     uint64_t thread)
{
    if (stacks->count == stacks->cap) {
        size_t cap = stacks->cap ? 2 * stacks->cap : 8;
        struct call_stack **grown =
            realloc(stacks->threads, cap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        stacks->threads = grown;
        stacks->cap = cap;
    }
    struct call_stack *stack = calloc(1, sizeof(*stack));
    if (stack == NULL)
        return NULL;
    stack->thread = thread;
    stacks->threads[stacks->count++] = stack;
    return stack;
}

struct call_stack *call_stacks_get(struct call_stacks *stacks, uint64_t thread)
{
    if (stacks->last != NULL && stacks->last->thread == thread)
        return stacks->last;
    /* A program has few threads: a scan is cheaper than a hash here. */
    for (size_t i = 0; i < stacks->count; i++)
        if (stacks->threads[i]->thread == thread)
            return stacks->last = stacks->threads[i];
    struct call_stack *stack = add_thread(stacks, thread);
    if (stack != NULL)
        stacks->last = stack;
    return stack;
}

void *call_stack_frame(const struct call_stacks *stacks,
                       const struct call_stack *stack, size_t i)
{
    return stack->frames + i * stacks->frame_size;
}

struct call_stack *call_stacks_at(const struct call_stacks *stacks, size_t i)
{
    return i < stacks->count ? stacks->threads[i] : NULL;
}

static struct call_frame *push(struct call_stacks *stacks,
                               struct call_stack *stack,
                               const struct timed_event *e)
{
    if (stack->depth == stack->cap) {
        size_t cap = stack->cap ? 2 * stack->cap : 64;
        unsigned char *grown = realloc(stack->frames, cap * stacks->frame_size);
        if (grown == NULL)
            return NULL;
        stack->frames = grown;
        stack->cap = cap;
    }
    struct call_frame *f = call_stack_frame(stacks, stack, stack->depth++);
    memset(f, 0, stacks->frame_size);
    f->c_function = e->kind == TIMED_C_CALL;
    f->start_ns = e->time_ns;
    return f;
}

void *call_stack_top(const struct call_stacks *stacks,
                     const struct call_stack *stack)
{
    return stack->depth > 0
               ? call_stack_frame(stacks, stack, stack->depth - 1)
               : NULL;
}

/* Whether the stack holds a Python frame (a return has one to end). */
static int has_python_frame(const struct call_stacks *stacks,
                            const struct call_stack *stack)
{
    for (size_t i = stack->depth; i > 0; i--)
        if (!((struct call_frame *)call_stack_frame(stacks, stack, i - 1))
                 ->c_function)
            return 1;
    return 0;
}

enum call_stack_change
call_stacks_event(struct call_stacks *stacks, const struct timed_event *e,
                  struct call_stack **stack_out,
                  void (*on_pop)(struct call_stack *, void *, uint64_t,
                                 void *),
                  void *arg)
{
    struct call_stack *stack = call_stacks_get(stacks, e->thread);
    struct call_frame *f;

    *stack_out = stack;
    if (stack == NULL)
        return CALL_STACK_NOMEM;
    switch (e->kind) {
    case TIMED_CALL:
    case TIMED_C_CALL:
        return push(stacks, stack, e) != NULL ? CALL_STACK_PUSHED
                                              : CALL_STACK_NOMEM;
    case TIMED_RETURN:
        if (!has_python_frame(stacks, stack))
            return CALL_STACK_NONE;
        while ((f = call_stack_top(stacks, stack))->c_function) {
            on_pop(stack, f, e->time_ns, arg);
            stack->depth--;
        }
        break;
    case TIMED_C_RETURN:
    case TIMED_C_EXCEPTION:
        f = call_stack_top(stacks, stack);
        if (f == NULL || !f->c_function)
            return CALL_STACK_NONE;
        break;
    default:
        return CALL_STACK_NONE;
    }
    on_pop(stack, f, e->time_ns, arg);
    stack->depth--;
    return CALL_STACK_POPPED;
}

void call_stacks_close_all(struct call_stacks *stacks, uint64_t end_ns,
                           void (*on_pop)(struct call_stack *, void *,
                                          uint64_t, void *),
                           void *arg)
{
    for (size_t i = 0; i < stacks->count; i++) {
        struct call_stack *stack = stacks->threads[i];
        while (stack->depth > 0) {
            on_pop(stack, call_stack_top(stacks, stack), end_ns, arg);
            stack->depth--;
        }
    }
}
