/*
 * core/focus.c - focused monitoring: which code objects a monitor's
 * `functions` option names, and which threads are inside them.
 *
 * A name is one of (docs/design.md "Focus"):
 *   gcd            a code whose co_name or co_qualname is "gcd"
 *   Class.method   a code whose co_qualname is "Class.method"
 *   pkg.mod:f      f as above, in a file ending in /pkg/mod.py or
 *                  /pkg/mod/__init__.py; "__main__:f" in the main file
 *                  (pikos_set_main_filename)
 *   /path/f.py:f   f as above, in exactly that file (a module part with a
 *                  '/' is a file name: the Python API names a function
 *                  object's code this way)
 * Names are only compared with the names of code objects that run: nothing
 * is imported to resolve them.  The hook asks once per code object and
 * caches the answer, so no string is compared per event.
 *
 * A function monitor records while a focus function is on the thread's
 * stack.  The focus counts, per thread, the focus frames on it: calls add
 * one, returns take one (a generator yields as a return and resumes as a
 * call; an exception unwinding a frame is its return).  Only threads
 * inside the focus have an entry, so a thread outside it costs one
 * comparison.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct focus_name {
    char *text;   /* a copy of the name as given */
    char *module; /* "pkg/mod" (dots made slashes), or NULL */
    size_t module_len;
    int is_main;          /* the module is __main__ */
    int is_path;          /* the module is a file name, compared whole */
    const char *function; /* after the ':' (or all of text) */
    size_t function_len;
    int dotted;  /* function has a '.': only co_qualname can equal it */
    int matched; /* some code object of this run matched it */
};

/* A thread inside the focus: how many focus frames are on its stack. */
struct focus_thread {
    uint64_t id;
    uint64_t depth;
};

/* The program's file, for `__main__:f`; owned here. */
static char *main_filename;

PIKOS_EXPORT void pikos_set_main_filename(const char *filename)
{
    free(main_filename);
    main_filename = filename != NULL ? strdup(filename) : NULL;
}

/* ------------------------------------------------------------ names */

static int invalid_name(struct pikos_error *err, const char *owner,
                        const char *text, const char *why)
{
    return pikos_error_set(err, PIKOS_EINVAL,
                           "[%s] functions: '%s' %s (give f, Class.method or "
                           "module:f)",
                           owner, text, why);
}

/* "pkg.mod" -> "pkg/mod", the path the module's file ends with. */
static char *module_path(const char *module, size_t len)
{
    char *path = malloc(len + 1);

    if (path == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++)
        path[i] = module[i] == '.' ? '/' : module[i];
    path[len] = '\0';
    return path;
}

/* Splits "module:function"; the module part is allocated (freed with the
   focus). */
static int parse_module(struct focus_name *name, const char *colon,
                        const char *owner, struct pikos_error *err)
{
    size_t len = (size_t)(colon - name->text);

    if (len == 0)
        return invalid_name(err, owner, name->text, "has no module before ':'");
    name->is_path = memchr(name->text, '/', len) != NULL;
    if (strchr(colon + 1, ':') != NULL ||
        (memchr(name->text, ':', len) != NULL && !name->is_path))
        return invalid_name(err, owner, name->text, "has more than one ':'");
    name->is_main = len == 8 && memcmp(name->text, "__main__", 8) == 0;
    name->module = name->is_path ? strndup(name->text, len)
                                 : module_path(name->text, len);
    if (name->module == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", owner);
    name->module_len = len;
    name->function = colon + 1;
    return 0;
}

static int parse_name(struct focus_name *name, const char *text,
                      const char *owner, struct pikos_error *err)
{
    const char *colon;
    int rc;

    name->text = strdup(text);
    if (name->text == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", owner);
    name->function = name->text;
    /* A file name may hold ':' itself: its function follows the last. */
    colon = strchr(name->text, '/') != NULL ? strrchr(name->text, ':')
                                            : strchr(name->text, ':');
    if (colon != NULL && (rc = parse_module(name, colon, owner, err)) < 0)
        return rc;
    name->function_len = strlen(name->function);
    if (name->function_len == 0)
        return invalid_name(err, owner, text, "names no function");
    name->dotted = strchr(name->function, '.') != NULL;
    return 0;
}

int pikos_focus_new(const struct pikos_strlist *names, const char *owner,
                    struct pikos_focus **out, struct pikos_error *err)
{
    struct pikos_focus *focus = calloc(1, sizeof(*focus));

    *out = NULL;
    if (focus != NULL)
        focus->names = calloc(names->count + 1, sizeof(*focus->names));
    if (focus == NULL || focus->names == NULL) {
        free(focus);
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", owner);
    }
    for (size_t i = 0; i < names->count; i++) {
        int rc = parse_name(&focus->names[i], names->items[i], owner, err);
        focus->nnames++;
        if (rc < 0) {
            pikos_focus_free(focus);
            return rc;
        }
    }
    *out = focus;
    return 0;
}

void pikos_focus_free(struct pikos_focus *focus)
{
    if (focus == NULL)
        return;
    for (size_t i = 0; i < focus->nnames; i++) {
        free(focus->names[i].text);
        free(focus->names[i].module);
    }
    free(focus->names);
    free(focus->threads);
    free(focus);
}

/* ------------------------------------------------------------ matching */

static int same(const char *text, size_t len, const char *other,
                size_t other_len)
{
    return len == other_len && memcmp(text, other, len) == 0;
}

/* Whether `filename` is `path` + `suffix`, or ends in "/" + that. */
static int path_ends_with(const char *filename, size_t filename_len,
                          const char *path, size_t path_len, const char *suffix)
{
    size_t suffix_len = strlen(suffix), len = path_len + suffix_len;
    const char *tail;

    if (filename_len < len)
        return 0;
    tail = filename + filename_len - len;
    if (memcmp(tail, path, path_len) != 0 ||
        memcmp(tail + path_len, suffix, suffix_len) != 0)
        return 0;
    return filename_len == len || tail[-1] == '/';
}

static int module_matches(const struct focus_name *name,
                          const struct pikos_code *code)
{
    if (name->module == NULL)
        return 1;
    if (name->is_path)
        return strcmp(code->filename, name->module) == 0;
    if (name->is_main)
        return main_filename != NULL &&
               strcmp(code->filename, main_filename) == 0;
    return path_ends_with(code->filename, code->filename_len, name->module,
                          name->module_len, ".py") ||
           path_ends_with(code->filename, code->filename_len, name->module,
                          name->module_len, "/__init__.py");
}

static int function_matches(const struct focus_name *name,
                            const struct pikos_code *code)
{
    if (same(name->function, name->function_len, code->qualname,
             code->qualname_len))
        return 1;
    return !name->dotted &&
           same(name->function, name->function_len, code->name, code->name_len);
}

int pikos_focus_matches(struct pikos_focus *focus,
                        const struct pikos_code *code)
{
    int matches = 0;

    focus->codes_checked++;
    /* Every name is tried, so that each one that matches is marked. */
    for (size_t i = 0; i < focus->nnames; i++) {
        struct focus_name *name = &focus->names[i];
        if (function_matches(name, code) && module_matches(name, code)) {
            name->matched = 1;
            matches = 1;
        }
    }
    return matches;
}

int pikos_focus_match_names(const struct pikos_strlist *names,
                            const struct pikos_code *code,
                            unsigned char *matched)
{
    struct pikos_focus *focus;
    int rc = pikos_focus_new(names, "", &focus, NULL);

    if (rc < 0)
        return rc;
    rc = pikos_focus_matches(focus, code);
    for (size_t i = 0; matched != NULL && i < focus->nnames; i++)
        if (focus->names[i].matched)
            matched[i] = 1;
    pikos_focus_free(focus);
    return rc;
}

static size_t unmatched_length(const struct pikos_focus *focus)
{
    size_t len = 0;

    for (size_t i = 0; i < focus->nnames; i++)
        if (!focus->names[i].matched)
            len += strlen(focus->names[i].text) + 4; /* 'x', */
    return len;
}

char *pikos_focus_unmatched(const struct pikos_focus *focus)
{
    size_t len = unmatched_length(focus);
    char *text, *end;

    /* A run that never got to run any code (a start that failed) is not
       worth a word. */
    if (len == 0 || focus->codes_checked == 0 || (text = malloc(len)) == NULL)
        return NULL;
    end = text;
    for (size_t i = 0; i < focus->nnames; i++)
        if (!focus->names[i].matched)
            end += sprintf(end, "%s'%s'", end == text ? "" : ", ",
                           focus->names[i].text);
    return text;
}

/* ------------------------------------------------------------ threads */

static struct focus_thread *thread_entry(const struct pikos_focus *focus,
                                         uint64_t thread_id)
{
    for (size_t i = 0; i < focus->nthreads; i++)
        if (focus->threads[i].id == thread_id)
            return &focus->threads[i];
    return NULL;
}

int pikos_focus_inside(const struct pikos_focus *focus, uint64_t thread_id)
{
    return thread_entry(focus, thread_id) != NULL;
}

/* Allocates only when more threads than ever before are inside at once. */
int pikos_focus_enter(struct pikos_focus *focus, uint64_t thread_id)
{
    struct focus_thread *entry = thread_entry(focus, thread_id);

    if (entry != NULL) {
        entry->depth++;
        return 0;
    }
    if (focus->nthreads == focus->capacity) {
        size_t capacity = focus->capacity ? 2 * focus->capacity : 4;
        void *threads =
            realloc(focus->threads, capacity * sizeof(*focus->threads));
        if (threads == NULL)
            return PIKOS_ENOMEM;
        focus->threads = threads;
        focus->capacity = capacity;
    }
    focus->threads[focus->nthreads++] = (struct focus_thread){thread_id, 1};
    return 0;
}

void pikos_focus_leave(struct pikos_focus *focus, uint64_t thread_id)
{
    struct focus_thread *entry = thread_entry(focus, thread_id);

    if (entry == NULL || --entry->depth > 0)
        return;
    *entry = focus->threads[--focus->nthreads]; /* the last takes its place */
}
