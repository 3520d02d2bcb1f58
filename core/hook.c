/*
 * core/hook.c - the only CPython profile/trace hook of pikos.
 *
 * Started monitors are kept in a dense array of active monitors.  The first
 * monitor that wants function events installs a profile callback, the first
 * that wants line events a trace callback; removing the last monitor that
 * needs a callback removes it.  Per event the hook builds a Python-free
 * struct pikos_event on the stack and calls every active monitor that asked
 * for that event.
 *
 * The names of a code object are computed once, the first time one of its
 * frames produces an event, and cached in the code object's co_extra slot
 * until the code object dies.
 *
 * Everything here runs with the GIL held, which serialises it.  The
 * callbacks never raise and never print: what cannot be reported to the
 * program becomes a sticky error of the monitors, reported at stop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The co_extra API was renamed in 3.12 (PEP 689); the old names remain as
   deprecated aliases there, so pick the name of each version. */
#if PY_VERSION_HEX >= 0x030C0000
#define code_extra_request_index PyUnstable_Eval_RequestCodeExtraIndex
#define code_extra_get PyUnstable_Code_GetExtra
#define code_extra_set PyUnstable_Code_SetExtra
#else
#define code_extra_request_index _PyEval_RequestCodeExtraIndex
#define code_extra_get _PyCode_GetExtra
#define code_extra_set _PyCode_SetExtra
#endif

/* Which events each CPython callback delivers. */
#define PROFILE_EVENTS PIKOS_EVENTS_FUNCTION
#define TRACE_EVENTS                                                           \
    (PIKOS_EVENT_BIT(PIKOS_EVENT_LINE) | PIKOS_EVENT_BIT(PIKOS_EVENT_EXCEPTION))

/* Non-builtin callables whose names are kept (see callable_name). */
#define NAME_CACHE_SIZE 8

struct active_monitor {
    struct pikos_instance *inst;
    const struct pikos_plugin *plugin;
    void *ctx;
    uint32_t event_mask;
};

static struct {
    struct active_monitor *items;
    size_t count;
    size_t capacity;
    uint32_t event_mask; /* union of the active monitors' masks */
    int want_time;       /* some active monitor wants timestamps */
    int profile_installed;
    int trace_installed;
} active;

/* Set while this thread dispatches an event, so that Python code run by a
   plugin does not recurse into the dispatch.  CPython already suspends its
   hooks while calling one; this also covers a callback reached any other
   way. */
static _Thread_local int dispatching
    __attribute__((tls_model("initial-exec"))); /* no __tls_get_addr call */

/* Our co_extra slot; -1 until reserved in the running interpreter. */
static Py_ssize_t code_extra_index = -1;

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

/* The UTF-8 text of a str, kept valid by `owner`. */
struct utf8_view {
    PyObject *owner;
    const char *text;
    Py_ssize_t len;
};

/* The UTF-8 text of the str attribute `attr` of `obj`.  A str that is not
   valid UTF-8 (lone surrogates in a file name) is escaped with
   backslashes.  Returns 0, or -1 with a Python exception set or not. */
static int utf8_view_of_attr(PyObject *obj, const char *attr,
                             struct utf8_view *view)
{
    PyObject *value = PyObject_GetAttrString(obj, attr);

    view->owner = NULL;
    if (value == NULL || !PyUnicode_Check(value)) {
        Py_XDECREF(value);
        return -1;
    }
    view->text = PyUnicode_AsUTF8AndSize(value, &view->len);
    if (view->text != NULL) {
        view->owner = value;
        return 0;
    }
    PyErr_Clear();
    view->owner = PyUnicode_AsEncodedString(value, "utf-8", "backslashreplace");
    Py_DECREF(value);
    if (view->owner == NULL)
        return -1;
    view->text = PyBytes_AS_STRING(view->owner);
    view->len = PyBytes_GET_SIZE(view->owner);
    return 0;
}

static void utf8_view_release(struct utf8_view *view)
{
    Py_CLEAR(view->owner);
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

/* ------------------------------------------------------------ code cache */

static char *copy_text(char *dest, const struct utf8_view *view)
{
    memcpy(dest, view->text, (size_t)view->len);
    dest[view->len] = '\0';
    return dest + view->len + 1;
}

/*
 * The cached names of one code object: one allocation holding the entry
 * and then its three strings.  Entries are also linked in a list, because
 * CPython does not call the co_extra free function for every code object:
 * the deep-frozen code of the standard library is never deallocated (3.11
 * and 3.12 drop its co_extra without a call).  Whatever is left in the
 * list when the interpreter is finalized is freed then.
 */
struct code_entry {
    struct pikos_code code; /* first: co_extra points here */
    struct code_entry *prev;
    struct code_entry *next;
    void *source; /* see pikos_code_source_slot */
};

void **pikos_code_source_slot(const struct pikos_code *code)
{
    /* Every struct pikos_code the hook hands out is the first member of a
       struct code_entry. */
    return &((struct code_entry *)code)->source;
}

static struct code_entry *code_entries;

static struct code_entry *code_entry_pack(const struct utf8_view *name,
                                          const struct utf8_view *qualname,
                                          const struct utf8_view *filename)
{
    size_t text_size = (size_t)(name->len + qualname->len + filename->len) + 3;
    struct code_entry *entry = malloc(sizeof(*entry) + text_size);
    char *text;

    if (entry == NULL)
        return NULL;
    text = (char *)(entry + 1);
    entry->code.name = text;
    entry->code.name_len = (size_t)name->len;
    text = copy_text(text, name);
    entry->code.qualname = text;
    entry->code.qualname_len = (size_t)qualname->len;
    text = copy_text(text, qualname);
    entry->code.filename = text;
    entry->code.filename_len = (size_t)filename->len;
    copy_text(text, filename);
    entry->source = NULL;
    return entry;
}

static void code_entry_link(struct code_entry *entry)
{
    entry->prev = NULL;
    entry->next = code_entries;
    if (code_entries != NULL)
        code_entries->prev = entry;
    code_entries = entry;
}

static void code_entry_unlink(struct code_entry *entry)
{
    if (entry->prev != NULL)
        entry->prev->next = entry->next;
    else
        code_entries = entry->next;
    if (entry->next != NULL)
        entry->next->prev = entry->prev;
}

/* The names of a code object, freshly allocated, or NULL (a Python
   exception may be left set). */
static struct code_entry *code_entry_new(PyObject *code)
{
    struct utf8_view name = {0}, qualname = {0}, filename = {0};
    struct code_entry *entry = NULL;
    PyObject *firstlineno = PyObject_GetAttrString(code, "co_firstlineno");

    if (firstlineno != NULL && utf8_view_of_attr(code, "co_name", &name) == 0 &&
        utf8_view_of_attr(code, "co_qualname", &qualname) == 0 &&
        utf8_view_of_attr(code, "co_filename", &filename) == 0)
        entry = code_entry_pack(&name, &qualname, &filename);
    if (entry != NULL) {
        entry->code.firstlineno = (int)PyLong_AsLong(firstlineno);
        entry->code.id = (uintptr_t)code;
    }
    Py_XDECREF(firstlineno);
    utf8_view_release(&name);
    utf8_view_release(&qualname);
    utf8_view_release(&filename);
    return entry;
}

/* Called by CPython when a code object that carries our data dies. */
static void code_entry_free(void *extra)
{
    struct code_entry *entry = extra;

    code_entry_unlink(entry);
    free(entry);
}

/* Computes and caches the names of a code object seen for the first time.
   Attribute lookups may raise: the program's own pending exception (if
   any) is put aside meanwhile and ours is dropped. */
static const struct pikos_code *code_info_create(PyObject *code)
{
    struct saved_exception saved;
    struct code_entry *entry;

    exception_save(&saved);
    entry = code_entry_new(code);
    if (entry != NULL && code_extra_set(code, code_extra_index, entry) < 0) {
        free(entry);
        entry = NULL;
    }
    exception_restore(&saved);
    if (entry == NULL)
        return NULL;
    code_entry_link(entry);
    return &entry->code;
}

static const struct pikos_code *code_info(PyCodeObject *code)
{
    void *extra = NULL;

    code_extra_get((PyObject *)code, code_extra_index, &extra);
    if (extra != NULL)
        return extra;
    return code_info_create((PyObject *)code);
}

/* Runs at the very end of Py_FinalizeEx, when no code object is used any
   more: frees the entries CPython did not, and forgets our slot, which a
   later Py_Initialize's new interpreter must reserve again. */
static void code_cache_at_exit(void)
{
    while (code_entries != NULL)
        code_entry_free(code_entries);
    code_extra_index = -1;
}

static int code_extra_reserve(struct pikos_instance *monitor,
                              struct pikos_error *err)
{
    if (code_extra_index >= 0)
        return 0;
    code_extra_index = code_extra_request_index(code_entry_free);
    if (code_extra_index < 0)
        return pikos_error_set(err, PIKOS_EPYTHON,
                               "[%s] cannot monitor: every co_extra slot of "
                               "this Python interpreter is taken by other "
                               "tools",
                               pikos_instance_name(monitor));
    /* Only fails when Py_AtExit is full: then the entries of code objects
       that never die stay allocated until the process exits. */
    Py_AtExit(code_cache_at_exit);
    return 0;
}

/* ------------------------------------------------------------ C callables */

/* Names of callables that are not builtins (CPython reports builtins only,
   but a hook must not trust that).  Each entry holds its callable, so the
   identity cannot be reused, and the name, so the pointer stays valid. */
struct cached_name {
    PyObject *callable;
    struct utf8_view name;
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
    utf8_view_release(&entry->name);
}

/* Looks up callable.__name__ and keeps it, evicting the oldest entry. */
static const struct cached_name *name_cache_add(PyObject *callable)
{
    struct cached_name *slot = &name_cache[name_cache_next];
    struct utf8_view name;

    if (utf8_view_of_attr(callable, "__name__", &name) < 0)
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

/* ------------------------------------------------------------ dispatch */

static int is_c_event(uint32_t type)
{
    return type == PIKOS_EVENT_C_CALL || type == PIKOS_EVENT_C_RETURN ||
           type == PIKOS_EVENT_C_EXCEPTION;
}

static void deliver(PyFrameObject *frame, const struct pikos_code *code,
                    uint32_t type, PyObject *arg)
{
    struct pikos_event ev = {
        .type = type,
        .code = code,
        .function = code->name,
        .function_len = code->name_len,
        .function_id = code->id,
        .lineno = PyFrame_GetLineNumber(frame),
        .thread_id = PyThread_get_thread_ident(),
        .time_ns = active.want_time ? pikos_host_table.clock_ns() : 0,
    };

    if (is_c_event(type))
        event_set_callable(&ev, arg);
    /* Indexing (not a saved pointer) keeps this right if a plugin running
       Python code adds or removes monitors meanwhile. */
    for (size_t i = 0; i < active.count; i++) {
        const struct active_monitor *m = &active.items[i];
        if (m->event_mask & PIKOS_EVENT_BIT(type))
            m->plugin->on_event(m->inst, m->ctx, &ev);
    }
}

static void release_when_idle(void);

static void dispatch(PyFrameObject *frame, uint32_t type, PyObject *arg)
{
    PyCodeObject *code = PyFrame_GetCode(frame);
    const struct pikos_code *info;

    dispatching = 1;
    info = code_info(code);
    if (info != NULL)
        deliver(frame, info, type, arg);
    else
        report_to_monitors(PIKOS_ENOMEM,
                           "events were lost: could not cache the names of "
                           "a code object (out of memory?)");
    Py_DECREF(code);
    dispatching = 0;
    if (active.count == 0)
        release_when_idle(); /* a plugin removed the last monitor */
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

static int profile_callback(PyObject *obj, PyFrameObject *frame, int what,
                            PyObject *arg)
{
    int type = event_type(what);

    if (wanted(type, PROFILE_EVENTS))
        dispatch(frame, (uint32_t)type, arg);
    return 0;
}

static int trace_callback(PyObject *obj, PyFrameObject *frame, int what,
                          PyObject *arg)
{
    int type = event_type(what);

    if (wanted(type, TRACE_EVENTS))
        dispatch(frame, (uint32_t)type, arg);
    return 0;
}

/* ------------------------------------------------------------ installing */

/*
 * Makes the current thread's CPython hooks match the active monitors.
 * Monitoring follows the thread that starts it; monitoring every thread
 * will apply the same to each thread state.
 */
static void hooks_apply_current_thread(int profile, int trace)
{
    if (profile != active.profile_installed) {
        PyEval_SetProfile(profile ? profile_callback : NULL, NULL);
        active.profile_installed = profile;
    }
    if (trace != active.trace_installed) {
        PyEval_SetTrace(trace ? trace_callback : NULL, NULL);
        active.trace_installed = trace;
    }
}

static void hooks_sync(void)
{
    active.event_mask = 0;
    active.want_time = 0;
    for (size_t i = 0; i < active.count; i++) {
        active.event_mask |= active.items[i].event_mask;
        if (active.items[i].plugin->monitor_flags & PIKOS_MONITOR_WANTS_TIME)
            active.want_time = 1;
    }
    hooks_apply_current_thread((active.event_mask & PROFILE_EVENTS) != 0,
                               (active.event_mask & TRACE_EVENTS) != 0);
}

/* With no monitor left, drops the array and the cached names; not while an
   event is being dispatched, which still uses them. */
static void release_when_idle(void)
{
    if (active.count > 0 || dispatching)
        return;
    name_cache_clear();
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

int pikos_hook_add_monitor(struct pikos_instance *monitor,
                           struct pikos_error *err)
{
    const struct pikos_plugin *plugin = monitor->plugin;
    int rc;

    /* Monitors that only take snapshots (external ones) need no events. */
    if (plugin->on_event == NULL || plugin->event_mask == 0)
        return 0;
    if (active_index(monitor) >= 0)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "[%s] already receives events",
                               pikos_instance_name(monitor));
    if ((rc = code_extra_reserve(monitor, err)) < 0 ||
        (rc = active_reserve(monitor, err)) < 0)
        return rc;
    active.items[active.count++] = (struct active_monitor){
        .inst = monitor,
        .plugin = plugin,
        .ctx = monitor->ctx,
        .event_mask = plugin->event_mask,
    };
    hooks_sync();
    return 0;
}

void pikos_hook_remove_monitor(struct pikos_instance *monitor)
{
    int index = active_index(monitor);

    if (index < 0)
        return;
    memmove(&active.items[index], &active.items[index + 1],
            (active.count - (size_t)index - 1) * sizeof(active.items[0]));
    active.count--;
    hooks_sync();
    release_when_idle();
}
