/*
 * core/hook.c - the only CPython profile/trace hook of pikos.
 *
 * Started monitors are kept in a dense array of active monitors.  The first
 * monitor that wants function events installs a profile callback, the first
 * that wants line events a trace callback (threads.c puts them in the
 * threads the monitors ask for); removing the last monitor that needs a
 * callback removes it.  Per event the hook calls every active monitor that
 * asked for that event and whose limits let it through, handing it a
 * Python-free struct pikos_event built on the stack - only when some
 * monitor takes the event.
 *
 * Limits are the host-handled monitor options of plugin.h (threads=,
 * functions=), read into the monitor's limits when it is added
 * (monitor_limits.c, which says what each one lets through); here each
 * event is tested against them.
 * Whether a code object is a focus function is decided once per code
 * object and monitor and kept as a bit in the code's cache entry
 * (code_cache.c): each focused monitor owns one of 64 bits while active.
 * A monitor without limits pays one test per event for all this, a line
 * monitor's focus a test of the code's verdict bits.
 *
 * Everything here runs with the GIL held, which serialises it.  The
 * callbacks never raise and never print: what cannot be reported to the
 * program becomes a sticky error of the monitors, reported at stop.
 */
#include "allocations.h"
#include "code_cache.h"
#include "hook_backend.h"
#include "monitor_limits.h"
#include "program.h"
#include "threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Which events each CPython callback delivers. */
#define PROFILE_EVENTS PIKOS_EVENTS_FUNCTION
#define TRACE_EVENTS                                                           \
    (PIKOS_EVENT_BIT(PIKOS_EVENT_LINE) | PIKOS_EVENT_BIT(PIKOS_EVENT_EXCEPTION))
/* What a focused function monitor follows, whatever it records. */
#define FOCUS_EVENTS                                                           \
    (PIKOS_EVENT_BIT(PIKOS_EVENT_CALL) | PIKOS_EVENT_BIT(PIKOS_EVENT_RETURN))

/* Non-builtin callables whose names are kept (see callable_name). */
#define NAME_CACHE_SIZE 8

/* Which limits a monitor has: each kind has its own short path. */
enum limit_kind {
    LIMIT_NONE = 0,   /* every event it asked for */
    LIMIT_FRAMES = 1, /* a line monitor's focus, every thread */
    LIMIT_STACK = 2,  /* a function monitor's focus, every thread */
    LIMIT_OTHER = 3   /* threads=current, with or without a focus */
};

struct active_monitor {
    struct pikos_instance *inst;
    const struct pikos_plugin *plugin;
    void *ctx;
    uint32_t event_mask; /* the events it is given */
    uint32_t hook_mask;  /* the events it must see: its own, and calls and
                            returns when it follows a focus */
    int limit;           /* enum limit_kind */
    int wants_time;      /* its events carry time_ns */
    struct pikos_monitor_limits limits;
};

static struct {
    struct active_monitor *items;
    size_t count;
    size_t capacity;
    uint32_t event_mask; /* union of the active monitors' hook masks */
    int want_time;       /* some active monitor wants timestamps */
    int all_focused;     /* there are active monitors, all focused */
    /* When every monitor of line events is a line monitor's focus: the
       union of their verdict bits (else 0), for line_outside_focus. */
    uint64_t line_focus_bits;
} active;

/* Set while this thread dispatches an event, so that Python code run by a
   plugin does not recurse into the dispatch.  CPython already suspends its
   hooks while calling one; this also covers a callback reached any other
   way, and the Python code the hook runs itself (threads.c). */
static _Thread_local int dispatching
    __attribute__((tls_model("initial-exec"))); /* no __tls_get_addr call */

/* How many threads are inside a plugin's on_event just now (the GIL
   serialises the count).  Python code a plugin runs may switch threads or
   collect garbage, and so free a pipeline whose plugin is still on some
   stack: such frees wait until no thread dispatches (pipeline.c). */
static int threads_dispatching;

int pikos_hook_dispatching(void)
{
    return threads_dispatching > 0;
}

/* ------------------------------------------------------------ helpers */

/* A pending Python exception, put aside around code that may set one. */
struct saved_exception {
    PyObject *type;
    PyObject *value;
    PyObject *traceback;
};

static void exception_save(struct saved_exception *saved)
{
    PyErr_Fetch(&saved->type, &saved->value, &saved->traceback);
}

/* Puts the saved exception back, dropping any raised since the save. */
static void exception_restore(struct saved_exception *saved)
{
    PyErr_Restore(saved->type, saved->value, saved->traceback);
}

/* Gives every active monitor a sticky error (once: the first one sticks,
   and a set error is not formatted again). */
static void report_to_monitors(int code, const char *message)
{
    for (size_t i = 0; i < active.count; i++) {
        struct pikos_instance *inst = active.items[i].inst;
        if (inst->error_code == 0)
            pikos_instance_set_error(inst, code, "%s", message);
    }
}

/* ------------------------------------------------------------ C callables */

/* Names of callables that are not builtins (CPython reports builtins only,
   but a hook must not trust that).  Each entry holds its callable, so the
   identity cannot be reused, and the name, so the pointer stays valid. */
struct cached_name {
    PyObject *callable;
    struct pikos_utf8_view name;
};

static struct cached_name name_cache[NAME_CACHE_SIZE];
static size_t name_cache_next;

static const struct cached_name *name_cache_find(PyObject *callable)
{
    for (size_t i = 0; i < NAME_CACHE_SIZE; i++)
        if (name_cache[i].callable == callable)
            return &name_cache[i];
    return NULL;
}

static void name_cache_release(struct cached_name *entry)
{
    Py_CLEAR(entry->callable);
    pikos_utf8_view_release(&entry->name);
}

/* Looks up callable.__name__ and keeps it, evicting the oldest entry. */
static const struct cached_name *name_cache_add(PyObject *callable)
{
    struct cached_name *slot = &name_cache[name_cache_next];
    struct pikos_utf8_view name;

    if (pikos_utf8_view_of_attr(callable, "__name__", &name) < 0)
        return NULL;
    name_cache_release(slot);
    Py_INCREF(callable);
    slot->callable = callable;
    slot->name = name;
    name_cache_next = (name_cache_next + 1) % NAME_CACHE_SIZE;
    return slot;
}

static void name_cache_clear(void)
{
    for (size_t i = 0; i < NAME_CACHE_SIZE; i++)
        name_cache_release(&name_cache[i]);
    name_cache_next = 0;
}

/* A callable without a usable __name__ is named by its type. */
static void callable_name(struct pikos_event *ev, PyObject *callable)
{
    const struct cached_name *entry = name_cache_find(callable);

    if (entry == NULL) {
        struct saved_exception saved;
        exception_save(&saved);
        entry = name_cache_add(callable);
        exception_restore(&saved);
    }
    if (entry != NULL) {
        ev->function = entry->name.text;
        ev->function_len = (size_t)entry->name.len;
    } else {
        ev->function = Py_TYPE(callable)->tp_name;
        ev->function_len = strlen(ev->function);
    }
    ev->function_id = (uintptr_t)callable;
}

/* For c_* events: the __name__ of the C callable, which for builtin
   functions and method descriptors is their PyMethodDef's name (read
   directly: no attribute lookup, no new object). */
static void event_set_callable(struct pikos_event *ev, PyObject *callable)
{
    const PyMethodDef *def = NULL;

    if (PyCFunction_Check(callable))
        def = ((PyCFunctionObject *)callable)->m_ml;
    else if (Py_IS_TYPE(callable, &PyMethodDescr_Type))
        def = ((PyMethodDescrObject *)callable)->d_method;
    if (def == NULL) {
        callable_name(ev, callable);
        return;
    }
    ev->function = def->ml_name;
    ev->function_len = strlen(def->ml_name);
    ev->function_id = (uintptr_t)def;
}

/* ------------------------------------------------------------ limits */

/* Compares the code with the focus names, once per code and monitor. */
__attribute__((noinline)) static void
focus_resolve(struct pikos_code_entry *entry, const struct active_monitor *m)
{
    entry->focus_known |= m->limits.focus_bit;
    if (pikos_focus_matches(m->limits.focus, &entry->code))
        entry->focus_match |= m->limits.focus_bit;
}

/* Whether `entry`'s code is one of the monitor's focus functions, decided
   the first time and then read from the entry's verdict bits. */
static int code_in_focus(struct pikos_code_entry *entry,
                         const struct active_monitor *m)
{
    if (!(entry->focus_known & m->limits.focus_bit))
        focus_resolve(entry, m);
    return (entry->focus_match & m->limits.focus_bit) != 0;
}

/* The calling thread's id, asked at most once per event and only when a
   monitor's limits or a record need it.  It is PyThread_get_thread_ident()'s
   value, which CPython's pthread build takes from pthread_self(): asked
   directly, it skips that function's call and its "threads initialized?"
   test. */
static uint64_t current_thread(uint64_t *thread_id)
{
    if (*thread_id == 0)
        *thread_id = (uint64_t)pthread_self();
    return *thread_id;
}

/* A focus frame starts on the thread: its call is taken. */
static int focus_enter(const struct active_monitor *m, uint64_t *thread_id)
{
    if (pikos_focus_enter(m->limits.focus, current_thread(thread_id)) == 0) {
        pikos_monitoring_focus_entered(); /* locations disabled come back */
        return 1;
    }
    pikos_instance_set_error(m->inst, PIKOS_ENOMEM,
                             "events were lost: out of memory while "
                             "following the focus functions");
    return 0;
}

/* Whether the thread has a focus frame on its stack; a thread is looked
   for only when some thread has one. */
static int focus_inside(const struct active_monitor *m, uint64_t *thread_id)
{
    return pikos_focus_anyone_inside(m->limits.focus) &&
           pikos_focus_inside(m->limits.focus, current_thread(thread_id));
}

/* Function monitors: the events while a focus frame is on the thread's
   stack, the focus frames' own calls and returns included. */
static inline int function_event_in_focus(const struct active_monitor *m,
                                          struct pikos_code_entry *entry,
                                          uint32_t type, uint64_t *thread_id)
{
    switch (type) {
    case PIKOS_EVENT_CALL:
        if (code_in_focus(entry, m))
            return focus_enter(m, thread_id);
        return focus_inside(m, thread_id);
    case PIKOS_EVENT_RETURN:
        if (!focus_inside(m, thread_id))
            return 0;
        if (code_in_focus(entry, m))
            pikos_focus_leave(m->limits.focus, *thread_id);
        return 1;
    default:
        return focus_inside(m, thread_id);
    }
}

/* The general case: threads=current, and a focus if there is one. */
static int limits_pass(const struct active_monitor *m,
                       struct pikos_code_entry *entry, uint32_t type,
                       uint64_t *thread_id)
{
    if (m->limits.only_thread != 0 &&
        current_thread(thread_id) != m->limits.only_thread)
        return 0;
    if (m->limits.focus == NULL)
        return 1;
    if (m->limits.focus_frames_only)
        return code_in_focus(entry, m);
    return function_event_in_focus(m, entry, type, thread_id);
}

/* ------------------------------------------------------------ dispatch */

static int is_c_event(uint32_t type)
{
    return type == PIKOS_EVENT_C_CALL || type == PIKOS_EVENT_C_RETURN ||
           type == PIKOS_EVENT_C_EXCEPTION;
}

/* The line an event happened at: the frame's (legacy hooks), the one
   sys.monitoring gave, or the line of the instruction it named. */
static int site_line(const struct pikos_event_site *site,
                     struct pikos_code_entry *entry)
{
    if (site->frame != NULL)
        return PyFrame_GetLineNumber(site->frame);
    if (site->offset != NULL)
        return pikos_code_line_at(entry, site->code,
                                  (int)PyLong_AsLong(site->offset));
    return site->line;
}

static void event_build(struct pikos_event *ev,
                        const struct pikos_event_site *site,
                        struct pikos_code_entry *entry, uint32_t type,
                        PyObject *arg, uint64_t thread_id)
{
    const struct pikos_code *code = &entry->code;
    /* Calls first: what is read after them needs no saving across them. */
    int lineno = site_line(site, entry);
    uint64_t time_ns = active.want_time ? pikos_clock_ns() : 0;

    ev->type = type;
    ev->code = code;
    ev->function = code->name;
    ev->function_len = code->name_len;
    ev->function_id = code->id;
    ev->lineno = lineno;
    ev->thread_id = thread_id;
    ev->time_ns = time_ns;
    if (is_c_event(type))
        event_set_callable(ev, arg);
}

/* Whether the monitor asked for the event and its limits let it through
   (which, for a focus, also follows the thread's stack: ask once). */
static inline int takes(const struct active_monitor *m,
                        struct pikos_code_entry *entry, uint32_t type,
                        uint64_t *thread_id)
{
    uint32_t bit = PIKOS_EVENT_BIT(type);

    if (!(m->hook_mask & bit))
        return 0;
    switch (m->limit) {
    case LIMIT_FRAMES:
        if (!code_in_focus(entry, m))
            return 0;
        break;
    case LIMIT_STACK:
        if (!function_event_in_focus(m, entry, type, thread_id))
            return 0;
        break;
    case LIMIT_OTHER:
        if (!limits_pass(m, entry, type, thread_id))
            return 0;
        break;
    }
    return (m->event_mask & bit) != 0;
}

static void release_when_idle(void);

/* After the monitors had an event: what their Python code may have left
   to do (pipelines freed meanwhile, the last monitor removed). */
static inline void dispatch_done(void)
{
    dispatching = 0;
    if (--threads_dispatching == 0 && pikos_pipelines_deferred != NULL)
        pikos_pipelines_free_deferred();
    if (active.count == 0)
        release_when_idle(); /* a plugin removed the last monitor */
}

/* The usual run: one monitor without limits, which asked for the event.
   No loop and no limits to test: the short path of the hook. */
static void dispatch_one(const struct pikos_event_site *site, uint32_t type,
                         PyObject *arg, struct pikos_code_entry *entry)
{
    const struct active_monitor *m = &active.items[0];
    uint64_t thread_id = 0;
    struct pikos_event ev;

    dispatching = 1; /* naming a callable may run Python */
    threads_dispatching++;
    pikos_alloc_quiet++; /* what pikos allocates is not the program's */
    event_build(&ev, site, entry, type, arg, current_thread(&thread_id));
    PIKOS_CALL_ENTER(outer, m->inst, "on_event");
    m->plugin->on_event(m->inst, m->ctx, &ev);
    PIKOS_CALL_LEAVE(outer);
    pikos_alloc_quiet--;
    dispatch_done();
}

/* Any run: every active monitor that takes the event, in order. */
static int dispatch_all(const struct pikos_event_site *site, uint32_t type,
                        PyObject *arg, struct pikos_code_entry *entry)
{
    uint64_t thread_id = 0; /* not asked yet */
    struct pikos_event ev;
    int built = 0;

    /* Indexing (not a saved pointer) keeps this right if a plugin running
       Python code adds or removes monitors meanwhile. */
    for (size_t i = 0; i < active.count; i++) {
        const struct active_monitor *m = &active.items[i];
        if (!takes(m, entry, type, &thread_id))
            continue;
        if (!built) {
            built = dispatching = 1; /* naming a callable may run Python */
            threads_dispatching++;
            pikos_alloc_quiet++; /* what pikos allocates is not the program's */
            event_build(&ev, site, entry, type, arg,
                        current_thread(&thread_id));
        }
        PIKOS_CALL_ENTER(outer, m->inst, "on_event");
        m->plugin->on_event(m->inst, m->ctx, &ev);
        PIKOS_CALL_LEAVE(outer);
    }
    if (built) {
        pikos_alloc_quiet--;
        dispatch_done();
    }
    return built;
}

static void report_lost_entry(void)
{
    report_to_monitors(PIKOS_ENOMEM,
                       "events were lost: could not cache the names of a "
                       "code object (out of memory?)");
}

/* Whether the event goes to the one active monitor, which has no limits
   (the usual run: dispatch_one's short path). */
static inline int takes_alone(uint32_t type)
{
    return active.count == 1 && active.items[0].limit == LIMIT_NONE &&
           (active.items[0].event_mask & PIKOS_EVENT_BIT(type));
}

/* Returns 0, the hook's return value, so that callbacks end on a tail
   call. */
static int dispatch_at(const struct pikos_event_site *site, uint32_t type,
                       PyObject *arg)
{
    struct pikos_code_entry *entry = pikos_code_entry_of(site->code);

    if (entry == NULL)
        report_lost_entry();
    else if (takes_alone(type))
        dispatch_one(site, type, arg, entry);
    else
        dispatch_all(site, type, arg, entry);
    return 0;
}

/* An event of the legacy hooks, which give the frame. */
static int dispatch(PyFrameObject *frame, uint32_t type, PyObject *arg)
{
    /* Borrowed: the frame holds its code while the hook runs. */
    PyCodeObject *code = PyFrame_GetCode(frame);
    Py_DECREF(code);
    struct pikos_event_site site = {frame, code, NULL, 0};
    return dispatch_at(&site, type, arg);
}


/* The pikos event of a CPython `what`, or -1 for one pikos ignores. */
static int event_type(int what)
{
    switch (what) {
    case PyTrace_CALL:
        return PIKOS_EVENT_CALL;
    case PyTrace_RETURN:
        return PIKOS_EVENT_RETURN;
    case PyTrace_C_CALL:
        return PIKOS_EVENT_C_CALL;
    case PyTrace_C_RETURN:
        return PIKOS_EVENT_C_RETURN;
    case PyTrace_C_EXCEPTION:
        return PIKOS_EVENT_C_EXCEPTION;
    case PyTrace_LINE:
        return PIKOS_EVENT_LINE;
    case PyTrace_EXCEPTION:
        return PIKOS_EVENT_EXCEPTION;
    default:
        return -1;
    }
}

/* Whether an event of `type` that reached the callback for `hook_events`
   must be dispatched.  The trace callback also sees calls and returns:
   those come from the profile callback only. */
static int wanted(int type, uint32_t hook_events)
{
    return type >= 0 &&
           (PIKOS_EVENT_BIT(type) & hook_events & active.event_mask) &&
           !dispatching;
}

/*
 * Whether no active monitor can take an event of `type` at this code
 * location, as things stand: every monitor is focused, and
 *   - a line monitor's focus leaves out the code for good;
 *   - a function monitor's focus leaves out everything while no thread
 *     is inside it, except the calls of the focus functions themselves,
 *     until a focus function is entered.
 */
static int location_idle(struct pikos_code_entry *entry, uint32_t type)
{
    int verdict = PIKOS_LOCATION_IDLE;

    if (!active.all_focused)
        return PIKOS_LOCATION_USED;

    for (size_t i = 0; i < active.count; i++) {
        const struct active_monitor *m = &active.items[i];
        if (m->limit == LIMIT_FRAMES) {
            if (code_in_focus(entry, m))
                return PIKOS_LOCATION_USED;
        } else if (m->limit == LIMIT_STACK) {
            if (pikos_focus_anyone_inside(m->limits.focus) ||
                (type == PIKOS_EVENT_CALL && code_in_focus(entry, m)))
                return PIKOS_LOCATION_USED;
            verdict = PIKOS_LOCATION_IDLE_UNTIL_FOCUS;
        } else {
            return PIKOS_LOCATION_USED;
        }
    }
    return verdict;
}

int pikos_hook_location_use(PyCodeObject *code, uint32_t type)
{
    struct pikos_code_entry *entry;

    if (!active.all_focused || dispatching)
        return PIKOS_LOCATION_USED;
    entry = pikos_code_entry_of(code);
    return entry != NULL ? location_idle(entry, type) : PIKOS_LOCATION_USED;
}

/* An event sys.monitoring gave (hook_monitoring.c), from a thread the
   legacy hooks would be installed in. */
int pikos_hook_dispatch_site(const struct pikos_event_site *site,
                             uint32_t type, PyObject *arg)
{
    int kind = PIKOS_EVENT_BIT(type) & PROFILE_EVENTS ? PIKOS_HOOK_PROFILE
                                                      : PIKOS_HOOK_TRACE;
    struct pikos_code_entry *entry;

    if (!wanted((int)type, PROFILE_EVENTS | TRACE_EVENTS) ||
        !pikos_threads_taken(kind))
        return PIKOS_LOCATION_USED;
    entry = pikos_code_entry_of(site->code);
    if (entry == NULL) {
        report_lost_entry();
        return PIKOS_LOCATION_USED;
    }
    if (takes_alone(type)) {
        dispatch_one(site, type, arg, entry);
        return PIKOS_LOCATION_USED;
    }
    if (dispatch_all(site, type, arg, entry))
        return PIKOS_LOCATION_USED;
    return location_idle(entry, type);
}

/* ------------------------------------------------------------ the program */

/* The command line's program: the frame whose end ends it (program.c). */
static struct {
    PyFrameObject *frame; /* borrowed: alive while it runs */
    PyObject *code;       /* its code, against a reused frame address */
    void (*ended)(void);
} watched;

/* Calls `ended` once the watched frame has returned, from the callback
   that sees it last: the trace callback runs before the profile one, and
   leaves the end to it when both are installed. */
static void watched_frame_left(void)
{
    void (*ended)(void) = watched.ended;

    watched.frame = NULL;
    watched.ended = NULL;
    Py_CLEAR(watched.code);
    ended();
}

static void check_frame_end(PyFrameObject *frame, int what,
                            uint32_t hook_events)
{
    PyCodeObject *code;

    if (what != PyTrace_RETURN || frame != watched.frame)
        return;
    if (hook_events == TRACE_EVENTS && (active.event_mask & PROFILE_EVENTS))
        return;
    code = PyFrame_GetCode(frame);
    Py_DECREF(code); /* the frame holds it */
    if ((PyObject *)code == watched.code)
        watched_frame_left();
}

int pikos_hook_watch_frame(PyFrameObject *frame, void (*ended)(void))
{
    /* Through sys.monitoring only the function events see frames end. */
    uint32_t seeing = pikos_hook_uses_monitoring()
                          ? PROFILE_EVENTS
                          : PROFILE_EVENTS | TRACE_EVENTS;

    if (!(active.event_mask & seeing))
        return 0; /* no callback would see it end */
    watched.frame = frame;
    watched.code = (PyObject *)PyFrame_GetCode(frame);
    watched.ended = ended;
    return 1;
}

void pikos_hook_code_left(PyCodeObject *code)
{
    if ((PyObject *)code == watched.code && watched.ended != NULL &&
        PyEval_GetFrame() == watched.frame)
        watched_frame_left();
}

/* ------------------------------------------------------------ callbacks */

static int profile_callback(PyObject *obj, PyFrameObject *frame, int what,
                            PyObject *arg)
{
    int type = event_type(what);

    if (frame == watched.frame) { /* rare: the program's own frame */
        if (wanted(type, PROFILE_EVENTS))
            dispatch(frame, (uint32_t)type, arg);
        check_frame_end(frame, what, PROFILE_EVENTS);
    } else if (wanted(type, PROFILE_EVENTS)) {
        return dispatch(frame, (uint32_t)type, arg); /* a tail call */
    }
    return 0;
}

void pikos_hook_replay_call(PyFrameObject *frame)
{
    if (active.event_mask & PROFILE_EVENTS)
        profile_callback(NULL, frame, PyTrace_CALL, NULL);
}

/*
 * Whether a line event is outside the focus of every monitor that takes
 * line events, all of them line monitors' focuses, by the verdicts the
 * code's entry already holds.  The common case of a focused line monitor,
 * decided before the dispatch and its loop.
 */
static int line_outside_focus(PyFrameObject *frame)
{
    uint64_t bits = active.line_focus_bits;
    PyCodeObject *code = PyFrame_GetCode(frame);
    struct pikos_code_entry *entry = pikos_code_entry_of(code);
    int outside = entry != NULL && (entry->focus_known & bits) == bits &&
                  (entry->focus_match & bits) == 0;

    Py_DECREF(code);
    return outside;
}

static int trace_callback(PyObject *obj, PyFrameObject *frame, int what,
                          PyObject *arg)
{
    int type = event_type(what);

    if (frame == watched.frame)
        check_frame_end(frame, what, TRACE_EVENTS);
    if (!wanted(type, TRACE_EVENTS))
        return 0;
    if (type == PIKOS_EVENT_LINE && active.line_focus_bits != 0 &&
        line_outside_focus(frame))
        return 0;
    dispatch(frame, (uint32_t)type, arg);
    return 0;
}

/* ------------------------------------------------------------ installing */

/* Where a callback delivering `events` must be: nowhere when no active
   monitor needs them, in every thread when one of those monitors takes
   every thread, else in this one. */
static int scope_of(uint32_t events)
{
    int needed = 0;

    for (size_t i = 0; i < active.count; i++) {
        const struct active_monitor *m = &active.items[i];
        if (!(m->hook_mask & events))
            continue;
        if (m->limits.only_thread == 0)
            return PIKOS_HOOK_EVERY_THREAD;
        needed = 1;
    }
    return needed ? PIKOS_HOOK_THIS_THREAD : PIKOS_HOOK_NOWHERE;
}

/* The verdict bits of the line monitors' focuses when every monitor that
   takes line events is one (see line_outside_focus), else 0. */
static uint64_t line_focus_bits(void)
{
    uint64_t bits = 0;

    for (size_t i = 0; i < active.count; i++) {
        const struct active_monitor *m = &active.items[i];
        if (!(m->hook_mask & PIKOS_EVENT_BIT(PIKOS_EVENT_LINE)))
            continue;
        if (m->limit != LIMIT_FRAMES)
            return 0;
        bits |= m->limits.focus_bit;
    }
    return bits;
}

/* Makes the CPython callbacks match the active monitors.  Monitoring every
   thread runs Python code (threads.c), which neither this thread's
   monitors see nor the program's pending exception notices. */
static int hooks_sync(const char *owner, struct pikos_error *err)
{
    int was_dispatching = dispatching;
    struct saved_exception saved;
    int rc;

    active.event_mask = 0;
    active.want_time = 0;
    active.all_focused = active.count > 0;
    for (size_t i = 0; i < active.count; i++) {
        const struct active_monitor *m = &active.items[i];
        active.event_mask |= m->hook_mask;
        if (m->wants_time)
            active.want_time = 1;
        if (m->limit != LIMIT_FRAMES && m->limit != LIMIT_STACK)
            active.all_focused = 0;
    }
    active.line_focus_bits = line_focus_bits();
    dispatching = 1;
    exception_save(&saved);
    /* Through sys.monitoring, threads.c only says which threads' events
       are taken, and the tool's events follow the monitors'. */
    rc = pikos_threads_install(PIKOS_HOOK_PROFILE, profile_callback,
                               scope_of(PROFILE_EVENTS), owner, err);
    if (rc == 0)
        rc = pikos_threads_install(PIKOS_HOOK_TRACE, trace_callback,
                                   scope_of(TRACE_EVENTS), owner, err);
    if (rc == 0 && pikos_hook_uses_monitoring())
        rc = pikos_monitoring_hook_sync(active.event_mask, owner, err);
    exception_restore(&saved);
    dispatching = was_dispatching;
    return rc;
}

/* With no monitor left, drops the array, the cached names and the source
   lines read; not while an event is being dispatched, which still uses
   them.  (Code objects that remember a freed file see that it is stale.) */
static void release_when_idle(void)
{
    if (active.count > 0 || dispatching)
        return;
    name_cache_clear();
    pikos_source_cache_clear();
    free(active.items);
    active.items = NULL;
    active.capacity = 0;
}

static int active_index(const struct pikos_instance *monitor)
{
    for (size_t i = 0; i < active.count; i++)
        if (active.items[i].inst == monitor)
            return (int)i;
    return -1;
}

static int active_reserve(struct pikos_instance *monitor,
                          struct pikos_error *err)
{
    size_t capacity = active.capacity ? active.capacity * 2 : 4;
    struct active_monitor *items;

    if (active.count < active.capacity)
        return 0;
    items = realloc(active.items, capacity * sizeof(*items));
    if (items == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM,
                               "[%s] out of memory while starting to monitor",
                               pikos_instance_name(monitor));
    active.items = items;
    active.capacity = capacity;
    return 0;
}

/* ------------------------------------------------------------ add, remove */

static int active_monitor_init(struct active_monitor *m,
                               struct pikos_instance *monitor,
                               struct pikos_error *err)
{
    int rc;

    *m = (struct active_monitor){
        .inst = monitor,
        .plugin = monitor->plugin,
        .ctx = monitor->ctx,
        .event_mask = monitor->plugin->event_mask & ~PIKOS_EVENTS_ALLOCATION,
        .hook_mask = monitor->plugin->event_mask & ~PIKOS_EVENTS_ALLOCATION,
    };
    if ((rc = pikos_monitor_limits_init(&m->limits, monitor, err)) < 0)
        return rc;
    m->wants_time = pikos_monitor_wants_time(monitor);
    if (m->limits.focus != NULL && !m->limits.focus_frames_only)
        m->hook_mask |= FOCUS_EVENTS;
    if (m->limits.only_thread != 0)
        m->limit = LIMIT_OTHER;
    else if (m->limits.focus != NULL)
        m->limit = m->limits.focus_frames_only ? LIMIT_FRAMES : LIMIT_STACK;
    return 0;
}

/* Takes the monitor at `index` out of the active ones and syncs the hooks
   (which cannot fail when they only lose monitors). */
static void active_remove(int index)
{
    struct active_monitor gone = active.items[index];

    memmove(&active.items[index], &active.items[index + 1],
            (active.count - (size_t)index - 1) * sizeof(active.items[0]));
    active.count--;
    hooks_sync(pikos_instance_name(gone.inst), NULL);
    pikos_monitor_limits_release(&gone.limits, gone.inst);
}

int pikos_hook_add_monitor(struct pikos_instance *monitor,
                           struct pikos_error *err)
{
    const char *name = pikos_instance_name(monitor);
    struct active_monitor m;
    int rc;

    /* Monitors that only take snapshots (external ones) need no events. */
    if (monitor->plugin->on_event == NULL || monitor->plugin->event_mask == 0)
        return 0;
    /* Allocation events come from the allocators (alloc_hook.c). */
    if (monitor->plugin->event_mask & PIKOS_EVENTS_ALLOCATION) {
        if ((rc = pikos_alloc_add_monitor(monitor, err)) < 0)
            return rc;
        if ((monitor->plugin->event_mask & ~PIKOS_EVENTS_ALLOCATION) == 0)
            return 0;
    }
    if (active_index(monitor) >= 0)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "[%s] already receives events", name);
    if ((rc = pikos_fork_watch(err)) < 0 ||
        (rc = pikos_code_cache_reserve(name, err)) < 0 ||
        (rc = active_reserve(monitor, err)) < 0 ||
        (rc = active_monitor_init(&m, monitor, err)) < 0) {
        pikos_alloc_remove_monitor(monitor);
        return rc;
    }
    active.items[active.count++] = m;
    rc = hooks_sync(name, err);
    if (rc < 0) {
        pikos_alloc_remove_monitor(monitor);
        active_remove((int)active.count - 1);
        release_when_idle();
    }
    return rc;
}

void pikos_hook_remove_monitor(struct pikos_instance *monitor)
{
    int index = active_index(monitor);

    pikos_alloc_remove_monitor(monitor);
    if (index < 0)
        return;
    active_remove(index);
    release_when_idle();
}
