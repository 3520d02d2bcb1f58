/*
 * core/code_copy.c - a code object's names, copied without the GIL.
 *
 * A thread that allocates while it does not hold the GIL (a C library
 * called with the GIL released: numpy's large zeroed arrays, ctypes
 * calls) still has its Python frames, which nobody else runs meanwhile,
 * so alloc_stack.c may read them.  But the stack tree may not take a
 * reference to a code object then (reference counts belong to the GIL's
 * holder), and without one the code object may die once the frame
 * returns.  So the tree keeps a copy of what a frame needs instead: the
 * names, read from the immutable str objects the live frame holds.
 *
 * A name is copied when it is pure ASCII (its bytes are the str's own) or
 * when the str already holds its UTF-8 form; any other is "?" (rare:
 * non-ASCII names or file names).
 */
#include "allocations.h"

#include <stdlib.h>
#include <string.h>

struct pikos_code_copy {
    struct pikos_code code; /* first: what host->stack_frame gives */
    uintptr_t code_address; /* of the code object copied */
    /* code.name, code.qualname and code.filename point after it */
};

/* The UTF-8 bytes of a str, without the GIL and without allocating; "?"
   when they are not at hand. */
static const char *str_bytes(PyObject *str, size_t *len)
{
    if (str != NULL && PyUnicode_Check(str) && PyUnicode_IS_COMPACT_ASCII(str)) {
        *len = (size_t)PyUnicode_GET_LENGTH(str);
        return (const char *)(((PyASCIIObject *)str) + 1);
    }
    if (str != NULL && PyUnicode_Check(str) && PyUnicode_IS_COMPACT(str) &&
        ((PyCompactUnicodeObject *)str)->utf8 != NULL) {
        *len = (size_t)((PyCompactUnicodeObject *)str)->utf8_length;
        return ((PyCompactUnicodeObject *)str)->utf8;
    }
    *len = 1;
    return "?";
}

static char *put(char *dest, const char *text, size_t len)
{
    memcpy(dest, text, len);
    dest[len] = '\0';
    return dest + len + 1;
}

static struct pikos_code_copy *copy_make(PyCodeObject *code)
{
    size_t name_len, qualname_len, filename_len;
    const char *name = str_bytes(code->co_name, &name_len);
    const char *qualname = str_bytes(code->co_qualname, &qualname_len);
    const char *filename = str_bytes(code->co_filename, &filename_len);
    struct pikos_code_copy *copy =
        malloc(sizeof(*copy) + name_len + qualname_len + filename_len + 3);

    if (copy == NULL)
        return NULL;
    char *text = (char *)(copy + 1);
    copy->code = (struct pikos_code){
        .name = text, .name_len = name_len,
        .firstlineno = code->co_firstlineno};
    /* Its own identity: the code's address may name another code later. */
    copy->code.id = (uintptr_t)copy;
    copy->code_address = (uintptr_t)code;
    text = put(text, name, name_len);
    copy->code.qualname = text;
    copy->code.qualname_len = qualname_len;
    text = put(text, qualname, qualname_len);
    copy->code.filename = text;
    copy->code.filename_len = filename_len;
    put(text, filename, filename_len);
    return copy;
}

/* Whether `code` (alive: a frame holds it) is still the code copied:
   its address may have been given to another since. */
int pikos_code_copy_is(const struct pikos_code_copy *copy, PyCodeObject *code)
{
    size_t len;
    const char *name = str_bytes(code->co_name, &len);
    const struct pikos_code *c = &copy->code;

    if (len != c->name_len || memcmp(name, c->name, len) != 0 ||
        code->co_firstlineno != c->firstlineno)
        return 0;
    name = str_bytes(code->co_filename, &len);
    return len == c->filename_len && memcmp(name, c->filename, len) == 0;
}

const struct pikos_code *
pikos_code_copy_code(const struct pikos_code_copy *copy)
{
    return &copy->code;
}

/* ------------------------------------------------------------ one each */

/* The copies made, by code address: nodes of the same code share one (and
   so one identity, which a monitor's records group by).  Open addressing;
   a copy whose address names another code since is replaced in its slot
   and stays in the list, which owns every copy. */
static struct {
    struct pikos_code_copy **slots;
    size_t nslots; /* a power of two */
    struct pikos_code_copy **all;
    size_t count, cap;
} copies;

static size_t copy_slot(const PyCodeObject *code)
{
    uint64_t h = (uint64_t)(uintptr_t)code * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 32) & (copies.nslots - 1);

    while (copies.slots[i] != NULL &&
           copies.slots[i]->code_address != (uintptr_t)code)
        i = (i + 1) & (copies.nslots - 1);
    return i;
}

static int copies_grow(void)
{
    size_t nslots = copies.nslots ? copies.nslots * 2 : 256;
    struct pikos_code_copy **slots = calloc(nslots, sizeof(*slots));
    struct pikos_code_copy **old = copies.slots;
    size_t nold = copies.nslots;

    if (slots == NULL)
        return -1;
    copies.slots = slots;
    copies.nslots = nslots;
    for (size_t i = 0; i < nold; i++)
        if (old[i] != NULL)
            copies.slots[copy_slot((PyCodeObject *)old[i]->code_address)] =
                old[i];
    free(old);
    return 0;
}

static int copies_keep(struct pikos_code_copy *copy)
{
    if (copies.count == copies.cap) {
        size_t cap = copies.cap ? copies.cap * 2 : 64;
        struct pikos_code_copy **all = realloc(copies.all, cap * sizeof(*all));
        if (all == NULL)
            return -1;
        copies.all = all;
        copies.cap = cap;
    }
    copies.all[copies.count++] = copy;
    return 0;
}

struct pikos_code_copy *pikos_code_copy_of(PyCodeObject *code)
{
    if ((copies.count + 1) * 2 > copies.nslots && copies_grow() < 0)
        return NULL;
    size_t i = copy_slot(code);
    if (copies.slots[i] != NULL && pikos_code_copy_is(copies.slots[i], code))
        return copies.slots[i];
    struct pikos_code_copy *copy = copy_make(code);
    if (copy == NULL || copies_keep(copy) < 0) {
        free(copy);
        return NULL;
    }
    copies.slots[i] = copy;
    return copy;
}

void pikos_code_copies_clear(void)
{
    for (size_t i = 0; i < copies.count; i++)
        free(copies.all[i]);
    free(copies.all);
    free(copies.slots);
    memset(&copies, 0, sizeof(copies));
}
