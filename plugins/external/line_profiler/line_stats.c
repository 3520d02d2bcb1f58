/*
 * plugins/external/line_profiler/line_stats.c - line_profiler's counters
 * summed per line (line_stats.h).  Runs once per snapshot, never per
 * event, so it works with plain Python objects.
 *
 * What line_profiler 4.0 exposes: `code_hash_map`, {code: [hash, ...]}
 * (the hashes it files that code's lines under), and `c_code_map`,
 * {hash: {lineno: {"nhits": int, "total_time": int, ...}}}.
 */
#include "line_stats.h"

/* Adds one entry's hits and time to totals[lineno], a tuple
   (lineno, hits, time). */
static int add_entry(PyObject *totals, PyObject *lineno, PyObject *entry)
{
    PyObject *hits = PyMapping_GetItemString(entry, "nhits");
    PyObject *time = hits ? PyMapping_GetItemString(entry, "total_time") : NULL;
    PyObject *before = time ? PyDict_GetItemWithError(totals, lineno) : NULL;
    PyObject *sum_hits = NULL, *sum_time = NULL, *row = NULL;
    int rc = -1;

    if (time == NULL || (before == NULL && PyErr_Occurred()))
        goto done;
    if (before == NULL) {
        sum_hits = Py_NewRef(hits);
        sum_time = Py_NewRef(time);
    } else {
        sum_hits = PyNumber_Add(PyTuple_GET_ITEM(before, 1), hits);
        sum_time =
            sum_hits ? PyNumber_Add(PyTuple_GET_ITEM(before, 2), time) : NULL;
    }
    if (sum_time != NULL)
        row = PyTuple_Pack(3, lineno, sum_hits, sum_time);
    if (row != NULL)
        rc = PyDict_SetItem(totals, lineno, row);
done:
    Py_XDECREF(hits);
    Py_XDECREF(time);
    Py_XDECREF(sum_hits);
    Py_XDECREF(sum_time);
    Py_XDECREF(row);
    return rc;
}

/* Adds every line of one hash's table ({lineno: entry}) to totals. */
static int add_bucket(PyObject *totals, PyObject *c_map, PyObject *hash)
{
    PyObject *bucket = PyDict_GetItemWithError(c_map, hash);
    PyObject *lineno, *entry;
    Py_ssize_t pos = 0;

    if (bucket == NULL)
        return PyErr_Occurred() ? -1 : 0; /* nothing filed there yet */
    if (!PyDict_Check(bucket)) {
        PyErr_SetString(PyExc_TypeError, "line_profiler's c_code_map holds "
                                         "something else than dicts");
        return -1;
    }
    while (PyDict_Next(bucket, &pos, &lineno, &entry))
        if (add_entry(totals, lineno, entry) < 0)
            return -1;
    return 0;
}

/* The sorted (lineno, hits, time) of one code object's lines. */
static PyObject *code_lines(PyObject *c_map, PyObject *hashes)
{
    PyObject *totals = PyDict_New();
    PyObject *seq = totals ? PySequence_Fast(hashes, "hashes") : NULL;
    PyObject *lines = NULL;

    if (seq != NULL) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), i;

        for (i = 0; i < n; i++)
            if (add_bucket(totals, c_map, PySequence_Fast_GET_ITEM(seq, i)) < 0)
                break;
        if (i == n)
            lines = PyDict_Values(totals);
    }
    if (lines != NULL && PyList_Sort(lines) < 0)
        Py_CLEAR(lines);
    Py_XDECREF(seq);
    Py_XDECREF(totals);
    return lines;
}

/* line_profiler's label of a code object: (filename, first line, name). */
static PyObject *code_label(PyObject *code)
{
    PyObject *filename = PyObject_GetAttrString(code, "co_filename");
    PyObject *first =
        filename ? PyObject_GetAttrString(code, "co_firstlineno") : NULL;
    PyObject *name = first ? PyObject_GetAttrString(code, "co_name") : NULL;
    PyObject *label = name ? PyTuple_Pack(3, filename, first, name) : NULL;

    Py_XDECREF(filename);
    Py_XDECREF(first);
    Py_XDECREF(name);
    return label;
}

/* (label, order, code, lines): `order` keeps sorting from ever comparing
   two code objects when two functions share a label. */
static PyObject *collect_one(PyObject *c_map, PyObject *code, PyObject *hashes,
                             Py_ssize_t order)
{
    PyObject *label = code_label(code);
    PyObject *lines = label ? code_lines(c_map, hashes) : NULL;

    if (lines == NULL) {
        Py_XDECREF(label);
        return NULL;
    }
    return Py_BuildValue("(NnON)", label, order, code, lines);
}

PyObject *line_stats_collect(PyObject *profiler)
{
    PyObject *c_map = PyObject_GetAttrString(profiler, "c_code_map");
    PyObject *hash_map =
        c_map ? PyObject_GetAttrString(profiler, "code_hash_map") : NULL;
    PyObject *collected = hash_map ? PyList_New(0) : NULL;
    PyObject *code, *hashes;
    Py_ssize_t pos = 0, order = 0;

    while (collected != NULL && PyDict_Check(hash_map) &&
           PyDict_Next(hash_map, &pos, &code, &hashes)) {
        PyObject *one = collect_one(c_map, code, hashes, order++);

        if (one == NULL || PyList_Append(collected, one) < 0)
            Py_CLEAR(collected);
        Py_XDECREF(one);
    }
    if (collected != NULL && PyList_Sort(collected) < 0)
        Py_CLEAR(collected);
    Py_XDECREF(c_map);
    Py_XDECREF(hash_map);
    return collected;
}

PyObject *line_stats_timings(PyObject *collected)
{
    PyObject *timings = PyDict_New();

    for (Py_ssize_t i = 0; timings && i < PyList_GET_SIZE(collected); i++) {
        PyObject *one = PyList_GET_ITEM(collected, i);

        if (PyDict_SetItem(timings, PyTuple_GET_ITEM(one, 0),
                           PyTuple_GET_ITEM(one, 3)) < 0)
            Py_CLEAR(timings);
    }
    return timings;
}

PyObject *line_stats_lprof(PyObject *collected, PyObject *unit)
{
    PyObject *module = PyImport_ImportModule("line_profiler._line_profiler");
    PyObject *pickle = module ? PyImport_ImportModule("pickle") : NULL;
    PyObject *timings = pickle ? line_stats_timings(collected) : NULL;
    PyObject *stats =
        timings ? PyObject_CallMethod(module, "LineStats", "OO", timings, unit)
                : NULL;
    PyObject *data =
        stats ? PyObject_CallMethod(pickle, "dumps", "Oi", stats, 4) : NULL;

    Py_XDECREF(module);
    Py_XDECREF(pickle);
    Py_XDECREF(timings);
    Py_XDECREF(stats);
    return data;
}

/* The source text of a line, trailing whitespace removed, or
   "<compiled string>" where linecache has none (as the host's). */
static PyObject *line_text(PyObject *getline, PyObject *filename,
                           PyObject *lineno)
{
    PyObject *raw =
        PyObject_CallFunctionObjArgs(getline, filename, lineno, NULL);
    PyObject *text = raw ? PyObject_CallMethod(raw, "rstrip", NULL) : NULL;

    Py_XDECREF(raw);
    if (text != NULL && PyUnicode_Check(text) &&
        PyUnicode_GET_LENGTH(text) == 0) {
        Py_DECREF(text);
        text = PyUnicode_FromString("<compiled string>");
    }
    return text;
}

/* One row per line of one function, appended to rows. */
static int function_rows(PyObject *rows, PyObject *one, double unit,
                         PyObject *getline)
{
    PyObject *filename = PyTuple_GET_ITEM(PyTuple_GET_ITEM(one, 0), 0);
    PyObject *lines = PyTuple_GET_ITEM(one, 3);
    PyObject *function =
        PyObject_GetAttrString(PyTuple_GET_ITEM(one, 2), "co_qualname");
    int rc = function ? 0 : -1;

    for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(lines); i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        PyObject *lineno = PyTuple_GET_ITEM(line, 0);
        double units = PyFloat_AsDouble(PyTuple_GET_ITEM(line, 2));
        PyObject *text = units == -1.0 && PyErr_Occurred()
                             ? NULL
                             : line_text(getline, filename, lineno);
        PyObject *row =
            text ? Py_BuildValue("(OOOOdN)", filename, function, lineno,
                                 PyTuple_GET_ITEM(line, 1), units * unit, text)
                 : NULL;

        rc = row != NULL ? PyList_Append(rows, row) : -1;
        Py_XDECREF(row);
    }
    Py_XDECREF(function);
    return rc;
}

PyObject *line_stats_rows(PyObject *collected, double unit, PyObject *getline)
{
    PyObject *rows = PyList_New(0);

    for (Py_ssize_t i = 0; rows && i < PyList_GET_SIZE(collected); i++)
        if (function_rows(rows, PyList_GET_ITEM(collected, i), unit, getline) <
            0)
            Py_CLEAR(rows);
    return rows;
}
