/* plugins/recorders/perfetto/intern.c - see intern.h. */
#include <stdlib.h>
#include <string.h>

#include "intern.h"

/* Entries recently found, by the addresses of their key's strings.  A
   record's strings are borrowed for the call only, but a monitor passes
   the same function's name and file from the same buffers each time
   (its code object's), so a lookup by address skips hashing their text
   on almost every event.  Once a buffer is freed its address may hold
   other text: a hit is confirmed by content (lengths, then bytes), which
   costs a fraction of hashing it. */
#define RECENT_BITS 9
struct recent {
    const char *function, *file; /* the key's addresses */
    const struct intern_entry *entry;
};

/* An open-addressing hash table of entries, at most half full, and the
   entries found recently. */
struct intern_table {
    struct intern_entry **slots;
    size_t cap; /* a power of two */
    size_t count;
    struct recent recent[1u << RECENT_BITS];
};

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

/* The 8 or 4 bytes at `p`, as one load (at any alignment). */
static inline uint64_t word_at(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

static inline uint32_t half_at(const char *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* Whether `len` bytes at `a` and `b` are the same: a word at a time, the
   last word overlapping the one before.  Names are short: memcmp's call
   and set-up cost more than such a compare. */
static inline int same_bytes(const char *a, const char *b, size_t len)
{
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8)
            if (word_at(a + i) != word_at(b + i))
                return 0;
        return word_at(a + len - 8) == word_at(b + len - 8);
    }
    if (len >= 4)
        return half_at(a) == half_at(b) &&
               half_at(a + len - 4) == half_at(b + len - 4);
    /* 0 to 3 bytes: the first, middle and last cover them all */
    return len == 0 || (a[0] == b[0] && a[len / 2] == b[len / 2] &&
                        a[len - 1] == b[len - 1]);
}

static inline int same_text(const char *s, size_t len, struct timed_text t)
{
    return len == t.len && same_bytes(s, t.ptr, len);
}

static int entry_is(const struct intern_entry *e, uint64_t hash,
                    const struct intern_key *key)
{
    return e->hash == hash && e->kind == key->kind && e->line == key->line &&
           same_text(e->function, e->function_len, key->function) &&
           same_text(e->file, e->file_len, key->file);
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

/* The entry of `key`, from the table, added when new.  Out of line, so
   that intern_get's usual path (a recent entry) stays short. */
static __attribute__((noinline)) const struct intern_entry *
find_or_add(struct intern_table *table, const struct intern_key *key,
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

/* The pair of recent entries where `key` may be: a multiplicative hash
   of its addresses, line and kind picks the pair.  Two ways, so that two
   functions a loop calls in turn cannot keep evicting each other. */
static struct recent *recent_pair(struct intern_table *table,
                                  const struct intern_key *key)
{
    uint64_t h = (uint64_t)(uintptr_t)key->function.ptr ^
                 (uint64_t)(uintptr_t)key->file.ptr << 1 ^
                 (uint64_t)key->line << 20 ^ (uint64_t)key->kind;
    h *= 0x9e3779b97f4a7c15ull;
    return &table->recent[(h >> (64 - RECENT_BITS)) & ~(uint64_t)1];
}

/* Whether a recent entry is `key`'s: the same addresses, and (as they
   may hold other text by now) the same content. */
static int recent_is(const struct recent *r, const struct intern_key *key)
{
    const struct intern_entry *e = r->entry;
    return e != NULL && r->function == key->function.ptr &&
           r->file == key->file.ptr && e->kind == key->kind &&
           e->line == key->line &&
           same_text(e->function, e->function_len, key->function) &&
           same_text(e->file, e->file_len, key->file);
}

const struct intern_entry *intern_get(struct intern_table *table,
                                      const struct intern_key *key,
                                      const struct timed_text *label)
{
    struct recent *pair = recent_pair(table, key);
    if (recent_is(&pair[0], key))
        return pair[0].entry;
    if (recent_is(&pair[1], key))
        return pair[1].entry;
    const struct intern_entry *entry = find_or_add(table, key, label);
    if (entry != NULL) { /* the older of the two goes */
        pair[1] = pair[0];
        pair[0] = (struct recent){key->function.ptr, key->file.ptr, entry};
    }
    return entry;
}
