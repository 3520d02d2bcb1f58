/*
 * core/alloc_hook.c - allocation events from Python's allocators.
 *
 * While a monitor asks for PIKOS_EVENT_ALLOC or _FREE, pikos's functions
 * sit in front of each of Python's three allocator domains (raw, mem,
 * object), as tracemalloc's do (PyMem_SetAllocator): each calls the
 * allocator it replaced, then tells the monitors what happened, with the
 * stack node of the Python code that asked (alloc_stack.c).  When the last
 * such monitor stops, the replaced allocators are put back exactly - unless
 * another tool has put its own in front of pikos's since, which would lose
 * it: then pikos's stay, passing every call through (docs/decisions.md).
 *
 * An allocation made while one is being handled on the same thread (the
 * object allocator asking the raw one for a large block, a monitor's own
 * work) is not an event: each block is told once, at the outermost call,
 * as tracemalloc counts it.
 *
 * The raw domain (and native mode) may be called without the GIL, so a
 * lock serialises the monitors (they see one event at a time, as plugin.h
 * promises).  A thread without the GIL still has its Python frames, which
 * nobody else runs meanwhile: its blocks get their stack too
 * (stack_tree.c says how its nodes differ).
 */
#include "allocations.h"
#include "code_cache.h"
#include "threads.h"

#include <pthread.h>
#include <string.h>

/* Allocation monitors at once. */
#define ALLOC_MONITORS_MAX 8

struct domain_hook {
    PyMemAllocatorDomain domain;
    uint32_t pikos_domain;
    PyMemAllocatorEx previous; /* what pikos's functions call */
    int active;                /* its calls are events (with the lock) */
};

static struct domain_hook domains[] = {
    {PYMEM_DOMAIN_RAW, PIKOS_ALLOC_RAW, {0}, 0},
    {PYMEM_DOMAIN_MEM, PIKOS_ALLOC_MEM, {0}, 0},
    {PYMEM_DOMAIN_OBJ, PIKOS_ALLOC_OBJ, {0}, 0},
};
#define NDOMAINS (sizeof(domains) / sizeof(domains[0]))

/* The C library's functions (alloc_native.c); `domain` unused. */
static struct domain_hook native = {PYMEM_DOMAIN_RAW, PIKOS_ALLOC_NATIVE,
                                    {0}, 0};

struct alloc_monitor {
    struct pikos_instance *inst;
    void (*on_event)(struct pikos_instance *, void *,
                     const struct pikos_event *);
    void *ctx;
    uint32_t mask;
    uint64_t sample_bytes; /* what it asked for (0: every block) */
    int native;            /* it asked for native mode */
    void (*safe_point)(struct pikos_instance *, void *);
    int safe_point_asked; /* host->safe_point_soon, not called yet */
};

static struct {
    struct alloc_monitor items[ALLOC_MONITORS_MAX];
    size_t count;  /* read without the lock as a hint only */
    int installed; /* pikos's functions are in the domains' chains */
    /* The finest rate the monitors ask (0: every block), and a number that
       changes with it, so that each thread draws its first gap anew. */
    uint64_t sample_bytes;
    uint64_t sample_generation;
    int safe_point_due; /* a pending call is queued (with the lock) */
} hooks;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Set while this thread is inside one of pikos's allocator functions, or
   dispatching another event (hook.c): what is allocated then is pikos's. */
_Thread_local int pikos_alloc_quiet __attribute__((tls_model("initial-exec")));
#define inside pikos_alloc_quiet
/* Sampling: the bytes to this thread's next pick, drawn for generation
   `armed`. */
static _Thread_local int64_t until_pick
    __attribute__((tls_model("initial-exec")));
static _Thread_local uint64_t armed __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------ picking */

/* The slow side of `picks`: the countdown ran out (or the thread has not
   drawn one for this rate yet). */
static int pick_due(size_t size)
{
    if (armed != hooks.sample_generation) {
        armed = hooks.sample_generation;
        until_pick = pikos_alloc_gap(hooks.sample_bytes) - (int64_t)size;
        if (until_pick > 0)
            return 0;
    }
    until_pick = pikos_alloc_gap(hooks.sample_bytes);
    return 1;
}

/* Whether an allocation of `size` bytes is an event: always, unless the
   run samples. */
static inline int picks(size_t size)
{
    if (hooks.sample_bytes == 0)
        return 1;
    /* A block of 0 bytes counts as 1, or none would ever be picked and
       the block counts' estimates would lose them all. */
    size += size == 0;
    until_pick -= (int64_t)size;
    return until_pick > 0 ? 0 : pick_due(size);
}

/* Whether a block's free may be an event, judged without the lock: in a
   sampled run, only a picked block's (most frees stop at the filter). */
static inline int may_tell_free(const void *ptr)
{
    if (hooks.sample_bytes != 0)
        return pikos_alloc_maybe_picked(ptr) && !inside && ptr != NULL;
    return !inside && ptr != NULL;
}

/* ------------------------------------------------------------ events */

/* The thread's state, and whether it holds the GIL (always so for the mem
   and object domains).  A thread that does not still has its own frames,
   which nobody else runs meanwhile (NULL: not a Python thread). */
static PyThreadState *thread_of(const struct domain_hook *d, int *with_gil)
{
    *with_gil = 1;
    if ((d->pikos_domain == PIKOS_ALLOC_RAW ||
         d->pikos_domain == PIKOS_ALLOC_NATIVE) &&
        !PyGILState_Check()) {
        *with_gil = 0;
        return PyGILState_GetThisThreadState();
    }
#if PY_VERSION_HEX >= 0x030D0000
    return PyThreadState_GetUnchecked();
#else
    return _PyThreadState_UncheckedGet();
#endif
}

static void dispatch(const struct pikos_event *ev)
{
    uint32_t bit = PIKOS_EVENT_BIT(ev->type);

    for (size_t i = 0; i < hooks.count; i++) {
        const struct alloc_monitor *m = &hooks.items[i];
        if (m->mask & bit)
            m->on_event(m->inst, m->ctx, ev);
    }
}

/* With the lock held.  A picked block the set cannot keep (out of
   memory) is not told: its free could not be. */
static void tell_alloc(const struct domain_hook *d, void *ptr, size_t size)
{
    if (hooks.sample_bytes != 0 && pikos_alloc_picked_add(ptr) < 0)
        return;
    int with_gil;
    PyThreadState *tstate = thread_of(d, &with_gil);
    struct pikos_event ev = {
        .type = PIKOS_EVENT_ALLOC,
        .thread_id = (uint64_t)PyThread_get_thread_ident(),
        .address = (uint64_t)(uintptr_t)ptr,
        .size = size,
        .domain = d->pikos_domain,
        .stack = tstate != NULL ? pikos_stack_current(tstate, with_gil) : 0,
        .sample_bytes = hooks.sample_bytes,
    };
    dispatch(&ev);
}

/* With the lock held: the free of a block that was told; whether it was
   one. */
static int tell_free(const struct domain_hook *d, void *ptr)
{
    if (hooks.sample_bytes != 0 && !pikos_alloc_picked_take(ptr))
        return 0;
    struct pikos_event ev = {
        .type = PIKOS_EVENT_FREE,
        .thread_id = (uint64_t)PyThread_get_thread_ident(),
        .address = (uint64_t)(uintptr_t)ptr,
        .domain = d->pikos_domain,
    };
    dispatch(&ev);
    return 1;
}

static void tell_alloc_locked(const struct domain_hook *d, void *ptr,
                              size_t size)
{
    pthread_mutex_lock(&lock);
    tell_alloc(d, ptr, size);
    pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------ allocators */

/* `inside` is set across the replaced allocator's call, so that what it
   allocates itself (the object allocator's large blocks come from the raw
   one) is not an event of its own. */
static void *hooked_malloc(void *ctx, size_t size)
{
    struct domain_hook *d = ctx;
    if (inside || !d->active)
        return d->previous.malloc(d->previous.ctx, size);
    inside = 1;
    void *ptr = d->previous.malloc(d->previous.ctx, size);
    if (ptr != NULL && picks(size))
        tell_alloc_locked(d, ptr, size);
    inside = 0;
    return ptr;
}

static void *hooked_calloc(void *ctx, size_t nelem, size_t elsize)
{
    struct domain_hook *d = ctx;
    if (inside || !d->active)
        return d->previous.calloc(d->previous.ctx, nelem, elsize);
    inside = 1;
    void *ptr = d->previous.calloc(d->previous.ctx, nelem, elsize);
    if (ptr != NULL && picks(nelem * elsize)) /* calloc checked it */
        tell_alloc_locked(d, ptr, nelem * elsize);
    inside = 0;
    return ptr;
}

/* The old block's free is told before the call (as hooked_free tells it
   before the block goes back), the new block after; the lock is not held
   across the replaced allocator, which may wait for the GIL (tracemalloc's
   raw functions behind pikos's).  realloc(p, 0) may free p and return
   NULL (the C library's); a failed realloc keeps p, told again as a new
   block. */
static void *hooked_realloc(void *ctx, void *ptr, size_t size)
{
    struct domain_hook *d = ctx;
    if (inside || !d->active)
        return d->previous.realloc(d->previous.ctx, ptr, size);
    int pick = picks(size);
    int old_told = may_tell_free(ptr);
    inside = 1;
    if (old_told) {
        pthread_mutex_lock(&lock);
        old_told = tell_free(d, ptr);
        pthread_mutex_unlock(&lock);
    }
    void *moved = d->previous.realloc(d->previous.ctx, ptr, size);
    if (moved != NULL && pick)
        tell_alloc_locked(d, moved, size);
    else if (moved == NULL && old_told && size != 0)
        tell_alloc_locked(d, ptr, 0); /* still there: its size is lost */
    inside = 0;
    return moved;
}

/* Told before the block goes back, for the same reason. */
static void hooked_free(void *ctx, void *ptr)
{
    struct domain_hook *d = ctx;
    if (!d->active || !may_tell_free(ptr)) {
        d->previous.free(d->previous.ctx, ptr);
        return;
    }
    inside = 1;
    pthread_mutex_lock(&lock);
    tell_free(d, ptr);
    pthread_mutex_unlock(&lock);
    d->previous.free(d->previous.ctx, ptr);
    inside = 0;
}

/* ------------------------------------------------------------ native */

const PyMemAllocatorEx pikos_alloc_native = {
    &native, hooked_malloc, hooked_calloc, hooked_realloc, hooked_free};

void pikos_alloc_native_set_calls(const PyMemAllocatorEx *calls)
{
    native.previous = *calls;
}

void pikos_alloc_native_told(void *ptr, size_t size)
{
    if (inside || !native.active || !picks(size))
        return;
    inside = 1;
    tell_alloc_locked(&native, ptr, size);
    inside = 0;
}

/* ------------------------------------------------------------ installing */

static int is_ours(const PyMemAllocatorEx *a, const struct domain_hook *d)
{
    return a->malloc == hooked_malloc && a->ctx == d;
}

static void install(void)
{
    for (size_t i = 0; i < NDOMAINS; i++) {
        struct domain_hook *d = &domains[i];
        PyMemAllocatorEx ours = {d, hooked_malloc, hooked_calloc,
                                 hooked_realloc, hooked_free};
        PyMem_GetAllocator(d->domain, &d->previous);
        PyMem_SetAllocator(d->domain, &ours);
    }
    hooks.installed = 1;
}

/* Puts the replaced allocators back, when nothing came in front of
   pikos's since; else they stay, passing calls through. */
static void uninstall(void)
{
    for (size_t i = 0; i < NDOMAINS; i++) {
        PyMemAllocatorEx now;
        PyMem_GetAllocator(domains[i].domain, &now);
        if (!is_ours(&now, &domains[i]))
            return;
    }
    for (size_t i = 0; i < NDOMAINS; i++)
        PyMem_SetAllocator(domains[i].domain, &domains[i].previous);
    hooks.installed = 0;
}

/* A fork copies the lock as it is: held, if another thread was telling an
   event.  Holding it across the fork makes the copy a free one. */
static void fork_prepare(void)
{
    inside++;
    pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&lock);
    inside--;
}

static void fork_child(void)
{
    pthread_mutex_init(&lock, NULL);
    inside--;
}

/* ------------------------------------------------------------ safe points */

/* A pending call of the interpreter (the GIL held, outside any
   allocator): each monitor that asked gets its safe_point, with the lock
   held and `inside` set, so that what it allocates there is not an event
   and no other thread's event reaches it meanwhile. */
static int run_safe_points(void *unused)
{
    (void)unused;
    /* Pending calls run between bytecodes, which never run inside an
       allocator or a dispatch of pikos's (no monitor emits to Python code
       there: recorders in Python refuse allocation monitors' running
       records); if one did, the next event asks again. */
    if (inside) {
        hooks.safe_point_due = 0;
        return 0;
    }
    /* The one Python code that resolving a frame may run (threads.c:
       hooking threads started meanwhile), run now, before the lock: Python
       code may let another thread take the GIL, which would then wait for
       the lock. */
    pikos_threads_hook_pending();
    int was_inside = inside;
    inside = 1;
    pthread_mutex_lock(&lock);
    hooks.safe_point_due = 0;
    for (size_t i = 0; i < hooks.count; i++) {
        struct alloc_monitor *m = &hooks.items[i];
        if (!m->safe_point_asked)
            continue;
        m->safe_point_asked = 0;
        PIKOS_CALL_ENTER(outer, m->inst, "safe_point");
        m->safe_point(m->inst, m->ctx);
        PIKOS_CALL_LEAVE(outer);
    }
    pthread_mutex_unlock(&lock);
    inside = was_inside;
    return 0;
}

/* From a monitor's on_event: the lock is held. */
int pikos_alloc_safe_point_soon(struct pikos_instance *inst)
{
    size_t i = 0;

    while (i < hooks.count && hooks.items[i].inst != inst)
        i++;
    if (i == hooks.count || hooks.items[i].safe_point == NULL)
        return PIKOS_EINVAL;
    if (!hooks.safe_point_due) {
        if (Py_AddPendingCall(run_safe_points, NULL) != 0)
            return PIKOS_ENOMEM; /* the queue is full: ask again later */
        hooks.safe_point_due = 1;
    }
    hooks.items[i].safe_point_asked = 1;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ monitors */

int pikos_alloc_sample(struct pikos_instance *inst, uint64_t mean_bytes)
{
    inst->alloc_sample_bytes = mean_bytes;
    return PIKOS_OK;
}

int pikos_alloc_native_ask(struct pikos_instance *inst, int native_mode)
{
    inst->alloc_native = native_mode != 0;
    return PIKOS_OK;
}

static int native_wanted(void)
{
    for (size_t i = 0; i < hooks.count; i++)
        if (hooks.items[i].native)
            return 1;
    return 0;
}

/* Which domains' calls are events.  With the lock held. */
static void domains_sync(void)
{
    for (size_t i = 0; i < NDOMAINS; i++)
        domains[i].active = hooks.count > 0;
    native.active = native_wanted();
}

/* The rate of the monitors now: the finest, every block if one asks; a
   change forgets the picked blocks (their monitors are gone or count
   afresh).  With the lock held. */
static void sampling_sync(void)
{
    uint64_t finest = hooks.count > 0 ? UINT64_MAX : 0;

    for (size_t i = 0; i < hooks.count; i++)
        if (hooks.items[i].sample_bytes < finest)
            finest = hooks.items[i].sample_bytes;
    if (finest == hooks.sample_bytes)
        return;
    hooks.sample_bytes = finest;
    hooks.sample_generation++;
    pikos_alloc_picked_clear();
}

int pikos_alloc_add_monitor(struct pikos_instance *monitor,
                            struct pikos_error *err)
{
    static int atfork_done;
    const char *name = pikos_instance_name(monitor);
    int rc;

    if (hooks.count == ALLOC_MONITORS_MAX)
        return pikos_error_set(err, PIKOS_EINVAL,
                               "[%s] too many allocation monitors at once "
                               "(at most %d)", name, ALLOC_MONITORS_MAX);
    if (hooks.count > 0 &&
        hooks.items[0].sample_bytes != monitor->alloc_sample_bytes)
        return pikos_error_set(err, PIKOS_EINVAL,
                               "[%s] allocation monitors running at once "
                               "must sample alike (sample=%llu here, %llu "
                               "in [%s])",
                               name,
                               (unsigned long long)monitor->alloc_sample_bytes,
                               (unsigned long long)hooks.items[0].sample_bytes,
                               pikos_instance_name(hooks.items[0].inst));
    if ((rc = pikos_code_cache_reserve(name, err)) < 0)
        return rc;
    if (!atfork_done && pthread_atfork(fork_prepare, fork_parent, fork_child))
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", name);
    atfork_done = 1;
    if (monitor->alloc_native && !native_wanted() &&
        (rc = pikos_alloc_native_start(err, name)) < 0)
        return rc;
    if (hooks.count == 0)
        pikos_stack_tree_clear(); /* the last run's stacks */
    pthread_mutex_lock(&lock);
    hooks.items[hooks.count++] = (struct alloc_monitor){
        monitor, monitor->plugin->on_event, monitor->ctx,
        monitor->plugin->event_mask & PIKOS_EVENTS_ALLOCATION,
        monitor->alloc_sample_bytes, monitor->alloc_native,
        PIKOS_PLUGIN_HAS(monitor->plugin, safe_point)
            ? monitor->plugin->safe_point
            : NULL,
        0};
    sampling_sync();
    domains_sync();
    pthread_mutex_unlock(&lock);
    if (!hooks.installed)
        install();
    return 0;
}

void pikos_alloc_remove_monitor(struct pikos_instance *monitor)
{
    size_t i = 0;

    pthread_mutex_lock(&lock);
    while (i < hooks.count && hooks.items[i].inst != monitor)
        i++;
    if (i < hooks.count) {
        memmove(&hooks.items[i], &hooks.items[i + 1],
                (hooks.count - i - 1) * sizeof(hooks.items[0]));
        hooks.count--;
        sampling_sync();
        domains_sync();
    }
    pthread_mutex_unlock(&lock);
    if (!native_wanted())
        pikos_alloc_native_stop();
    if (hooks.count == 0 && hooks.installed)
        uninstall();
}
