/*
 * core/alloc_stack.c - the stack node of the Python code that allocates.
 *
 * Called inside the program's allocator, so it reads the thread's
 * interpreter frames directly (CPython's internal frame layout, as
 * tracemalloc does) and never asks Python for a frame object, which would
 * allocate.  Frames the interpreter has not started yet ("incomplete"
 * ones, and 3.12's C-stack shims) are skipped, as tracemalloc skips them,
 * so the innermost frame and its line are the ones tracemalloc gives.
 *
 * Most allocations come from the stack of the allocation before, or one
 * that differs in its innermost frames: each thread keeps the frames of
 * its last stack with their nodes, and only the frames below the common
 * outer part are looked up (and their lines decoded).
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <pthread.h>
#include <stdlib.h>

#include "allocations.h"

/* Frames kept per stack: the innermost ones; a deeper stack loses its
   outermost frames (docs/records.md). */
#define STACK_FRAMES_MAX 128

#if PY_VERSION_HEX >= 0x030D0000
#define TOP_FRAME(tstate) ((tstate)->current_frame)
#define FRAME_CODE(frame) ((PyCodeObject *)(frame)->f_executable)
#define FRAME_INSTR(frame) ((frame)->instr_ptr)
#else
#define TOP_FRAME(tstate) ((tstate)->cframe->current_frame)
#define FRAME_CODE(frame) ((frame)->f_code)
#define FRAME_INSTR(frame) ((frame)->prev_instr)
#endif

/* One frame as the stack cache compares it: a frame at the same address,
   at the same instruction, is the same code at the same line. */
struct frame_key {
    const void *frame;
    const void *instr;
};

/* The thread's last stack, outermost frame first, and the node of each. */
struct stack_cache {
    uint32_t generation; /* the tree's, when these nodes were made */
    uint32_t depth;
    struct frame_key keys[STACK_FRAMES_MAX];
    uint32_t nodes[STACK_FRAMES_MAX];
};

/* Each thread's, on the heap (too large for the static TLS a library
   loaded with dlopen may use), freed when the thread ends. */
static _Thread_local struct stack_cache *thread_cache
    __attribute__((tls_model("initial-exec")));
static pthread_key_t cache_key;
static int cache_key_made;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

/* At the thread's end: the cache goes, and the thread's pointer with it
   (a later destructor may still allocate). */
static void cache_free(void *cache)
{
    thread_cache = NULL;
    free(cache);
}

static void cache_key_make(void)
{
    cache_key_made = pthread_key_create(&cache_key, cache_free) == 0;
}

/* This thread's cache, emptied if the tree was; NULL when out of memory. */
static struct stack_cache *cache_get(void)
{
    struct stack_cache *cache = thread_cache;

    if (cache == NULL) {
        pthread_once(&cache_key_once, cache_key_make);
        if (!cache_key_made)
            return NULL; /* no key left: no cache, no stacks */
        cache = calloc(1, sizeof(*cache));
        if (cache == NULL || pthread_setspecific(cache_key, cache) != 0) {
            free(cache);
            return NULL;
        }
        thread_cache = cache;
    }
    if (cache->generation != pikos_stack_generation()) {
        cache->generation = pikos_stack_generation();
        cache->depth = 0;
    }
    return cache;
}

/* The line of a frame, as tracemalloc reads it (0 when unknown). */
static int frame_line(_PyInterpreterFrame *frame)
{
    PyCodeObject *code = FRAME_CODE(frame);
    int offset = (int)((_Py_CODEUNIT *)FRAME_INSTR(frame) - _PyCode_CODE(code));
    int line = PyCode_Addr2Line(code, offset * (int)sizeof(_Py_CODEUNIT));
    return line < 0 ? 0 : line;
}

/* The thread's complete frames, innermost first, at most `max`. */
static uint32_t frames_collect(PyThreadState *tstate,
                               _PyInterpreterFrame **frames, uint32_t max)
{
    uint32_t n = 0;

    for (_PyInterpreterFrame *f = TOP_FRAME(tstate); f != NULL && n < max;
         f = f->previous)
        if (!_PyFrame_IsIncomplete(f))
            frames[n++] = f;
    return n;
}

uint32_t pikos_stack_current(PyThreadState *tstate, int with_gil)
{
    _PyInterpreterFrame *frames[STACK_FRAMES_MAX];
    uint32_t n = frames_collect(tstate, frames, STACK_FRAMES_MAX);
    struct stack_cache *cache = cache_get();
    uint32_t same = 0;

    if (cache == NULL)
        return 0;
    /* The outer frames the last stack shares. */
    while (same < n && same < cache->depth) {
        _PyInterpreterFrame *f = frames[n - 1 - same];
        if (cache->keys[same].frame != f ||
            cache->keys[same].instr != FRAME_INSTR(f))
            break;
        same++;
    }
    uint32_t node = same > 0 ? cache->nodes[same - 1] : 0;
    for (uint32_t i = same; i < n; i++) {
        _PyInterpreterFrame *f = frames[n - 1 - i];
        node = pikos_stack_child(node, FRAME_CODE(f), frame_line(f),
                                 with_gil);
        cache->keys[i] = (struct frame_key){f, FRAME_INSTR(f)};
        cache->nodes[i] = node;
    }
    cache->depth = n;
    return node;
}
