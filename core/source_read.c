/*
 * core/source_read.c - a file's lines as `linecache.getlines(filename,
 * module_globals)` gives them, read without importing linecache.
 *
 * Under python3 a program that never imports linecache (and tokenize, re,
 * enum, token, which linecache imports) does not have them; a line monitor
 * must not import them for it, or the program's own `import tokenize`
 * would find it done and go unrecorded.  So, while linecache is not
 * imported, source.c reads files here; once the program has imported it,
 * source.c asks linecache itself (which also knows the lines tools such as
 * IPython register in its cache).
 *
 * What linecache does, step by step:
 *   - no lines for an empty name or a name in angle brackets (`<string>`);
 *   - the file as named, else (when it is not on disk) the source the
 *     module's loader gives (zipimport, ...), split as str.splitlines
 *     splits it, else the name looked up along sys.path when relative;
 *   - a file is decoded as tokenize.open decodes it (a UTF-8 BOM, or a
 *     PEP 263 coding line on either of the first two lines, else UTF-8),
 *     and split at \n, \r\n and \r; one that cannot be decoded has no
 *     lines.
 * Every failure means "no lines"; only memory can run out.
 */
#include "source.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ the file */

/* All of the file's bytes, or NULL (errno set) when it cannot be read. */
static PyObject *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    PyObject *data = NULL;
    char chunk[65536];
    size_t n;

    if (file == NULL)
        return NULL;
    data = PyBytes_FromStringAndSize(NULL, 0);
    while (data != NULL && (n = fread(chunk, 1, sizeof(chunk), file)) > 0) {
        PyObject *more = PyBytes_FromStringAndSize(chunk, (Py_ssize_t)n);
        PyBytes_ConcatAndDel(&data, more);
    }
    if (data != NULL && ferror(file))
        Py_CLEAR(data);
    fclose(file);
    return data;
}

/* ------------------------------------------------------------ PEP 263 */

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* tokenize's cookie: `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` in one
   line; copies the name into `name` (at most `size` bytes) or returns 0. */
static int coding_cookie(const char *line, size_t len, char *name, size_t size)
{
    const char *end = line + len, *p = line, *hit;

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\f'))
        p++;
    if (p == end || *p != '#')
        return 0;
    for (hit = p; (hit = memmem(hit, (size_t)(end - hit), "coding", 6));
         hit += 6) {
        const char *q = hit + 6;
        size_t n = 0;
        if (q >= end || (*q != ':' && *q != '='))
            continue;
        for (q++; q < end && (*q == ' ' || *q == '\t'); q++)
            ;
        while (q + n < end && is_name_char(q[n]) && n + 1 < size)
            n++;
        if (n == 0)
            continue;
        memcpy(name, q, n);
        name[n] = '\0';
        return 1;
    }
    return 0;
}

/* Whether a line holds nothing but blanks and maybe a comment: the
   second line may then carry the cookie. */
static int blank_or_comment(const char *line, size_t len)
{
    size_t i = 0;

    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f'))
        i++;
    return i == len || line[i] == '#' || line[i] == '\r' || line[i] == '\n';
}

/* The encoding of the source (utf-8 unless a cookie says otherwise);
   *skip is the length of a UTF-8 BOM. */
static void source_encoding(const char *data, size_t len, char *name,
                            size_t size, size_t *skip)
{
    const char *first = data, *second, *nl;
    size_t first_len;

    *skip = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    first += *skip;
    nl = memchr(first, '\n', len - *skip);
    first_len = nl ? (size_t)(nl - first) + 1 : len - *skip;
    if (coding_cookie(first, first_len, name, size))
        return;
    second = first + first_len;
    nl = memchr(second, '\n', (size_t)(data + len - second));
    if (blank_or_comment(first, first_len) && second < data + len &&
        coding_cookie(second, nl ? (size_t)(nl - second) + 1
                                 : (size_t)(data + len - second),
                      name, size))
        return;
    snprintf(name, size, "utf-8");
}

/* ------------------------------------------------------------ lines */

/* Splits decoded text at \n, \r\n and \r (universal newlines). */
static PyObject *split_universal(PyObject *text)
{
    Py_ssize_t len, start = 0;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    PyObject *lines = utf8 ? PyList_New(0) : NULL;

    for (Py_ssize_t i = 0; lines != NULL && i <= len; i++) {
        PyObject *line;
        if (i < len && utf8[i] != '\n' && utf8[i] != '\r')
            continue;
        if (i == len && start == len)
            break;
        line = PyUnicode_DecodeUTF8(utf8 + start, i - start, "strict");
        if (line == NULL || PyList_Append(lines, line) < 0)
            Py_CLEAR(lines);
        Py_XDECREF(line);
        if (i < len && utf8[i] == '\r' && i + 1 < len && utf8[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    return lines;
}

/* A file's lines, decoded as tokenize.open decodes it; NULL with a
   Python exception when it cannot be. */
static PyObject *file_lines(PyObject *data)
{
    const char *bytes = PyBytes_AS_STRING(data);
    size_t len = (size_t)PyBytes_GET_SIZE(data), skip;
    char encoding[64];
    PyObject *text, *lines;

    source_encoding(bytes, len, encoding, sizeof(encoding), &skip);
    text = PyUnicode_Decode(bytes + skip, (Py_ssize_t)(len - skip), encoding,
                            "strict");
    lines = text != NULL ? split_universal(text) : NULL;
    Py_XDECREF(text);
    return lines;
}

/* ------------------------------------------------------------ loaders */

/* globals['__loader__'] (or __spec__.loader).get_source(__name__), split
   as linecache splits it; NULL (no exception) when there is none. */
static PyObject *loader_lines(PyObject *globals)
{
    PyObject *name, *loader, *spec, *get_source, *source, *lines = NULL;

    if (globals == NULL || !PyDict_Check(globals) ||
        (name = PyDict_GetItemString(globals, "__name__")) == NULL)
        return NULL;
    loader = PyDict_GetItemString(globals, "__loader__");
    spec = PyDict_GetItemString(globals, "__spec__");
    if ((loader == NULL || loader == Py_None) && spec != NULL &&
        spec != Py_None)
        loader = pikos_py_attr(spec, "loader");
    else
        Py_XINCREF(loader);
    get_source = loader != NULL && loader != Py_None
                     ? pikos_py_attr(loader, "get_source")
                     : NULL;
    source = get_source != NULL
                 ? PyObject_CallFunctionObjArgs(get_source, name, NULL)
                 : NULL;
    Py_XDECREF(get_source);
    if (source != NULL && PyUnicode_Check(source))
        lines = PyUnicode_Splitlines(source, 1);
    Py_XDECREF(source);
    Py_XDECREF(loader);
    PyErr_Clear();
    return lines;
}

/* A relative name found along sys.path, read; NULL when none. */
static PyObject *sys_path_file(const char *name)
{
    PyObject *path = PySys_GetObject("path"); /* borrowed */

    for (Py_ssize_t i = 0; path != NULL && PyList_Check(path) &&
                           i < PyList_GET_SIZE(path);
         i++) {
        PyObject *dir = PyList_GET_ITEM(path, i);
        const char *text = PyUnicode_Check(dir) ? PyUnicode_AsUTF8(dir) : NULL;
        PyObject *joined =
            text ? PyBytes_FromFormat("%s/%s", text, name) : NULL;
        PyObject *data = joined ? read_file(PyBytes_AS_STRING(joined)) : NULL;
        Py_XDECREF(joined);
        PyErr_Clear();
        if (data != NULL)
            return data;
    }
    return NULL;
}

/* ------------------------------------------------------------ entry */

PyObject *pikos_source_read_lines(PyObject *filename, PyObject *globals)
{
    PyObject *encoded = PyUnicode_EncodeFSDefault(filename);
    const char *name = encoded ? PyBytes_AS_STRING(encoded) : NULL;
    size_t len = name ? strlen(name) : 0;
    PyObject *data = NULL, *lines = NULL;

    if (name == NULL || len == 0 || (name[0] == '<' && name[len - 1] == '>')) {
        Py_XDECREF(encoded);
        PyErr_Clear();
        return PyList_New(0);
    }
    data = read_file(name);
    if (data == NULL && (lines = loader_lines(globals)) == NULL &&
        name[0] != '/')
        data = sys_path_file(name);
    if (data != NULL)
        lines = file_lines(data);
    Py_XDECREF(data);
    Py_DECREF(encoded);
    if (lines == NULL && !PyErr_ExceptionMatches(PyExc_MemoryError)) {
        PyErr_Clear(); /* cannot be read or decoded: no lines */
        lines = PyList_New(0);
    }
    return lines;
}
