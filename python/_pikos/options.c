/*
 * python/_pikos/options.c - a dict of option values as the text
 * settings the core validates (struct pikos_option_setting).
 *
 *   str              as it is
 *   bool             "true" / "false" (tested before int: True is an int)
 *   int              decimal
 *   float            repr(), "0.1" or "1e-05"
 *   list/tuple of str  the items joined with ';', the core's list separator
 *   None             left out: the plugin's default applies
 *
 * Whether a text suits the option (an int for an int option, a known
 * option at all) is the core's to say: it knows the plugin's manifest.
 */
#include "ext.h" /* Python.h first, as Python asks */

#include <string.h>

#define LIST_SEPARATOR ';'

static PyObject *float_text(PyObject *value)
{
    double d = PyFloat_AsDouble(value);
    char *text;
    PyObject *result;

    if (d == -1.0 && PyErr_Occurred())
        return NULL;
    text = PyOS_double_to_string(d, 'r', 0, 0, NULL);
    if (text == NULL)
        return PyErr_NoMemory();
    result = PyUnicode_FromString(text);
    PyMem_Free(text);
    return result;
}

/* An int subclass (an IntEnum) may print itself as a name: use its value. */
static PyObject *int_text(PyObject *value)
{
    PyObject *number = PyNumber_Index(value);
    PyObject *text = number != NULL ? PyObject_Str(number) : NULL;

    Py_XDECREF(number);
    return text;
}

static PyObject *list_text(const char *plugin, PyObject *key, PyObject *value)
{
    PyObject *items = PySequence_Fast(value, "a list");
    PyObject *separator, *text = NULL;

    if (items == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i);
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError,
                         "[%s] option '%U' takes a list of str, but item %zd "
                         "is %.100s",
                         plugin, key, i, Py_TYPE(item)->tp_name);
            goto done;
        }
        if (PyUnicode_FindChar(item, LIST_SEPARATOR, 0, PY_SSIZE_T_MAX, 1) !=
            -1) {
            PyErr_Format(PyExc_ValueError,
                         "[%s] option '%U': item %R holds ';', which "
                         "separates the items of a list",
                         plugin, key, item);
            goto done;
        }
    }
    separator = PyUnicode_FromOrdinal(LIST_SEPARATOR);
    if (separator != NULL)
        text = PyUnicode_Join(separator, items);
    Py_XDECREF(separator);
done:
    Py_DECREF(items);
    return text;
}

/* The text of one option value (a new reference), or NULL with TypeError
   or ValueError naming the plugin and the option. */
static PyObject *option_text(const char *plugin, PyObject *key, PyObject *value)
{
    if (PyUnicode_Check(value))
        return Py_NewRef(value);
    if (PyBool_Check(value))
        return PyUnicode_FromString(value == Py_True ? "true" : "false");
    if (PyLong_Check(value))
        return int_text(value);
    if (PyFloat_Check(value))
        return float_text(value);
    if (PyList_Check(value) || PyTuple_Check(value))
        return list_text(plugin, key, value);
    PyErr_Format(PyExc_TypeError,
                 "[%s] option '%U' takes a str, int, float, bool or list of "
                 "str, not %.100s",
                 plugin, key, Py_TYPE(value)->tp_name);
    return NULL;
}

/* The UTF-8 of a key or value text, kept alive by `keep`; NULL with
   ValueError when it holds a NUL (C would cut it there). */
static const char *kept_utf8(PyObject *keep, PyObject *text, const char *plugin,
                             PyObject *key)
{
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);

    if (utf8 == NULL || PyList_Append(keep, text) < 0)
        return NULL;
    if (strlen(utf8) != (size_t)size) {
        PyErr_Format(PyExc_ValueError, "[%s] option '%U' holds a NUL character",
                     plugin, key);
        return NULL;
    }
    return utf8;
}

/* Adds one (key, value) pair of the dict's items to the settings. */
static int add_setting(struct pikos_ext_settings *settings, const char *plugin,
                       PyObject *pair)
{
    PyObject *key = PyTuple_GET_ITEM(pair, 0),
             *value = PyTuple_GET_ITEM(pair, 1);
    struct pikos_option_setting *s = &settings->items[settings->count];
    PyObject *text;

    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "[%s] option names are str, not %.100s",
                     plugin, Py_TYPE(key)->tp_name);
        return -1;
    }
    if (value == Py_None)
        return 0;
    text = option_text(plugin, key, value);
    if (text == NULL)
        return -1;
    s->key = kept_utf8(settings->keep, key, plugin, key);
    s->value =
        s->key != NULL ? kept_utf8(settings->keep, text, plugin, key) : NULL;
    Py_DECREF(text);
    if (s->value == NULL)
        return -1;
    settings->count++;
    return 0;
}

int pikos_ext_settings_from(struct pikos_ext_settings *settings,
                            const char *plugin, PyObject *options)
{
    PyObject *pairs;
    Py_ssize_t n;

    memset(settings, 0, sizeof(*settings));
    if (options == Py_None)
        return 0;
    if (!PyDict_Check(options)) {
        PyErr_Format(PyExc_TypeError, "[%s] options must be a dict, not %.100s",
                     plugin, Py_TYPE(options)->tp_name);
        return -1;
    }
    /* A list of (key, value) pairs holds every object while texts are made
       (no Python code can change what is being read). */
    pairs = PyDict_Items(options);
    settings->keep = PyList_New(0);
    n = pairs != NULL ? PyList_GET_SIZE(pairs) : 0;
    settings->items = PyMem_Calloc((size_t)n + 1, sizeof(*settings->items));
    if (pairs == NULL || settings->keep == NULL || settings->items == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PyList_GET_ITEM(pairs, i);
        if (add_setting(settings, plugin, pair) < 0)
            goto fail;
    }
    Py_DECREF(pairs);
    return 0;

fail:
    if (!PyErr_Occurred())
        PyErr_NoMemory();
    Py_XDECREF(pairs);
    pikos_ext_settings_release(settings);
    return -1;
}

void pikos_ext_settings_release(struct pikos_ext_settings *settings)
{
    PyMem_Free(settings->items);
    Py_CLEAR(settings->keep);
    settings->items = NULL;
    settings->count = 0;
}
