/*
 * count_calls - an out-of-tree pikos recorder, as a third-party author
 * would write it.  It counts the records it receives per value of one field
 * (by default `function`) and writes a table, most frequent first, when
 * recording ends.  Every monitor's records come to it (with two
 * monitors, two schemas); the field's index in each schema is that
 * schema's context (plugin ABI 1.2): the host keeps it and hands it back
 * with each record of the schema.
 *
 * Build:   make            (uses `pkg-config --cflags --libs pikos`)
 * Use:     PIKOS_PLUGIN_PATH=$PWD pikos --plugin recorders/count_calls app.py
 */
#include <pikos/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counter {
    char *key;
    size_t key_len;
    uint64_t count;
};

struct count_calls {
    /* options, filled by the host */
    char *filename;
    char *field;
    /* state */
    const struct pikos_host *host;
    struct pikos_output *out;
    struct counter *table; /* open addressing, capacity a power of two */
    size_t capacity;
    size_t used;
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static struct counter *find_slot(struct counter *table, size_t capacity,
                                 const char *key, size_t len)
{
    size_t i = hash_bytes(key, len) & (capacity - 1);
    while (table[i].key &&
           (table[i].key_len != len || memcmp(table[i].key, key, len) != 0))
        i = (i + 1) & (capacity - 1);
    return &table[i];
}

static int grow(struct count_calls *cc)
{
    size_t capacity = cc->capacity ? cc->capacity * 2 : 64;
    struct counter *table = calloc(capacity, sizeof *table);
    if (!table)
        return -1;
    for (size_t i = 0; i < cc->capacity; i++) {
        struct counter *old = &cc->table[i];
        if (old->key)
            *find_slot(table, capacity, old->key, old->key_len) = *old;
    }
    free(cc->table);
    cc->table = table;
    cc->capacity = capacity;
    return 0;
}

static int count(struct count_calls *cc, const char *key, size_t len)
{
    if ((cc->used + 1) * 2 > cc->capacity && grow(cc) != 0)
        return -1;
    struct counter *slot = find_slot(cc->table, cc->capacity, key, len);
    if (!slot->key) {
        slot->key = malloc(len + 1); /* once per distinct key */
        if (!slot->key)
            return -1;
        memcpy(slot->key, key, len);
        slot->key[len] = '\0';
        slot->key_len = len;
        cc->used++;
    }
    slot->count++;
    return 0;
}

static int cc_init(struct pikos_instance *inst, void *ctx,
                   const struct pikos_host *host)
{
    struct count_calls *cc = ctx;
    cc->host = host;
    cc->out = host->output_open(inst, cc->filename);
    return cc->out ? PIKOS_OK : PIKOS_EIO;
}

/* The schema's context is the field's index, held in the pointer itself:
   nothing to allocate, so no release_schema either. */
static int cc_prepare(struct pikos_instance *inst, void *ctx,
                      const struct pikos_schema *schema, void **schema_ctx)
{
    struct count_calls *cc = ctx;
    int index = pikos_schema_field_index(schema, cc->field);
    if (index < 0 || schema->fields[index].type != PIKOS_FIELD_STR)
        return cc->host->set_error(inst, PIKOS_EINVAL,
                                   "%s has no text field '%s'", schema->name,
                                   cc->field);
    *schema_ctx = (void *)(uintptr_t)index;
    return PIKOS_OK;
}

static int cc_record(struct pikos_instance *inst, void *ctx, void *schema_ctx,
                     const struct pikos_record *rec)
{
    struct count_calls *cc = ctx;
    const struct pikos_value *v = &rec->values[(uintptr_t)schema_ctx];
    if (count(cc, v->u.s.ptr, v->u.s.len) != 0)
        return cc->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    return PIKOS_OK;
}

static int by_count_desc(const void *a, const void *b)
{
    const struct counter *x = *(const struct counter *const *)a;
    const struct counter *y = *(const struct counter *const *)b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

static void write_row(struct count_calls *cc, const char *count,
                      const char *key)
{
    char line[512];
    int len = snprintf(line, sizeof line, "%-12s %s\n", count, key);
    if (len >= (int)sizeof line)
        len = (int)sizeof line - 1; /* an overlong name is cut */
    if (len > 0)
        cc->host->output_write(cc->out, line, (size_t)len);
}

static int cc_finalize(struct pikos_instance *inst, void *ctx)
{
    struct count_calls *cc = ctx;
    const struct counter **rows = calloc(cc->used + 1, sizeof *rows);
    if (!rows)
        return cc->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < cc->capacity; i++)
        if (cc->table[i].key)
            rows[n++] = &cc->table[i];
    qsort(rows, n, sizeof *rows, by_count_desc);
    write_row(cc, "records", cc->field);
    for (size_t i = 0; i < n; i++) {
        char count[32];
        snprintf(count, sizeof count, "%llu",
                 (unsigned long long)rows[i]->count);
        write_row(cc, count, rows[i]->key);
    }
    free(rows);
    return cc->host->output_flush(cc->out);
}

static void cc_fini(struct pikos_instance *inst, void *ctx)
{
    struct count_calls *cc = ctx;
    for (size_t i = 0; i < cc->capacity; i++)
        free(cc->table[i].key);
    free(cc->table);
    if (cc->out)
        cc->host->output_close(cc->out);
}

static const struct pikos_option cc_options[] = {
    {"filename", PIKOS_OPT_STRING, 0, "", "where to write the table ('' = screen)",
     offsetof(struct count_calls, filename)},
    {"field", PIKOS_OPT_STRING, 0, "function", "the field whose values are counted",
     offsetof(struct count_calls, field)},
    {0}};

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "count_calls",
    .version = "1.0",
    .description = "Count records per function and print a table at the end",
    .options = cc_options,
    .ctx_size = sizeof(struct count_calls),
    .init = cc_init,
    .fini = cc_fini,
    .finalize = cc_finalize,
    .prepare_schema = cc_prepare,
    .record_schema = cc_record,
});
