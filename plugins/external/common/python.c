/*
 * plugins/external/common/python.c - the Python side every external
 * monitor needs: importing the wrapped package, turning Python errors into
 * the instance's error, and guarding the thread's profile function.
 */
#include "external.h"

int external_python_error(struct pikos_instance *inst,
                          const struct pikos_host *host, const char *what)
{
    PyObject *type, *value, *traceback, *text = NULL;
    const char *message = NULL, *type_name = "error";

    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (type != NULL && PyType_Check(type))
        type_name = ((PyTypeObject *)type)->tp_name;
    if (value != NULL)
        text = PyObject_Str(value);
    if (text != NULL)
        message = PyUnicode_AsUTF8(text);
    PyErr_Clear(); /* what str() may have raised */
    host->set_error(inst, PIKOS_EPYTHON, "%s: %s: %s", what, type_name,
                    message != NULL ? message : "(no message)");
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    return PIKOS_EPYTHON;
}

PyObject *external_import(struct pikos_instance *inst,
                          const struct pikos_host *host, const char *module,
                          const char *package)
{
    PyObject *imported = PyImport_ImportModule(module);

    if (imported != NULL)
        return imported;
    if (!PyErr_ExceptionMatches(PyExc_ImportError)) {
        external_python_error(inst, host, "importing the profiler");
        return NULL;
    }
    PyErr_Clear();
    host->set_error(inst, PIKOS_EPYTHON,
                    "needs the Python package %s: apt-get install -y %s",
                    module, package);
    return NULL;
}

struct external_profile_func external_profile_current(void)
{
    PyThreadState *thread = PyThreadState_Get();
    struct external_profile_func current = {thread->c_profilefunc,
                                            thread->c_profileobj};
    return current;
}

int external_require_free_profile(struct pikos_instance *inst,
                                  const struct pikos_host *host,
                                  const char *profiler)
{
    if (PyThreadState_Get()->c_profilefunc == NULL)
        return PIKOS_OK;
    return host->set_error(inst, PIKOS_ESTATE,
                           "%s cannot share this thread's profile function "
                           "with the one already set (a pikos monitor, "
                           "sys.setprofile or another profiler): run it "
                           "without them",
                           profiler);
}

int external_require_same_profile(struct pikos_instance *inst,
                                  const struct pikos_host *host,
                                  const char *profiler,
                                  struct external_profile_func mine)
{
    struct external_profile_func now = external_profile_current();

    if (now.func == mine.func && now.obj == mine.obj)
        return PIKOS_OK;
    return host->set_error(inst, PIKOS_ESTATE,
                           "something replaced %s's profile function while "
                           "it ran (a pikos monitor in the same run, or "
                           "sys.setprofile), so its statistics are "
                           "incomplete: run it without them",
                           profiler);
}
