/*
 * plugins/external/line_profiler/code_set.h - the code objects the plugin
 * has already looked at: the per-call test "seen before?" is one probe of
 * an open-addressing table keyed by the code object's address.
 *
 * The set holds a reference to each code object, so an address can never
 * be reused by another code object while it is in the set (the verdict
 * kept for it stays true).  Needs the GIL to add or clear.
 */
#ifndef PIKOS_LINE_PROFILER_CODE_SET_H
#define PIKOS_LINE_PROFILER_CODE_SET_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

struct code_set {
    size_t capacity; /* a power of two, or 0 */
    size_t count;
    PyObject **slots; /* NULL: empty */
};

/* Whether the code object at address `id` is in the set. */
int code_set_contains(const struct code_set *set, uintptr_t id);

/* Adds `code`, taking a new reference; 0 or PIKOS_ENOMEM. */
int code_set_add(struct code_set *set, PyObject *code);

/* Empties the set, dropping its references. */
void code_set_clear(struct code_set *set);

#endif
