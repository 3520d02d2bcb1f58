/*
 * cli/program.c - the program's code and its __main__ globals, prepared
 * the way python3 prepares them, before monitoring starts.
 *
 * Script: the file's bytes compiled by builtins.compile() with the path
 * python3 uses as the filename (so PEP 263 coding cookies and BOMs are
 * honoured), then __file__, __cached__ = None and a SourceFileLoader as
 * __loader__ set in __main__ (Python/pythonrun.c does the same).
 *
 * Module (-m): runpy._get_module_details() finds and compiles the module
 * (importing its parent packages) and the globals are set as
 * runpy._run_module_as_main() sets them; pikos then evaluates the code
 * itself, so that runpy's frames are not recorded.
 */
#include "embed.h"

/* __main__'s dict, a new reference. */
static PyObject *main_globals(void)
{
    PyObject *main_module = PyImport_ImportModule("__main__");
    if (!main_module)
        return NULL;
    PyObject *globals = PyModule_GetDict(main_module); /* borrowed */
    Py_XINCREF(globals);
    Py_DECREF(main_module);
    return globals;
}

static PyObject *compile_script(const struct pikos_cli_script *script,
                                PyObject *filename)
{
    PyObject *builtins = PyImport_ImportModule("builtins");
    PyObject *source =
        PyBytes_FromStringAndSize(script->source, (Py_ssize_t)script->size);
    PyObject *code = NULL;
    if (builtins && source)
        code = PyObject_CallMethod(builtins, "compile", "OOsii", source,
                                   filename, "exec", 0, 1);
    Py_XDECREF(builtins);
    Py_XDECREF(source);
    return code;
}

/* _frozen_importlib_external is where python3 takes the class from. */
static int set_script_globals(PyObject *globals, PyObject *filename)
{
    PyObject *external = PyImport_ImportModule("_frozen_importlib_external");
    PyObject *loader = external
                           ? PyObject_CallMethod(external, "SourceFileLoader",
                                                 "sO", "__main__", filename)
                           : NULL;
    int r = -1;
    if (loader && PyDict_SetItemString(globals, "__file__", filename) == 0 &&
        PyDict_SetItemString(globals, "__cached__", Py_None) == 0)
        r = PyDict_SetItemString(globals, "__loader__", loader);
    Py_XDECREF(loader);
    Py_XDECREF(external);
    return r;
}

int pikos_cli_script_program(const struct pikos_cli_script *script,
                             PyObject **code, PyObject **globals)
{
    PyObject *filename = PyUnicode_DecodeFSDefault(script->filename);
    *globals = filename ? main_globals() : NULL;
    *code = *globals ? compile_script(script, filename) : NULL;
    int ok = *code && set_script_globals(*globals, filename) == 0;
    Py_XDECREF(filename);
    if (ok)
        return PIKOS_CLI_PROGRAM_READY;
    Py_CLEAR(*code);
    Py_CLEAR(*globals);
    return PIKOS_CLI_PROGRAM_RAISED;
}

/* runpy: sys.argv[0] = spec.origin. */
static int set_argv0(PyObject *origin)
{
    PyObject *argv = PySys_GetObject("argv"); /* borrowed */
    if (!argv || !PyList_Check(argv)) {
        PyErr_SetString(PyExc_RuntimeError, "pikos: sys.argv is not a list");
        return -1;
    }
    Py_INCREF(origin);
    return PyList_SetItem(argv, 0, origin); /* takes `origin`, even on error */
}

/* runpy._run_code: the module attributes of __main__ from its spec. */
static int set_module_globals(PyObject *globals, PyObject *spec)
{
    PyObject *origin = PyObject_GetAttrString(spec, "origin");
    PyObject *cached = PyObject_GetAttrString(spec, "cached");
    PyObject *loader = PyObject_GetAttrString(spec, "loader");
    PyObject *parent = PyObject_GetAttrString(spec, "parent");
    PyObject *values = NULL;
    if (origin && cached && loader && parent && set_argv0(origin) == 0)
        values = Py_BuildValue("{s:s,s:O,s:O,s:O,s:O,s:O,s:O}", "__name__",
                               "__main__", "__file__", origin, "__cached__",
                               cached, "__doc__", Py_None, "__loader__", loader,
                               "__package__", parent, "__spec__", spec);
    int r = values ? PyDict_Update(globals, values) : -1;
    Py_XDECREF(values);
    Py_XDECREF(origin);
    Py_XDECREF(cached);
    Py_XDECREF(loader);
    Py_XDECREF(parent);
    return r;
}

/* "No module named x" and the like: a pikos error, not a traceback. */
static int report_module_error(void)
{
    PyObject *exc = pikos_cli_exception_take();
    PyObject *text = exc ? PyObject_Str(exc) : NULL;
    const char *message = text ? PyUnicode_AsUTF8(text) : NULL;
    pikos_cli_error("%s", message ? message : "cannot find the module");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(exc);
    return PIKOS_CLI_PROGRAM_FAILED;
}

/* (mod_name, spec, code) from runpy; its own exception class marks "not
   found" apart from errors raised by the packages it imports. */
static PyObject *module_details(const char *name, int *not_found)
{
    PyObject *runpy = PyImport_ImportModule("runpy");
    PyObject *error = runpy ? PyObject_GetAttrString(runpy, "_Error") : NULL;
    PyObject *details = error
                            ? PyObject_CallMethod(runpy, "_get_module_details",
                                                  "sO", name, error)
                            : NULL;
    *not_found = !details && error && PyErr_ExceptionMatches(error);
    Py_XDECREF(error);
    Py_XDECREF(runpy);
    return details;
}

int pikos_cli_module_program(const char *name, PyObject **code,
                             PyObject **globals)
{
    int not_found;
    PyObject *details = module_details(name, &not_found);
    if (!details)
        return not_found ? report_module_error() : PIKOS_CLI_PROGRAM_RAISED;
    PyObject *spec = PyTuple_GetItem(details, 1); /* borrowed */
    *code = PyTuple_GetItem(details, 2);
    Py_XINCREF(*code);
    *globals = main_globals();
    int ok =
        spec && *code && *globals && set_module_globals(*globals, spec) == 0;
    Py_DECREF(details);
    if (ok)
        return PIKOS_CLI_PROGRAM_READY;
    Py_CLEAR(*code);
    Py_CLEAR(*globals);
    return PIKOS_CLI_PROGRAM_RAISED;
}
