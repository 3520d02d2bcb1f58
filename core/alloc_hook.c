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
 * The raw domain may be called without the GIL, so a lock serialises the
 * monitors (they see one event at a time, as plugin.h promises).  A thread
 * without the GIL has no Python stack pikos may read: its allocations have
 * stack 0.
 */
#include <pthread.h>
#include <string.h>

#include "allocations.h"
#include "code_cache.h"

/* Allocation monitors at once. */
#define ALLOC_MONITORS_MAX 8

struct domain_hook {
    PyMemAllocatorDomain domain;
    uint32_t pikos_domain;
    PyMemAllocatorEx previous; /* what pikos's functions call */
};

static struct domain_hook domains[] = {
    {PYMEM_DOMAIN_RAW, PIKOS_ALLOC_RAW, {0}},
    {PYMEM_DOMAIN_MEM, PIKOS_ALLOC_MEM, {0}},
    {PYMEM_DOMAIN_OBJ, PIKOS_ALLOC_OBJ, {0}},
};
#define NDOMAINS (sizeof(domains) / sizeof(domains[0]))

struct alloc_monitor {
    struct pikos_instance *inst;
    void (*on_event)(struct pikos_instance *, void *,
                     const struct pikos_event *);
    void *ctx;
    uint32_t mask;
};

static struct {
    struct alloc_monitor items[ALLOC_MONITORS_MAX];
    size_t count;  /* read without the lock as a hint only */
    int installed; /* pikos's functions are in the domains' chains */
} hooks;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Set while this thread is inside one of pikos's allocator functions. */
static _Thread_local int inside __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------ events */

/* The thread's state when it holds the GIL (always so for the mem and
   object domains), else NULL. */
static PyThreadState *thread_with_gil(const struct domain_hook *d)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyThreadState *tstate = PyThreadState_GetUnchecked();
#else
    PyThreadState *tstate = _PyThreadState_UncheckedGet();
#endif
    if (d->pikos_domain == PIKOS_ALLOC_RAW && !PyGILState_Check())
        return NULL;
    return tstate;
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

/* With the lock held. */
static void tell_alloc(const struct domain_hook *d, void *ptr, size_t size)
{
    PyThreadState *tstate = thread_with_gil(d);
    struct pikos_event ev = {
        .type = PIKOS_EVENT_ALLOC,
        .thread_id = (uint64_t)PyThread_get_thread_ident(),
        .address = (uint64_t)(uintptr_t)ptr,
        .size = size,
        .domain = d->pikos_domain,
        .stack = tstate != NULL ? pikos_stack_current(tstate) : 0,
    };
    dispatch(&ev);
}

static void tell_free(const struct domain_hook *d, void *ptr)
{
    struct pikos_event ev = {
        .type = PIKOS_EVENT_FREE,
        .thread_id = (uint64_t)PyThread_get_thread_ident(),
        .address = (uint64_t)(uintptr_t)ptr,
        .domain = d->pikos_domain,
    };
    dispatch(&ev);
}

/* ------------------------------------------------------------ allocators */

static void *hooked_malloc(void *ctx, size_t size)
{
    struct domain_hook *d = ctx;
    if (inside || hooks.count == 0)
        return d->previous.malloc(d->previous.ctx, size);
    inside = 1;
    void *ptr = d->previous.malloc(d->previous.ctx, size);
    if (ptr != NULL) {
        pthread_mutex_lock(&lock);
        tell_alloc(d, ptr, size);
        pthread_mutex_unlock(&lock);
    }
    inside = 0;
    return ptr;
}

static void *hooked_calloc(void *ctx, size_t nelem, size_t elsize)
{
    struct domain_hook *d = ctx;
    if (inside || hooks.count == 0)
        return d->previous.calloc(d->previous.ctx, nelem, elsize);
    inside = 1;
    void *ptr = d->previous.calloc(d->previous.ctx, nelem, elsize);
    if (ptr != NULL) {
        pthread_mutex_lock(&lock);
        tell_alloc(d, ptr, nelem * elsize); /* calloc checked the product */
        pthread_mutex_unlock(&lock);
    }
    inside = 0;
    return ptr;
}

/* The lock is held across the call: once the old block is given back,
   another thread could get its address before the free is told. */
static void *hooked_realloc(void *ctx, void *ptr, size_t size)
{
    struct domain_hook *d = ctx;
    if (inside || hooks.count == 0)
        return d->previous.realloc(d->previous.ctx, ptr, size);
    inside = 1;
    pthread_mutex_lock(&lock);
    void *moved = d->previous.realloc(d->previous.ctx, ptr, size);
    if (moved != NULL) {
        if (ptr != NULL)
            tell_free(d, ptr);
        tell_alloc(d, moved, size);
    }
    pthread_mutex_unlock(&lock);
    inside = 0;
    return moved;
}

/* Told before the block goes back, for the same reason. */
static void hooked_free(void *ctx, void *ptr)
{
    struct domain_hook *d = ctx;
    if (inside || hooks.count == 0 || ptr == NULL) {
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
    inside = 1;
    pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&lock);
    inside = 0;
}

static void fork_child(void)
{
    pthread_mutex_init(&lock, NULL);
    inside = 0;
}

/* ------------------------------------------------------------ monitors */

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
    if ((rc = pikos_code_cache_reserve(name, err)) < 0)
        return rc;
    if (!atfork_done && pthread_atfork(fork_prepare, fork_parent, fork_child))
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", name);
    atfork_done = 1;
    if (hooks.count == 0)
        pikos_stack_tree_clear(); /* the last run's stacks */
    pthread_mutex_lock(&lock);
    hooks.items[hooks.count++] = (struct alloc_monitor){
        monitor, monitor->plugin->on_event, monitor->ctx,
        monitor->plugin->event_mask & PIKOS_EVENTS_ALLOCATION};
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
    }
    pthread_mutex_unlock(&lock);
    if (hooks.count == 0 && hooks.installed)
        uninstall();
}
