/*
 * python/_pikos/registry.c - the one registry of the process, and what
 * Python sees of it: plugins() and load().
 *
 * The registry is opened once, when the module is first imported (so
 * PIKOS_PLUGIN_PATH and PIKOS_NO_DEFAULT_PATH are read then), with the two
 * built-in Python plugins added to it.  It lives as long as the process:
 * pipelines hold pointers into it and may be freed as late as interpreter
 * shutdown.
 */
#include "ext.h" /* Python.h first, as Python asks */

#include <string.h>

static struct pikos_registry *registry;

static PyObject *core_error(const struct pikos_error *err)
{
    PyErr_SetString(pikos_ext_error, err->message);
    return NULL;
}

static int add_builtins(struct pikos_registry *reg, struct pikos_error *err)
{
    if (pikos_registry_add_builtin(reg, &pikos_ext_python_recorder, err) < 0)
        return -1;
    return pikos_registry_add_builtin(reg, &pikos_ext_python_filter, err);
}

int pikos_ext_registry_open(void)
{
    struct pikos_error err = {0};
    struct pikos_registry *reg;

    if (registry != NULL)
        return 0;
    reg = pikos_registry_new();
    if (reg == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (pikos_registry_add_default_paths(reg) < 0) {
        PyErr_SetString(pikos_ext_error, "cannot read the plugin search path "
                                         "(PIKOS_PLUGIN_PATH)");
    } else if (pikos_registry_scan(reg, &err) < 0 ||
               add_builtins(reg, &err) < 0) {
        core_error(&err);
    } else {
        registry = reg;
        return 0;
    }
    pikos_registry_free(reg);
    return -1;
}

struct pikos_registry *pikos_ext_registry(void)
{
    return registry;
}

struct pikos_plugin_info *pikos_ext_plugin_find(const char *name)
{
    struct pikos_error err = {0};
    struct pikos_plugin_info *info = pikos_registry_find(registry, name, &err);

    if (info == NULL) {
        PyErr_SetString(PyExc_LookupError, err.message);
        return NULL;
    }
    if (pikos_registry_load(registry, info, &err) < 0) {
        core_error(&err);
        return NULL;
    }
    return info;
}

/* ------------------------------------------------------------ dicts */

/* A manifest's text (UTF-8, or its bytes kept as surrogates), or None. */
static PyObject *text_or_none(const char *text)
{
    if (text == NULL)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text),
                                "surrogateescape");
}

static PyObject *option_dict(const struct pikos_manifest_option *opt)
{
    /* "N" takes over each new reference, also when building fails. */
    return Py_BuildValue(
        "{s:N,s:s,s:N,s:O,s:N}", "name", text_or_none(opt->name), "type",
        pikos_option_type_name(opt->type), "default",
        text_or_none(opt->default_value), "required",
        (opt->flags & PIKOS_OPTION_REQUIRED) ? Py_True : Py_False, "help",
        text_or_none(opt->help != NULL ? opt->help : ""));
}

static PyObject *options_list(const struct pikos_plugin_info *info)
{
    PyObject *list = PyList_New((Py_ssize_t)info->noptions);

    for (size_t i = 0; list != NULL && i < info->noptions; i++) {
        PyObject *opt = option_dict(&info->options[i]);
        if (opt == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, opt);
    }
    return list;
}

static PyObject *plugin_dict(const struct pikos_plugin_info *info)
{
    return Py_BuildValue(
        "{s:N,s:N,s:N,s:N,s:s,s:N,s:N,s:N}", "name",
        text_or_none(info->full_name), "kind",
        text_or_none(info->kind ? pikos_kind_name(info->kind) : NULL),
        "summary", text_or_none(info->summary != NULL ? info->summary : ""),
        "version", text_or_none(info->version), "status",
        pikos_plugin_state_name(info->state), "reason",
        text_or_none(info->reason), "manifest",
        text_or_none(info->manifest_path), "options", options_list(info));
}

/* ------------------------------------------------------------ functions */

int pikos_ext_is_python_plugin(const struct pikos_plugin_info *info)
{
    return info->descriptor == &pikos_ext_python_recorder ||
           info->descriptor == &pikos_ext_python_filter;
}

PyObject *pikos_ext_plugins(PyObject *module, PyObject *unused)
{
    size_t count = pikos_registry_count(registry);
    PyObject *list = PyList_New(0);

    for (size_t i = 0; list != NULL && i < count; i++) {
        const struct pikos_plugin_info *info = pikos_registry_at(registry, i);
        PyObject *dict;
        if (pikos_ext_is_python_plugin(info))
            continue;
        dict = plugin_dict(info);
        if (dict == NULL || PyList_Append(list, dict) < 0)
            Py_CLEAR(list);
        Py_XDECREF(dict);
    }
    return list;
}

PyObject *pikos_ext_load(PyObject *module, PyObject *args)
{
    const char *name;
    struct pikos_plugin_info *info;

    if (!PyArg_ParseTuple(args, "s:load", &name))
        return NULL;
    info = pikos_ext_plugin_find(name);
    return info != NULL ? plugin_dict(info) : NULL;
}
