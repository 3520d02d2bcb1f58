/*
 * core/code_cache.h - what the core keeps per code object (code_cache.c),
 * for hook.c.  It needs Python.h, so only the Python-using core files
 * include it.
 */
#ifndef PIKOS_CODE_CACHE_H
#define PIKOS_CODE_CACHE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "internal.h"
#include "py_attr.h"

/*
 * One code object's entry, made the first time one of its frames has an
 * event, and kept until the code object dies.  Plugins see `code`.
 */
struct pikos_code_entry {
    struct pikos_code code; /* first: co_extra points here */
    struct pikos_code_entry *prev;
    struct pikos_code_entry *next;
    void *source; /* see pikos_code_source_slot */
    /* Focus verdicts (hook.c): bit b of `focus_known` is set once the
       focus holding bit b compared this code, and then bit b of
       `focus_match` is its answer. */
    uint64_t focus_known;
    uint64_t focus_match;
    /* sys.monitoring names an instruction, not a line, and CPython decodes
       the line table from its start at each lookup: the line of each
       instruction (by index: offset / 2; -1: none), made from co_lines()
       when first needed. */
    int32_t *lines;
    size_t nlines;
};

/* The UTF-8 text of a str attribute, kept valid by `owner`. */
struct pikos_utf8_view {
    PyObject *owner;
    const char *text;
    Py_ssize_t len;
};

/* The text of the str attribute `attr` of `obj`; a str that is not valid
   UTF-8 (lone surrogates in a file name) is escaped with backslashes.
   Returns 0, or -1 with a Python exception set or not. */
int pikos_utf8_view_of_attr(PyObject *obj, const char *attr,
                            struct pikos_utf8_view *view) PIKOS_HIDDEN;
void pikos_utf8_view_release(struct pikos_utf8_view *view) PIKOS_HIDDEN;

/* Reserves the core's co_extra slot in the running interpreter (once);
   an error names `owner`. */
int pikos_code_cache_reserve(const char *owner,
                             struct pikos_error *err) PIKOS_HIDDEN;

/* The entry of `code`, made now if it has none; NULL when that failed
   (out of memory).  A pending Python exception is left as it was. */
struct pikos_code_entry *
pikos_code_entry_lookup(PyCodeObject *code) PIKOS_HIDDEN;

/* The code objects of recent lookups and their entries: most events come
   from the code object of the event before (a loop's lines, a recursion),
   and most others from one seen a few events before (caller and callee
   taking turns).  The last one is compared first; the others have a
   slot each in a small table indexed by a hash of the code's address.
   Both are at hand without a call and without reading co_extra.  An
   entry leaves them when it is freed. */
#define PIKOS_RECENT_CODE_BITS 4
#define PIKOS_RECENT_CODES (1u << PIKOS_RECENT_CODE_BITS)
struct pikos_recent_code {
    PyCodeObject *code;
    struct pikos_code_entry *entry;
};
extern struct pikos_recent_code pikos_last_code PIKOS_HIDDEN;
extern struct pikos_recent_code pikos_recent_codes[PIKOS_RECENT_CODES]
    PIKOS_HIDDEN;

static inline struct pikos_recent_code *pikos_recent_slot(PyCodeObject *code)
{
    /* Fibonacci hashing: the top bits of the address times 2^64/phi. */
    uint64_t hash = (uint64_t)(uintptr_t)code * 0x9e3779b97f4a7c15u;
    return &pikos_recent_codes[hash >> (64 - PIKOS_RECENT_CODE_BITS)];
}

/* pikos_code_entry_lookup, with the recent ones at hand (the hot path of
   every event). */
static inline struct pikos_code_entry *pikos_code_entry_of(PyCodeObject *code)
{
    struct pikos_recent_code *slot;

    if (pikos_last_code.code == code)
        return pikos_last_code.entry;
    slot = pikos_recent_slot(code);
    if (slot->code != code)
        return pikos_code_entry_lookup(code); /* fills the slot */
    pikos_last_code = *slot;
    return slot->entry;
}

/* The cold part of pikos_code_line_at: fills entry->lines; -1 when that
   failed (then the line table is asked each time). */
int pikos_code_lines_fill(struct pikos_code_entry *entry,
                          PyCodeObject *code) PIKOS_HIDDEN;

/* The line of the instruction `offset` bytes into the code, as
   PyCode_Addr2Line gives it. */
static inline int pikos_code_line_at(struct pikos_code_entry *entry,
                                     PyCodeObject *code, int offset)
{
    size_t i = (size_t)offset / 2;

    if (i < entry->nlines ||
        (entry->lines == NULL && pikos_code_lines_fill(entry, code) == 0 &&
         i < entry->nlines))
        return entry->lines[i];
    return PyCode_Addr2Line(code, offset);
}

/* Clears the focus verdict bits `bits` of every entry. */
void pikos_code_cache_forget_focus(uint64_t bits) PIKOS_HIDDEN;

#endif /* PIKOS_CODE_CACHE_H */
