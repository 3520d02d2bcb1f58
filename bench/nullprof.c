/*
 * bench/nullprof.c - the floors of any profiler, built by `make bench` as a
 * tiny extension module:
 *   start()/stop()             a C profile callback that only counts the
 *                              events it is given;
 *   trace_start()/trace_stop() a C trace callback that only counts line
 *                              events;
 *   trace_start(True)          the same, reading /proc/self/statm (one
 *                              pread of a kept-open descriptor) at each
 *                              line event: the floor of an exact line
 *                              memory monitor;
 *   statm_reads(n)             the seconds n preads of a kept-open
 *                              /proc/self/statm take (the system call every
 *                              exact memory reading costs);
 *   monitoring_count(...)      3.12+: a sys.monitoring callback that only
 *                              counts the events it is given, and
 *   monitoring_count_line(...) the same for LINE events (bench/inproc.py
 *                              registers them for a tool id of its own);
 *   count()                    the number those two counted;
 *   alloc_start()/alloc_stop() allocator functions in front of Python's
 *                              three domains that only count the blocks
 *                              allocated at the outermost call (the floor
 *                              of monitors/allocations and tracemalloc).
 * bench/run.py measures them next to cProfile, line_profiler and pikos.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static unsigned long long event_count;
static int statm_fd = -1;

static int count_event(PyObject *obj, PyFrameObject *frame, int what,
                       PyObject *arg)
{
    event_count++;
    return 0;
}

static int count_line(PyObject *obj, PyFrameObject *frame, int what,
                      PyObject *arg)
{
    event_count += what == PyTrace_LINE;
    return 0;
}

static int count_line_reading_memory(PyObject *obj, PyFrameObject *frame,
                                     int what, PyObject *arg)
{
    char text[128];

    if (what == PyTrace_LINE) {
        event_count++;
        if (pread(statm_fd, text, sizeof(text), 0) <= 0)
            event_count--;
    }
    return 0;
}

static PyObject *nullprof_start(PyObject *self, PyObject *unused)
{
    event_count = 0;
    PyEval_SetProfile(count_event, NULL);
    Py_RETURN_NONE;
}

static PyObject *nullprof_stop(PyObject *self, PyObject *unused)
{
    PyEval_SetProfile(NULL, NULL);
    return PyLong_FromUnsignedLongLong(event_count);
}

static PyObject *nullprof_trace_start(PyObject *self, PyObject *args)
{
    int read_memory = 0;

    if (!PyArg_ParseTuple(args, "|p", &read_memory))
        return NULL;
    event_count = 0;
    if (!read_memory) {
        PyEval_SetTrace(count_line, NULL);
        Py_RETURN_NONE;
    }
    statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (statm_fd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError,
                                              "/proc/self/statm");
    PyEval_SetTrace(count_line_reading_memory, NULL);
    Py_RETURN_NONE;
}

static PyObject *nullprof_trace_stop(PyObject *self, PyObject *unused)
{
    PyEval_SetTrace(NULL, NULL);
    if (statm_fd >= 0) {
        close(statm_fd);
        statm_fd = -1;
    }
    return PyLong_FromUnsignedLongLong(event_count);
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static PyObject *nullprof_statm_reads(PyObject *self, PyObject *arg)
{
    long count = PyLong_AsLong(arg);
    char text[128];
    double start, elapsed;
    int fd;

    if (count < 0 && PyErr_Occurred())
        return NULL;
    fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError,
                                              "/proc/self/statm");
    start = seconds_now();
    for (long i = 0; i < count; i++)
        if (pread(fd, text, sizeof(text), 0) <= 0)
            break;
    elapsed = seconds_now() - start;
    close(fd);
    return PyFloat_FromDouble(elapsed);
}

/* A do-nothing sys.monitoring callback: what CPython calls for each
   event of a tool costs this much at least.  (A LINE event counts as one,
   whatever its arguments.) */
static PyObject *nullprof_monitoring_count(PyObject *self,
                                           PyObject *const *args,
                                           Py_ssize_t nargs)
{
    event_count++;
    Py_RETURN_NONE;
}

static PyObject *nullprof_count(PyObject *self, PyObject *unused)
{
    unsigned long long counted = event_count;

    event_count = 0;
    return PyLong_FromUnsignedLongLong(counted);
}

/* ---- the allocation floor: count and pass through */

static PyMemAllocatorEx alloc_previous[3];
static const PyMemAllocatorDomain alloc_domains[3] = {
    PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
static _Thread_local int alloc_inside;

static void *count_malloc(void *ctx, size_t size)
{
    PyMemAllocatorEx *prev = ctx;
    if (alloc_inside)
        return prev->malloc(prev->ctx, size);
    alloc_inside = 1;
    void *ptr = prev->malloc(prev->ctx, size);
    alloc_inside = 0;
    event_count += ptr != NULL;
    return ptr;
}

static void *count_calloc(void *ctx, size_t nelem, size_t elsize)
{
    PyMemAllocatorEx *prev = ctx;
    if (alloc_inside)
        return prev->calloc(prev->ctx, nelem, elsize);
    alloc_inside = 1;
    void *ptr = prev->calloc(prev->ctx, nelem, elsize);
    alloc_inside = 0;
    event_count += ptr != NULL;
    return ptr;
}

static void *count_realloc(void *ctx, void *ptr, size_t size)
{
    PyMemAllocatorEx *prev = ctx;
    if (alloc_inside)
        return prev->realloc(prev->ctx, ptr, size);
    alloc_inside = 1;
    void *moved = prev->realloc(prev->ctx, ptr, size);
    alloc_inside = 0;
    event_count += moved != NULL;
    return moved;
}

static void count_free(void *ctx, void *ptr)
{
    PyMemAllocatorEx *prev = ctx;
    if (alloc_inside) {
        prev->free(prev->ctx, ptr);
        return;
    }
    alloc_inside = 1;
    prev->free(prev->ctx, ptr);
    alloc_inside = 0;
}

static PyObject *nullprof_alloc_start(PyObject *self, PyObject *unused)
{
    event_count = 0;
    for (int i = 0; i < 3; i++) {
        PyMemAllocatorEx ours = {&alloc_previous[i], count_malloc,
                                 count_calloc, count_realloc, count_free};
        PyMem_GetAllocator(alloc_domains[i], &alloc_previous[i]);
        PyMem_SetAllocator(alloc_domains[i], &ours);
    }
    Py_RETURN_NONE;
}

static PyObject *nullprof_alloc_stop(PyObject *self, PyObject *unused)
{
    for (int i = 0; i < 3; i++)
        PyMem_SetAllocator(alloc_domains[i], &alloc_previous[i]);
    return PyLong_FromUnsignedLongLong(event_count);
}

static PyMethodDef nullprof_methods[] = {
    {"alloc_start", nullprof_alloc_start, METH_NOARGS,
     "Put the counting allocator functions in front of Python's."},
    {"alloc_stop", nullprof_alloc_stop, METH_NOARGS,
     "Remove them; return the number of blocks allocated meanwhile."},
    {"monitoring_count", (PyCFunction)(void (*)(void))nullprof_monitoring_count,
     METH_FASTCALL, "A sys.monitoring callback that only counts."},
    {"count", nullprof_count, METH_NOARGS,
     "The events monitoring_count counted (and starts again)."},
    {"start", nullprof_start, METH_NOARGS, "Install the do-nothing hook."},
    {"stop", nullprof_stop, METH_NOARGS,
     "Remove it; return the number of events it saw."},
    {"trace_start", nullprof_trace_start, METH_VARARGS,
     "Install the do-nothing trace hook (reading memory: trace_start(1))."},
    {"trace_stop", nullprof_trace_stop, METH_NOARGS,
     "Remove it; return the number of line events it saw."},
    {"statm_reads", nullprof_statm_reads, METH_O,
     "Seconds that n preads of /proc/self/statm take."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef nullprof_module = {PyModuleDef_HEAD_INIT, "_nullprof",
                                             "Do-nothing C hooks.", -1,
                                             nullprof_methods};

PyMODINIT_FUNC PyInit__nullprof(void)
{
    return PyModule_Create(&nullprof_module);
}
