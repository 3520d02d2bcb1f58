/*
 * core/allocations.h - allocation events: Python's allocator hooks
 * (alloc_hook.c), the stack of the code that allocates (alloc_stack.c)
 * and the numbered stack nodes (stack_tree.c).
 */
#ifndef PIKOS_ALLOCATIONS_H
#define PIKOS_ALLOCATIONS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"

/* alloc_hook.c: set while this thread is inside one of pikos's allocator
   functions or dispatches another event (hook.c): no allocation is an
   event then. */
extern _Thread_local int pikos_alloc_quiet
    __attribute__((tls_model("initial-exec"))) PIKOS_HIDDEN;

/* alloc_hook.c: gives `monitor` the allocation events its event_mask asks
   for, installing the allocator hooks with the first such monitor.  0, or
   -1 with `err` set. */
int pikos_alloc_add_monitor(struct pikos_instance *monitor,
                            struct pikos_error *err) PIKOS_HIDDEN;
/* Stops giving them; the last monitor out restores the allocators. */
void pikos_alloc_remove_monitor(struct pikos_instance *monitor) PIKOS_HIDDEN;

/* alloc_hook.c, for alloc_native.c: pikos's functions in front of the C
   library's (their ctx is the native domain), the C library's functions
   they call, and the blocks of the functions without a PyMemAllocatorEx
   shape (posix_memalign...), told after the call. */
extern const PyMemAllocatorEx pikos_alloc_native PIKOS_HIDDEN;
void pikos_alloc_native_set_calls(const PyMemAllocatorEx *calls) PIKOS_HIDDEN;
void pikos_alloc_native_told(void *ptr, size_t size) PIKOS_HIDDEN;

/* alloc_native.c: points the loaded libraries' entries for the C
   library's allocation functions at pikos's (0, or -1 with `err` set),
   and puts them back. */
int pikos_alloc_native_start(struct pikos_error *err,
                             const char *owner) PIKOS_HIDDEN;
void pikos_alloc_native_stop(void) PIKOS_HIDDEN;

/* alloc_sampling.c: the bytes to a thread's next pick, exponential with
   mean `mean`. */
int64_t pikos_alloc_gap(uint64_t mean) PIKOS_HIDDEN;
/* A counting filter over the picked blocks' addresses, read without the
   lock: 4096 one-byte counters, in the first-level cache. */
#define PIKOS_PICK_HINT_BITS 12
extern uint8_t pikos_pick_hints[1u << PIKOS_PICK_HINT_BITS] PIKOS_HIDDEN;

static inline size_t pikos_pick_hint_of(uint64_t address)
{
    return (size_t)(((address >> 4) * 0x9E3779B97F4A7C15ull) >>
                    (64 - PIKOS_PICK_HINT_BITS));
}

/* Whether `ptr` may be a picked block (no lock; never wrong when 0). */
static inline int pikos_alloc_maybe_picked(const void *ptr)
{
    size_t hint = pikos_pick_hint_of((uint64_t)(uintptr_t)ptr);
    return __atomic_load_n(&pikos_pick_hints[hint], __ATOMIC_RELAXED) != 0;
}
/* The set of picked live blocks, with the allocation lock: add (0, or -1
   when out of memory), take (1 when it was there), clear. */
int pikos_alloc_picked_add(const void *ptr) PIKOS_HIDDEN;
int pikos_alloc_picked_take(const void *ptr) PIKOS_HIDDEN;
void pikos_alloc_picked_clear(void) PIKOS_HIDDEN;

/* alloc_stack.c: the stack node of the thread's Python frames now (0:
   none).  With the allocation lock; `with_gil` 0 for a thread that
   allocates without the GIL (its own frames, which nobody else runs). */
uint32_t pikos_stack_current(PyThreadState *tstate,
                             int with_gil) PIKOS_HIDDEN;

/* stack_tree.c: the node of frame (code, line) called from `parent`,
   made now if new (`parent` itself when out of memory).  Without the GIL
   the node keeps a copy of the code's names, not a reference. */
uint32_t pikos_stack_child(uint32_t parent, PyCodeObject *code, int line,
                           int with_gil) PIKOS_HIDDEN;

/* code_copy.c: a code object's names, copied without the GIL and without
   allocating a Python object (malloc'ed; NULL when out of memory); whether
   a live code object is the one copied; the copy as a plugin sees it. */
struct pikos_code_copy;
/* The copy of `code` (one per code object: made the first time, again if
   its address names another code since); NULL when out of memory.  The
   copies live until pikos_code_copies_clear. */
struct pikos_code_copy *pikos_code_copy_of(PyCodeObject *code) PIKOS_HIDDEN;
void pikos_code_copies_clear(void) PIKOS_HIDDEN;
int pikos_code_copy_is(const struct pikos_code_copy *copy,
                       PyCodeObject *code) PIKOS_HIDDEN;
const struct pikos_code *
pikos_code_copy_code(const struct pikos_code_copy *copy) PIKOS_HIDDEN;
/* Changes each time the tree is emptied: a number made before means
   nothing after. */
uint32_t pikos_stack_generation(void) PIKOS_HIDDEN;
/* Forgets every node, dropping their code objects (with the GIL). */
void pikos_stack_tree_clear(void) PIKOS_HIDDEN;
/* host->stack_frame is pikos_stack_frame (internal.h). */

#endif /* PIKOS_ALLOCATIONS_H */
