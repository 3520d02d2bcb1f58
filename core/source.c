/*
 * core/source.c - the source text of a line, for line monitors
 * (host->source_line).
 *
 * The text is what Python's own tools show: each file is read once, as
 * `linecache.getlines` reads it (PEP 263 encodings decoded, sources of
 * zipimport and other loaders; by linecache itself, with the lines tools
 * such as IPython register, once the program has imported it, else by
 * source_read.c, so that pikos imports nothing for the program), converted to
 * UTF-8 with each line's trailing whitespace removed as str.rstrip() removes
 * it (indentation kept).  Where there is no source (`<string>`, frozen
 * modules, a file that is gone) every line reads "<compiled string>", as in
 * the seed.
 *
 * Files are kept in a table keyed by file name.  A code object's first line
 * event finds (or loads) its file and remembers it in the code's source slot
 * (pikos_code_source_slot), so that every later event of that code costs an
 * array index.  The slot holds the file's position in the table and the
 * table's generation: pikos_source_cache_clear frees every file and starts
 * a new generation, which turns every remembered position stale at once,
 * without visiting the code objects.
 *
 * Loading runs Python code inside the hook, with the GIL held and CPython's
 * tracing suspended; the program's pending exception is put aside
 * meanwhile, and errors of the load mean "no source".
 */
#include "source.h"

#include <stdlib.h>
#include <string.h>

#define NO_SOURCE "<compiled string>"
#define NO_SOURCE_LEN (sizeof(NO_SOURCE) - 1)

struct source_line {
    const char *text;
    size_t len;
};

/* One file's lines; `text` holds them all, one after the other. */
struct source_file {
    char *filename;
    size_t filename_len;
    size_t nlines; /* 0: no source */
    struct source_line *lines;
    char *text;
};

static struct {
    struct source_file **files; /* in load order */
    size_t count;
    size_t capacity;
    uint32_t *buckets;    /* hash of the file name -> position + 1; 0: empty */
    size_t nbuckets;      /* a power of two, at least twice `count` */
    uintptr_t generation; /* starts at 1: a NULL slot is never current */
    int at_exit_registered;
} cache = {.generation = 1};

/* ------------------------------------------------------------ slots */

/* A code's source slot holds the file's position + 1 in its low half and
   the cache's generation in its high half; NULL, or another generation,
   means "not known yet". */
#define POSITION_BITS (sizeof(uintptr_t) * 4)
#define POSITION_MASK (((uintptr_t)1 << POSITION_BITS) - 1)
#define MAX_FILES (POSITION_MASK - 1)

static uintptr_t slot_generation(void)
{
    return cache.generation & (UINTPTR_MAX >> POSITION_BITS);
}

static void *slot_value(size_t position)
{
    return (void *)((slot_generation() << POSITION_BITS) | (position + 1));
}

static struct source_file *file_of_slot(const void *value)
{
    uintptr_t v = (uintptr_t)value;
    size_t position = (size_t)(v & POSITION_MASK) - 1;

    if (v >> POSITION_BITS != slot_generation() || position >= cache.count)
        return NULL;
    return cache.files[position];
}

/* ------------------------------------------------------------ the table */

static size_t hash_name(const char *name, size_t len)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)name[i]) * 1099511628211u;
    return (size_t)h;
}

/* The bucket holding `name`, or the empty bucket where it would go. */
static uint32_t *bucket_of(const char *name, size_t len)
{
    size_t mask = cache.nbuckets - 1;

    for (size_t i = hash_name(name, len) & mask;; i = (i + 1) & mask) {
        uint32_t *bucket = &cache.buckets[i];
        const struct source_file *file;
        if (*bucket == 0)
            return bucket;
        file = cache.files[*bucket - 1];
        if (file->filename_len == len && memcmp(file->filename, name, len) == 0)
            return bucket;
    }
}

static int buckets_grow(void)
{
    size_t nbuckets = cache.nbuckets ? cache.nbuckets * 2 : 64;
    uint32_t *buckets = calloc(nbuckets, sizeof(*buckets));

    if (buckets == NULL)
        return PIKOS_ENOMEM;
    free(cache.buckets);
    cache.buckets = buckets;
    cache.nbuckets = nbuckets;
    for (size_t i = 0; i < cache.count; i++) {
        const struct source_file *file = cache.files[i];
        *bucket_of(file->filename, file->filename_len) = (uint32_t)(i + 1);
    }
    return PIKOS_OK;
}

/* Makes room for one more file. */
static int table_reserve(void)
{
    if (cache.count == MAX_FILES)
        return PIKOS_ENOMEM;
    if (cache.count == cache.capacity) {
        size_t capacity = cache.capacity ? cache.capacity * 2 : 32;
        struct source_file **files =
            realloc(cache.files, capacity * sizeof(*files));
        if (files == NULL)
            return PIKOS_ENOMEM;
        cache.files = files;
        cache.capacity = capacity;
    }
    if (2 * (cache.count + 1) > cache.nbuckets)
        return buckets_grow();
    return PIKOS_OK;
}

static void source_file_free(struct source_file *file)
{
    free(file->lines);
    free(file->text);
    free(file->filename);
    free(file);
}

/* Adds a file (whose name is not in the table); returns its position, or
   -1 (out of memory: the file is freed). */
static long table_add(struct source_file *file)
{
    if (table_reserve() != PIKOS_OK) {
        source_file_free(file);
        return -1;
    }
    cache.files[cache.count] = file;
    *bucket_of(file->filename, file->filename_len) =
        (uint32_t)(cache.count + 1);
    return (long)cache.count++;
}

/* The position of a file already loaded, or -1. */
static long table_find(const char *name, size_t len)
{
    if (cache.count == 0)
        return -1;
    return (long)*bucket_of(name, len) - 1;
}

void pikos_source_cache_clear(void)
{
    for (size_t i = 0; i < cache.count; i++)
        source_file_free(cache.files[i]);
    free(cache.files);
    free(cache.buckets);
    cache.files = NULL;
    cache.buckets = NULL;
    cache.count = cache.capacity = cache.nbuckets = 0;
    cache.generation++;
}

/* At the end of Py_FinalizeEx, in case nobody cleared the cache. */
static void cache_at_exit(void)
{
    pikos_source_cache_clear();
    cache.at_exit_registered = 0;
}

/* ------------------------------------------------------------ lines */

/* The UTF-8 bytes at the end of `line` that str.rstrip() removes.  No
   whitespace character is a surrogate, so escaping those (below) never
   touches this tail. */
static Py_ssize_t trailing_space_bytes(PyObject *line)
{
    Py_ssize_t bytes = 0;

    for (Py_ssize_t i = PyUnicode_GET_LENGTH(line); i > 0; i--) {
        Py_UCS4 c = PyUnicode_READ_CHAR(line, i - 1);
        if (!Py_UNICODE_ISSPACE(c))
            break;
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    }
    return bytes;
}

/* Growing storage for the text of a file's lines. */
struct text_buffer {
    char *data;
    size_t len;
    size_t cap;
};

static int text_append(struct text_buffer *buf, const char *text, size_t len)
{
    if (buf->data == NULL || buf->len + len > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 4096;
        char *data;
        while (cap < buf->len + len)
            cap *= 2;
        data = realloc(buf->data, cap);
        if (data == NULL)
            return PIKOS_ENOMEM;
        buf->data = data;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, text, len);
    buf->len += len;
    return PIKOS_OK;
}

/* Appends one line, stripped, and notes where it starts in line->len's
   place (pointers are set once the text stops moving).  A line that is
   not a str (a broken linecache entry) is empty. */
static int append_line(struct text_buffer *buf, PyObject *line,
                       struct source_line *out)
{
    PyObject *utf8;
    int rc;

    out->text = NULL;
    out->len = buf->len;
    if (!PyUnicode_Check(line))
        return PIKOS_OK;
    /* backslashreplace: lone surrogates (from a loader's odd source) are
       not valid UTF-8. */
    utf8 = PyUnicode_AsEncodedString(line, "utf-8", "backslashreplace");
    if (utf8 == NULL)
        return PIKOS_EPYTHON;
    rc = text_append(
        buf, PyBytes_AS_STRING(utf8),
        (size_t)(PyBytes_GET_SIZE(utf8) - trailing_space_bytes(line)));
    Py_DECREF(utf8);
    return rc;
}

/* Turns the start offsets append_line noted into texts and lengths. */
static void lines_point_into(struct source_line *lines, size_t nlines,
                             const struct text_buffer *buf)
{
    for (size_t i = 0; i < nlines; i++) {
        size_t start = lines[i].len;
        size_t end = i + 1 < nlines ? lines[i + 1].len : buf->len;
        lines[i].text = buf->data + start;
        lines[i].len = end - start;
    }
}

/* Fills file->lines and file->text from linecache's list of lines. */
static int file_fill(struct source_file *file, PyObject *list)
{
    struct text_buffer buf = {0};
    size_t nlines = (size_t)PyList_GET_SIZE(list);

    if (nlines == 0)
        return PIKOS_OK;
    file->lines = malloc(nlines * sizeof(*file->lines));
    if (file->lines == NULL)
        return PIKOS_ENOMEM;
    for (size_t i = 0; i < nlines; i++) {
        int rc = append_line(&buf, PyList_GET_ITEM(list, i), &file->lines[i]);
        if (rc != PIKOS_OK) {
            free(buf.data);
            return rc;
        }
    }
    lines_point_into(file->lines, nlines, &buf);
    file->text = buf.data;
    file->nlines = nlines;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ loading */

/* The frame whose code is `code`, when the caller is handling one of its
   events (as the hook is), else NULL.  Borrowed. */
static PyFrameObject *frame_running(const struct pikos_code *code)
{
    PyFrameObject *frame = PyEval_GetFrame();
    PyCodeObject *running;

    if (frame == NULL)
        return NULL;
    running = PyFrame_GetCode(frame);
    Py_DECREF(running); /* the frame keeps it alive */
    return (uintptr_t)running == code->id ? frame : NULL;
}

/* linecache.getlines(filename, globals) when the program has imported
   linecache, else the same lines read by source_read.c. */
static PyObject *getlines(PyObject *filename, PyObject *globals)
{
    PyObject *modules = PySys_GetObject("modules"); /* borrowed */
    PyObject *linecache =
        modules ? PyDict_GetItemString(modules, "linecache") : NULL;
    PyObject *method, *lines;

    if (linecache == NULL)
        return pikos_source_read_lines(filename, globals);
    method = pikos_py_attr(linecache, "getlines");
    lines = method != NULL
                ? PyObject_CallFunctionObjArgs(method, filename, globals, NULL)
                : NULL;
    Py_XDECREF(method);
    return lines;
}

/*
 * linecache.getlines(filename, module_globals).  The running frame, when
 * it is the code's, gives the exact co_filename object (a name that is not
 * valid UTF-8 survives) and the module's globals, through which linecache
 * asks the module's loader (zipimport, ...) for a source not on disk.
 * Returns a new reference, or NULL with a Python exception set.
 */
static PyObject *linecache_lines(const struct pikos_code *code)
{
    PyFrameObject *frame = frame_running(code);
    PyObject *filename, *globals, *lines = NULL;

    if (frame != NULL) {
        PyCodeObject *running = PyFrame_GetCode(frame);
        filename = pikos_py_attr((PyObject *)running, "co_filename");
        Py_DECREF(running);
        globals = PyFrame_GetGlobals(frame);
    } else {
        filename = PyUnicode_DecodeUTF8(
            code->filename, (Py_ssize_t)code->filename_len, "surrogateescape");
        globals = Py_NewRef(Py_None);
    }
    if (filename != NULL && globals != NULL)
        lines = getlines(filename, globals);
    Py_XDECREF(filename);
    Py_XDECREF(globals);
    if (lines != NULL && !PyList_Check(lines))
        Py_SETREF(lines, PyList_New(0)); /* not linecache's: no source */
    return lines;
}

/*
 * An exception that interrupts the program rather than reports a failed
 * read (KeyboardInterrupt, SystemExit: a signal handler ran while
 * linecache's Python code did) must not be lost with the read: it is
 * raised again in the program at the next point Python checks for pending
 * work, exactly where a signal handler's exception would have been.
 */
static int raise_again(void *exception)
{
    PyErr_SetObject((PyObject *)Py_TYPE(exception), exception);
    Py_DECREF(exception);
    return -1;
}

/* Drops the Python exception that is set, keeping an interruption. */
static void drop_error_keep_interruption(void)
{
    PyObject *type, *value, *traceback;

    PyErr_Fetch(&type, &value, &traceback);
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value != NULL && !PyErr_GivenExceptionMatches(value, PyExc_Exception) &&
        Py_AddPendingCall(raise_again, value) == 0)
        value = NULL; /* the pending call owns it now */
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
}

/* A new file entry, without its lines. */
static struct source_file *source_file_new(const struct pikos_code *code)
{
    struct source_file *file = calloc(1, sizeof(*file));

    if (file == NULL)
        return NULL;
    file->filename = malloc(code->filename_len + 1);
    if (file->filename == NULL) {
        free(file);
        return NULL;
    }
    memcpy(file->filename, code->filename, code->filename_len);
    file->filename[code->filename_len] = '\0';
    file->filename_len = code->filename_len;
    return file;
}

/* Reads the lines of the code's file.  A Python error (or Python not
   running at all) means no source; only memory can run out.  The
   program's pending exception, if any, is put aside meanwhile. */
static int source_file_read(struct source_file *file,
                            const struct pikos_code *code)
{
    PyObject *type, *value, *traceback, *lines;
    int rc = PIKOS_OK;

    if (!Py_IsInitialized())
        return PIKOS_OK;
    PyErr_Fetch(&type, &value, &traceback);
    lines = linecache_lines(code);
    if (lines != NULL)
        rc = file_fill(file, lines);
    if (PyErr_Occurred())
        drop_error_keep_interruption();
    Py_XDECREF(lines);
    PyErr_Restore(type, value, traceback);
    /* A line that could not be converted: the file is read as having no
       source, never half of one. */
    if (rc == PIKOS_EPYTHON) {
        free(file->lines);
        file->lines = NULL;
        rc = PIKOS_OK;
    }
    return rc;
}

/* The position of the code's file in the table, loading it if needed;
   -1 when memory ran out. */
static long file_position(const struct pikos_code *code)
{
    long position = table_find(code->filename, code->filename_len);
    struct source_file *file;

    if (position >= 0)
        return position;
    file = source_file_new(code);
    if (file == NULL)
        return -1;
    if (source_file_read(file, code) != PIKOS_OK) {
        source_file_free(file);
        return -1;
    }
    /* Reading ran Python code, which may release the GIL: another thread
       may have loaded the same file meanwhile. */
    position = table_find(code->filename, code->filename_len);
    if (position >= 0) {
        source_file_free(file);
        return position;
    }
    if (!cache.at_exit_registered && Py_IsInitialized())
        cache.at_exit_registered = Py_AtExit(cache_at_exit) == 0;
    return table_add(file);
}

static const struct source_file *file_of_code(const struct pikos_code *code)
{
    void **slot = pikos_code_source_slot(code);
    struct source_file *file = file_of_slot(*slot);
    long position;

    if (file != NULL)
        return file;
    position = file_position(code);
    if (position < 0)
        return NULL;
    *slot = slot_value((size_t)position);
    return cache.files[position];
}

int pikos_source_line(const struct pikos_code *code, int lineno,
                      const char **text, size_t *len)
{
    const struct source_file *file = file_of_code(code);

    if (file != NULL && lineno >= 1 && (size_t)lineno <= file->nlines) {
        *text = file->lines[lineno - 1].text;
        *len = file->lines[lineno - 1].len;
        return PIKOS_OK;
    }
    *text = NO_SOURCE;
    *len = NO_SOURCE_LEN;
    return file != NULL ? PIKOS_OK : PIKOS_ENOMEM;
}
