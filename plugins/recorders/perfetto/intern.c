/* plugins/recorders/perfetto/intern.c - see intern.h. */
#include <stdlib.h>
#include <string.h>

#include "intern.h"

struct intern_table *intern_new(void)
{
    struct intern_table *table = calloc(1, sizeof(*table));
    if (table == NULL)
        return NULL;
    table->cap = 64;
    table->slots = calloc(table->cap, sizeof(*table->slots));
    if (table->slots == NULL) {
        free(table);
        return NULL;
    }
    return table;
}

void intern_free(struct intern_table *table)
{
    if (table == NULL)
        return;
    for (size_t i = 0; i < table->cap; i++)
        free(table->slots[i]); /* an entry and its strings are one block */
    free(table->slots);
    free(table);
}

size_t intern_count(const struct intern_table *table)
{
    return table->count;
}

/* FNV-1a, 64 bits, continued from `h`. */
static uint64_t hash_bytes(uint64_t h, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t hash_key(const struct intern_key *key)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = hash_bytes(h, (const char *)&key->kind, sizeof(key->kind));
    h = hash_bytes(h, key->function.ptr, key->function.len);
    h = hash_bytes(h, "\0", 1); /* so that "ab"+"c" differs from "a"+"bc" */
    h = hash_bytes(h, key->file.ptr, key->file.len);
    return hash_bytes(h, (const char *)&key->line, sizeof(key->line));
}

static int entry_is(const struct intern_entry *e, uint64_t hash,
                    const struct intern_key *key)
{
    return e->hash == hash && e->kind == key->kind && e->line == key->line &&
           intern_same_text(e->function, e->function_len, key->function) &&
           intern_same_text(e->file, e->file_len, key->file);
}

/* The slot holding `key`'s entry, or the empty one where it would go. */
static struct intern_entry **slot_of(const struct intern_table *table,
                                     uint64_t hash,
                                     const struct intern_key *key)
{
    size_t i = (size_t)hash & (table->cap - 1);
    while (table->slots[i] != NULL && !entry_is(table->slots[i], hash, key))
        i = (i + 1) & (table->cap - 1);
    return &table->slots[i];
}

/* Twice the slots, the entries placed anew; 0 when out of memory.  (The
   recent entries stay: entries never move.) */
static int grow(struct intern_table *table)
{
    size_t cap = 2 * table->cap;
    struct intern_entry **slots = calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return 0;
    for (size_t i = 0; i < table->cap; i++) {
        struct intern_entry *e = table->slots[i];
        if (e == NULL)
            continue;
        size_t j = (size_t)e->hash & (cap - 1);
        while (slots[j] != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = e;
    }
    free(table->slots);
    table->slots = slots;
    table->cap = cap;
    return 1;
}

/* Copies `t` to `dst` with a NUL; returns the byte after it. */
static char *copy_text(char *dst, char **field, size_t *len,
                       struct timed_text t)
{
    if (t.len > 0)
        memcpy(dst, t.ptr, t.len);
    dst[t.len] = '\0';
    *field = dst;
    *len = t.len;
    return dst + t.len + 1;
}

/* A new entry and its strings in one block; NULL when out of memory. */
static struct intern_entry *new_entry(const struct intern_key *key,
                                      struct timed_text label, uint64_t hash,
                                      uint64_t iid)
{
    size_t size = sizeof(struct intern_entry) + label.len + key->function.len +
                  key->file.len + 3;
    struct intern_entry *e = malloc(size);
    if (e == NULL)
        return NULL;
    char *text = (char *)(e + 1);
    text = copy_text(text, &e->label, &e->label_len, label);
    text = copy_text(text, &e->function, &e->function_len, key->function);
    copy_text(text, &e->file, &e->file_len, key->file);
    e->iid = iid;
    e->kind = key->kind;
    e->line = key->line;
    e->hash = hash;
    return e;
}

/* The entry of `key`, from the table, added when new. */
static const struct intern_entry *find_or_add(struct intern_table *table,
                                              const struct intern_key *key,
                                              const struct timed_text *label)
{
    uint64_t hash = hash_key(key);
    struct intern_entry **slot = slot_of(table, hash, key);
    if (*slot != NULL)
        return *slot;
    if (2 * (table->count + 1) > table->cap) {
        if (!grow(table))
            return NULL;
        slot = slot_of(table, hash, key);
    }
    *slot =
        new_entry(key, label ? *label : key->function, hash, table->count + 1);
    if (*slot != NULL)
        table->count++;
    return *slot;
}

const struct intern_entry *intern_find(struct intern_table *table,
                                       struct intern_recent *pair,
                                       const struct intern_key *key,
                                       const struct timed_text *label)
{
    if (intern_recent_is(&pair[1], key))
        return pair[1].entry;
    const struct intern_entry *entry = find_or_add(table, key, label);
    if (entry != NULL) { /* the most recent of its pair; the older goes */
        pair[1] = pair[0];
        pair[0] =
            (struct intern_recent){key->function.ptr, key->file.ptr, entry};
    }
    return entry;
}
