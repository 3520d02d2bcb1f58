/*
 * plugins/external/line_profiler/function_names.h - which running code
 * objects the `functions` option names.
 *
 * The names are those of --focused-on (core/focus.c, docs/design.md
 * "Focus"), with
 * the same rules:
 *   f              a code whose co_name or co_qualname is "f"
 *   Class.method   a code whose co_qualname is "Class.method"
 *   pkg.mod:f      f as above, in a file ending in /pkg/mod.py or
 *                  /pkg/mod/__init__.py; "__main__:f" in the main program
 *   /path/f.py:f   f as above, in exactly that file
 * The host has already checked their syntax (the option is its focus
 * option too); here they are only compared with code objects.
 */
#ifndef PIKOS_LINE_PROFILER_FUNCTION_NAMES_H
#define PIKOS_LINE_PROFILER_FUNCTION_NAMES_H

#include <stddef.h>

#include <pikos/plugin.h>

struct function_name {
    const char *module; /* "pkg/mod" or a file name; NULL: any */
    size_t module_len;
    int is_main; /* module is __main__ */
    int is_path; /* module is a file name, compared whole */
    const char *function;
    size_t function_len;
    int dotted;  /* only co_qualname can equal it */
    int matched; /* some code object matched it */
};

struct function_names {
    size_t count;
    struct function_name *items;
    char *text; /* every name's text, module parts rewritten */
};

/* Parses the option's names; PIKOS_ENOMEM or PIKOS_EINVAL (a name without
   a function). */
int function_names_parse(struct function_names *names,
                         const struct pikos_strlist *list);

void function_names_free(struct function_names *names);

/* Whether one of the names is the code's (the names that are get their
   `matched` set).  `in_main` says whether the code runs in the program's
   __main__ module (its globals' __name__). */
int function_names_match(struct function_names *names,
                         const struct pikos_code *code, int in_main);

/* Forgets which names matched (a new run). */
void function_names_reset(struct function_names *names);

/* The first name that matched no code object, or NULL. */
const char *function_names_unmatched(const struct function_names *names,
                                     const struct pikos_strlist *list);

#endif
