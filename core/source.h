/*
 * core/source.h - what source.c asks of source_read.c.
 */
#ifndef PIKOS_SOURCE_H
#define PIKOS_SOURCE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"
#include "py_attr.h"

/* The lines linecache.getlines(filename, globals) would give (a new
   list), read without importing linecache; NULL with a Python exception
   only when memory ran out. */
PyObject *pikos_source_read_lines(PyObject *filename,
                                  PyObject *globals) PIKOS_HIDDEN;

#endif /* PIKOS_SOURCE_H */
