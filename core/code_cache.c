/*
 * core/code_cache.c - the names of each code object, computed once.
 *
 * The first time one of its frames produces an event, a code object's
 * co_name, co_qualname and co_filename are copied as UTF-8 into one
 * allocation, which the code object's co_extra slot points to until the
 * code object dies.  Entries are also linked in a list, because CPython
 * does not call the co_extra free function for every code object: the
 * deep-frozen code of the standard library is never deallocated (3.11 and
 * 3.12 drop its co_extra without a call).  Whatever is left in the list
 * when the interpreter is finalized is freed then.
 *
 * A miss (a code object seen for the first time) is also when threads.c
 * looks whether the program has imported `threading` since monitoring
 * started (pikos_threads_hook_pending).
 *
 * Everything here runs with the GIL held.
 */
#include "code_cache.h"
#include "allocations.h"
#include "threads.h"

#include <stdlib.h>
#include <string.h>

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

/* Our co_extra slot; -1 until reserved in the running interpreter. */
static Py_ssize_t code_extra_index = -1;

static struct pikos_code_entry *code_entries;

struct pikos_recent_code pikos_last_code;
struct pikos_recent_code pikos_recent_codes[PIKOS_RECENT_CODES];

/* ------------------------------------------------------------ UTF-8 */

int pikos_utf8_view_of_attr(PyObject *obj, const char *attr,
                            struct pikos_utf8_view *view)
{
    PyObject *value = pikos_py_attr(obj, attr);

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

void pikos_utf8_view_release(struct pikos_utf8_view *view)
{
    Py_CLEAR(view->owner);
}

/* ------------------------------------------------------------ entries */

void **pikos_code_source_slot(const struct pikos_code *code)
{
    /* Every struct pikos_code the hook hands out is the first member of a
       struct pikos_code_entry. */
    return &((struct pikos_code_entry *)code)->source;
}

static char *copy_text(char *dest, const struct pikos_utf8_view *view)
{
    memcpy(dest, view->text, (size_t)view->len);
    dest[view->len] = '\0';
    return dest + view->len + 1;
}

/* One allocation: the entry, then its three strings. */
static struct pikos_code_entry *
entry_pack(const struct pikos_utf8_view *name,
           const struct pikos_utf8_view *qualname,
           const struct pikos_utf8_view *filename)
{
    size_t text_size = (size_t)(name->len + qualname->len + filename->len) + 3;
    struct pikos_code_entry *entry = calloc(1, sizeof(*entry) + text_size);
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
    return entry;
}

static void entry_link(struct pikos_code_entry *entry)
{
    entry->prev = NULL;
    entry->next = code_entries;
    if (code_entries != NULL)
        code_entries->prev = entry;
    code_entries = entry;
}

static void entry_unlink(struct pikos_code_entry *entry)
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
static struct pikos_code_entry *entry_new(PyObject *code)
{
    struct pikos_utf8_view name = {0}, qualname = {0}, filename = {0};
    struct pikos_code_entry *entry = NULL;
    PyObject *firstlineno = pikos_py_attr(code, "co_firstlineno");

    if (firstlineno != NULL &&
        pikos_utf8_view_of_attr(code, "co_name", &name) == 0 &&
        pikos_utf8_view_of_attr(code, "co_qualname", &qualname) == 0 &&
        pikos_utf8_view_of_attr(code, "co_filename", &filename) == 0)
        entry = entry_pack(&name, &qualname, &filename);
    if (entry != NULL) {
        entry->code.firstlineno = (int)PyLong_AsLong(firstlineno);
        entry->code.id = (uintptr_t)code;
    }
    Py_XDECREF(firstlineno);
    pikos_utf8_view_release(&name);
    pikos_utf8_view_release(&qualname);
    pikos_utf8_view_release(&filename);
    return entry;
}

/* ------------------------------------------------------------ lines */

/* Sets the lines of instructions [start, end) (byte offsets) to `line`,
   growing the table; -1 when out of memory. */
static int lines_set(struct pikos_code_entry *entry, long start, long end,
                     int32_t line)
{
    size_t from = (size_t)start / 2, to = (size_t)end / 2;

    if (to > entry->nlines) {
        int32_t *grown = realloc(entry->lines, to * sizeof(*grown));
        if (grown == NULL)
            return -1;
        for (size_t i = entry->nlines; i < to; i++)
            grown[i] = -1;
        entry->lines = grown;
        entry->nlines = to;
    }
    for (size_t i = from; i < to; i++)
        entry->lines[i] = line;
    return 0;
}

/* One (start, end, line) of co_lines(); -1 when it is not one. */
static int lines_add(struct pikos_code_entry *entry, PyObject *item)
{
    long start, end, line = -1;

    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3)
        return -1;
    start = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    end = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
    if (PyTuple_GET_ITEM(item, 2) != Py_None)
        line = PyLong_AsLong(PyTuple_GET_ITEM(item, 2));
    if (PyErr_Occurred() || start < 0 || end < start)
        return -1;
    return lines_set(entry, start, end, (int32_t)line);
}

int pikos_code_lines_fill(struct pikos_code_entry *entry, PyCodeObject *code)
{
    PyObject *type, *value, *traceback, *method, *lines, *item;
    int rc = 0;

    PyErr_Fetch(&type, &value, &traceback);
    method = pikos_py_attr((PyObject *)code, "co_lines");
    lines = method != NULL ? PyObject_CallNoArgs(method) : NULL;
    Py_XDECREF(method);
    while (lines != NULL && rc == 0 && (item = PyIter_Next(lines)) != NULL) {
        rc = lines_add(entry, item);
        Py_DECREF(item);
    }
    if (lines == NULL || rc < 0 || PyErr_Occurred()) {
        free(entry->lines); /* asked of the line table each time */
        entry->lines = NULL;
        entry->nlines = 0;
        rc = -1;
    }
    Py_XDECREF(lines);
    PyErr_Restore(type, value, traceback); /* ours, if any, is dropped */
    return rc;
}

/* Called by CPython when a code object that carries our data dies. */
static void entry_free(void *extra)
{
    struct pikos_code_entry *entry = extra;

    if (pikos_last_code.entry == entry)
        pikos_last_code = (struct pikos_recent_code){0};
    for (size_t i = 0; i < PIKOS_RECENT_CODES; i++)
        if (pikos_recent_codes[i].entry == entry)
            pikos_recent_codes[i] = (struct pikos_recent_code){0};
    entry_unlink(entry);
    free(entry->lines);
    free(entry);
}

/* Computes and caches the names of a code object seen for the first time.
   Attribute lookups may raise: the program's own pending exception (if
   any) is put aside meanwhile and ours is dropped. */
static struct pikos_code_entry *entry_create(PyObject *code)
{
    PyObject *type, *value, *traceback;
    struct pikos_code_entry *entry;

    PyErr_Fetch(&type, &value, &traceback);
    pikos_alloc_quiet++; /* pikos's own: no allocation event */
    entry = entry_new(code);
    if (entry != NULL && code_extra_set(code, code_extra_index, entry) < 0) {
        free(entry);
        entry = NULL;
    }
    pikos_alloc_quiet--;
    PyErr_Restore(type, value, traceback);
    if (entry != NULL)
        entry_link(entry);
    return entry;
}

struct pikos_code_entry *pikos_code_entry_lookup(PyCodeObject *code)
{
    void *extra = NULL;
    struct pikos_code_entry *entry;

    code_extra_get((PyObject *)code, code_extra_index, &extra);
    if (extra != NULL) {
        entry = extra;
    } else {
        pikos_threads_hook_pending();
        entry = entry_create((PyObject *)code);
    }
    if (entry != NULL) {
        pikos_last_code = (struct pikos_recent_code){code, entry};
        *pikos_recent_slot(code) = pikos_last_code;
    }
    return entry;
}

void pikos_code_cache_forget_focus(uint64_t bits)
{
    for (struct pikos_code_entry *e = code_entries; e != NULL; e = e->next) {
        e->focus_known &= ~bits;
        e->focus_match &= ~bits;
    }
}

/* ------------------------------------------------------------ lifetime */

/* Runs at the very end of Py_FinalizeEx, when no code object is used any
   more: frees the entries CPython did not, and forgets our slot, which a
   later Py_Initialize's new interpreter must reserve again. */
static void code_cache_at_exit(void)
{
    while (code_entries != NULL)
        entry_free(code_entries);
    code_extra_index = -1;
}

int pikos_code_cache_reserve(const char *owner, struct pikos_error *err)
{
    if (code_extra_index >= 0)
        return 0;
    code_extra_index = code_extra_request_index(entry_free);
    if (code_extra_index < 0)
        return pikos_error_set(err, PIKOS_EPYTHON,
                               "[%s] cannot monitor: every co_extra slot of "
                               "this Python interpreter is taken by other "
                               "tools",
                               owner);
    /* Only fails when Py_AtExit is full: then the entries of code objects
       that never die stay allocated until the process exits. */
    Py_AtExit(code_cache_at_exit);
    return 0;
}
