/*
 * python/boot/boot.c - pikos inside the interpreter the `pikos` command
 * runs: the extension module `sitecustomize`.
 *
 * The command starts the user's python3 with the program's own command
 * line, this module's directory first in PYTHONPATH and the descriptor of
 * the region it shares (core/durable.h) in PIKOS_SUPERVISOR_FD.  Python's
 * `site` imports this module while the interpreter starts, before the
 * program.  It then:
 *   1. attaches to the shared region and reads the run's arguments;
 *   2. puts back what the command changed, so that the program finds the
 *      environment and sys.path python3 would give it;
 *   3. imports, in its own place, the sitecustomize python3 would have
 *      imported (Debian has one), or none;
 *   4. builds the run's pipeline (cli/pipeline.c): a bad plugin or option
 *      is one "pikos: ..." line and exit status 2, before the program;
 *   5. leaves a gate that starts monitoring at the program's first line
 *      (core/program.c).
 * An interpreter without a matching build of this module finds
 * sitecustomize.py beside it instead, which says so (see that file).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "durable.h"
#include "program.h"

#define EXIT_USAGE PIKOS_CLI_EXIT_USAGE

/* ------------------------------------------------------------ the region */

static struct pikos_durable *attach(void)
{
    const char *text = getenv(PIKOS_DURABLE_ENV);
    char *end;
    long fd = text != NULL ? strtol(text, &end, 10) : -1;

    if (text == NULL || *end != '\0' || fd < 0)
        return NULL;
    return pikos_durable_attach((int)fd);
}

static const char *config(const struct pikos_durable *run, const char *key)
{
    size_t pos = 0;
    return pikos_durable_config_next(run, key, &pos);
}

/* Every value of `key`, in a malloc'ed array (NULL when none). */
static const char **config_all(const struct pikos_durable *run,
                               const char *key, size_t *count)
{
    size_t pos = 0, n = 0;
    const char **values;

    while (pikos_durable_config_next(run, key, &pos) != NULL)
        n++;
    *count = n;
    if (n == 0 || (values = calloc(n, sizeof(*values))) == NULL)
        return NULL;
    pos = 0;
    for (size_t i = 0; i < n; i++)
        values[i] = pikos_durable_config_next(run, key, &pos);
    return values;
}

/* ------------------------------------------------------------ python3's */

/* os.environ[name] = value, or del os.environ[name] (value NULL); both
   also change the process's environment, which children inherit. */
static int environ_set(const char *name, const char *value)
{
    PyObject *os = PyImport_ImportModule("os"); /* imported by site */
    PyObject *environ = os ? PyObject_GetAttrString(os, "environ") : NULL;
    PyObject *key = environ ? PyUnicode_DecodeFSDefault(name) : NULL;
    PyObject *text = key && value ? PyUnicode_DecodeFSDefault(value) : NULL;
    int rc = -1;

    if (key != NULL && value != NULL)
        rc = text ? PyObject_SetItem(environ, key, text) : -1;
    else if (key != NULL && (rc = PyObject_DelItem(environ, key)) < 0 &&
             PyErr_ExceptionMatches(PyExc_KeyError)) {
        PyErr_Clear();
        rc = 0;
    }
    Py_XDECREF(text);
    Py_XDECREF(key);
    Py_XDECREF(environ);
    Py_XDECREF(os);
    return rc;
}

/* The boot directory out of sys.path (and the finder cached for it). */
static int forget_boot_dir(const char *dir)
{
    PyObject *path = PySys_GetObject("path"); /* borrowed */
    PyObject *cache = PySys_GetObject("path_importer_cache");
    PyObject *entry = PyUnicode_DecodeFSDefault(dir);
    Py_ssize_t i;

    if (entry == NULL || path == NULL || !PyList_Check(path)) {
        Py_XDECREF(entry);
        return -1;
    }
    for (i = 0; i < PyList_GET_SIZE(path); i++)
        if (PyUnicode_Check(PyList_GET_ITEM(path, i)) &&
            PyUnicode_Compare(PyList_GET_ITEM(path, i), entry) == 0)
            break;
    if (i < PyList_GET_SIZE(path))
        PyList_SetSlice(path, i, i + 1, NULL);
    if (cache != NULL && PyDict_Check(cache) &&
        PyDict_DelItem(cache, entry) < 0)
        PyErr_Clear();
    Py_DECREF(entry);
    return 0;
}

static int restore_python3(const struct pikos_durable *run)
{
    const char *boot_dir = config(run, "boot_dir");

    if (environ_set("PYTHONPATH", config(run, "pythonpath")) < 0 ||
        environ_set(PIKOS_DURABLE_ENV, NULL) < 0)
        return -1;
    return boot_dir != NULL ? forget_boot_dir(boot_dir) : 0;
}

/* Whether the pending exception is "no module named sitecustomize". */
static int no_sitecustomize(void)
{
    PyObject *type, *value, *traceback, *name;
    int none;

    if (!PyErr_ExceptionMatches(PyExc_ImportError))
        return 0;
    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    name = value ? PyObject_GetAttrString(value, "name") : NULL;
    none = name != NULL && PyUnicode_Check(name) &&
           PyUnicode_CompareWithASCIIString(name, "sitecustomize") == 0;
    Py_XDECREF(name);
    PyErr_Restore(type, value, traceback);
    return none;
}

/*
 * Imports the sitecustomize that comes after this one on sys.path, in
 * place of this one: importlib takes whatever sys.modules holds once this
 * module has run.  1 when there is one, 0 when none (the ImportError site
 * ignores is left pending), -1 when it raised.
 */
static int import_next_sitecustomize(void)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    PyObject *next;

    if (modules != NULL && PyDict_DelItemString(modules, "sitecustomize") < 0)
        PyErr_Clear();
    next = PyImport_ImportModule("sitecustomize");
    if (next != NULL) {
        Py_DECREF(next);
        return 1;
    }
    return no_sitecustomize() ? 0 : -1;
}

/* ------------------------------------------------------------ the run */

static void args_from_config(const struct pikos_durable *run,
                             struct pikos_cli_args *args)
{
    memset(args, 0, sizeof(*args));
    args->specs = config_all(run, "plugin", &args->nspecs);
    args->plugin_paths = config_all(run, "plugin_path", &args->npaths);
    args->output = config(run, "output");
    args->focused_on = config(run, "focused_on");
    args->script = config(run, "script");
    args->module = config(run, "module");
}

/* Steps 4 and 5; a failure is reported and ends the process. */
static void watch_program(const struct pikos_durable *run)
{
    struct pikos_cli_args args;
    struct pikos_registry *reg;
    struct pikos_pipeline *pipe = NULL;
    struct pikos_error err = {0};

    args_from_config(run, &args);
    reg = pikos_cli_open_registry(args.plugin_paths, args.npaths);
    if (reg != NULL) {
        /* No probe per plugin: the pikos command names one that crashes. */
        pikos_registry_load_directly(reg, 1);
        pipe = pikos_cli_build_pipeline(reg, &args);
    }
    free((void *)args.specs);
    free((void *)args.plugin_paths);
    if (pipe != NULL && pikos_program_watch(pipe, reg, &err) == 0)
        return;
    if (pipe != NULL)
        pikos_cli_error("%s", err.message);
    pikos_durable_set_state(PIKOS_RUN_FAILED);
    _exit(EXIT_USAGE); /* nothing of the program has run */
}

static int boot_exec(PyObject *module)
{
    struct pikos_durable *run = attach();
    int found;

    (void)module;
    if (run != NULL && restore_python3(run) < 0)
        return -1;
    found = import_next_sitecustomize();
    if (run != NULL) {
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        watch_program(run);
        PyErr_Restore(type, value, traceback);
    }
    return found > 0 ? 0 : -1;
}

static PyModuleDef_Slot boot_slots[] = {
    {Py_mod_exec, (void *)boot_exec},
    {0, NULL},
};

static struct PyModuleDef boot_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sitecustomize",
    .m_doc = "pikos, loaded by the pikos command before the program.",
    .m_size = 0,
    .m_slots = boot_slots,
};

PyMODINIT_FUNC PyInit_sitecustomize(void);

PyMODINIT_FUNC PyInit_sitecustomize(void)
{
    return PyModuleDef_Init(&boot_module);
}
