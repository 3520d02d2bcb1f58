/*
 * plugins/external/line_profiler/function_names.c - the `functions`
 * option's names compared with code objects, by core/focus.c's rules
 * (function_names.h).  Each code object is compared once: the plugin
 * keeps the verdict.
 */
#include "function_names.h"

#include <stdlib.h>
#include <string.h>

/* Splits one name, kept in `text` (owned by the list), into its parts. */
static int parse_one(struct function_name *name, char *text)
{
    /* A file name may hold ':' itself: its function follows the last. */
    char *colon =
        strchr(text, '/') != NULL ? strrchr(text, ':') : strchr(text, ':');

    name->function = text;
    if (colon != NULL) {
        *colon = '\0';
        name->module = text;
        name->module_len = (size_t)(colon - text);
        name->is_path = strchr(text, '/') != NULL;
        name->is_main = strcmp(text, "__main__") == 0;
        if (!name->is_path) /* "pkg.mod" -> "pkg/mod" */
            for (char *c = text; *c != '\0'; c++)
                *c = *c == '.' ? '/' : *c;
        name->function = colon + 1;
    }
    name->function_len = strlen(name->function);
    name->dotted = strchr(name->function, '.') != NULL;
    if (name->function_len == 0 || (colon != NULL && name->module_len == 0))
        return PIKOS_EINVAL;
    return PIKOS_OK;
}

/* Room for every name's text, each NUL-ended, in one block. */
static size_t text_size(const struct pikos_strlist *list)
{
    size_t size = 0;

    for (size_t i = 0; i < list->count; i++)
        size += strlen(list->items[i]) + 1;
    return size;
}

int function_names_parse(struct function_names *names,
                         const struct pikos_strlist *list)
{
    char *next;

    memset(names, 0, sizeof(*names));
    names->items = calloc(list->count + 1, sizeof(*names->items));
    names->text = malloc(text_size(list) + 1);
    if (names->items == NULL || names->text == NULL) {
        function_names_free(names);
        return PIKOS_ENOMEM;
    }
    next = names->text;
    for (size_t i = 0; i < list->count; i++) {
        size_t len = strlen(list->items[i]);

        memcpy(next, list->items[i], len + 1);
        if (parse_one(&names->items[names->count++], next) < 0) {
            function_names_free(names);
            return PIKOS_EINVAL;
        }
        next += len + 1;
    }
    return PIKOS_OK;
}

void function_names_free(struct function_names *names)
{
    free(names->items);
    free(names->text);
    memset(names, 0, sizeof(*names));
}

static int same(const char *a, size_t a_len, const char *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
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

static int module_matches(const struct function_name *name,
                          const struct pikos_code *code, int in_main)
{
    if (name->module == NULL)
        return 1;
    if (name->is_path)
        return strcmp(code->filename, name->module) == 0;
    if (name->is_main)
        return in_main;
    return path_ends_with(code->filename, code->filename_len, name->module,
                          name->module_len, ".py") ||
           path_ends_with(code->filename, code->filename_len, name->module,
                          name->module_len, "/__init__.py");
}

static int function_matches(const struct function_name *name,
                            const struct pikos_code *code)
{
    if (same(name->function, name->function_len, code->qualname,
             code->qualname_len))
        return 1;
    return !name->dotted &&
           same(name->function, name->function_len, code->name, code->name_len);
}

int function_names_match(struct function_names *names,
                         const struct pikos_code *code, int in_main)
{
    int any = 0;

    for (size_t i = 0; i < names->count; i++) {
        struct function_name *name = &names->items[i];

        if (function_matches(name, code) && module_matches(name, code, in_main))
            any = name->matched = 1;
    }
    return any;
}

void function_names_reset(struct function_names *names)
{
    for (size_t i = 0; i < names->count; i++)
        names->items[i].matched = 0;
}

const char *function_names_unmatched(const struct function_names *names,
                                     const struct pikos_strlist *list)
{
    for (size_t i = 0; i < names->count && i < list->count; i++)
        if (!names->items[i].matched)
            return list->items[i];
    return NULL;
}
