/*
 * recorders/list - every record kept in memory, for the embedder to read.
 *
 * The seed's ListRecorder.  A C program (or the Python package) asks for
 * the records with pikos_instance_query(inst, "records", &list), which
 * fills a struct pikos_record_list; its records point into this plugin's
 * storage and stay valid until the next record arrives or the instance is
 * freed.  The schemas they point to belong to the monitors that emitted
 * them (valid while those plugins stay loaded).
 *
 * Memory grows with the number of records, as a list does: nothing is
 * dropped or written anywhere.  To keep recording cheap, each record's
 * values and the bytes of its texts are copied in one piece into an arena
 * of large chunks (a new chunk every CHUNK_SIZE bytes, never moved), and
 * the array of records doubles when full: no allocation per record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

#define CHUNK_SIZE ((size_t)1 << 20)
#define INITIAL_RECORDS 1024
#define QUERY_RECORDS "records"

/* A piece of the arena; `data` is aligned for struct pikos_value. */
struct chunk {
    struct chunk *next;
    size_t used;
    size_t cap;
    _Alignas(struct pikos_value) char data[];
};

struct list_ctx {
    const struct pikos_host *host;
    struct chunk *chunks; /* the one being filled first */
    struct pikos_record *records;
    size_t count;
    size_t cap;
};

/* ------------------------------------------------------------ the arena */

static size_t align_up(size_t size)
{
    size_t a = _Alignof(struct pikos_value);
    return (size + a - 1) & ~(a - 1);
}

/* A new chunk of at least `size` bytes.  One larger than CHUNK_SIZE is put
   behind the chunk being filled, which keeps its free room. */
static char *arena_new_chunk(struct list_ctx *self, size_t size)
{
    size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;
    struct chunk *c = malloc(sizeof(*c) + cap);
    if (c == NULL)
        return NULL;
    c->used = size;
    c->cap = cap;
    if (size > CHUNK_SIZE && self->chunks != NULL) {
        c->next = self->chunks->next;
        self->chunks->next = c;
    } else {
        c->next = self->chunks;
        self->chunks = c;
    }
    return c->data;
}

static char *arena_alloc(struct list_ctx *self, size_t size)
{
    struct chunk *c = self->chunks;
    size = align_up(size);
    if (c == NULL || c->cap - c->used < size)
        return arena_new_chunk(self, size);
    char *p = c->data + c->used;
    c->used += size;
    return p;
}

static void arena_free(struct list_ctx *self)
{
    while (self->chunks != NULL) {
        struct chunk *next = self->chunks->next;
        free(self->chunks);
        self->chunks = next;
    }
}

/* ------------------------------------------------------------ recording */

/* Bytes a copy of the record takes: its values, then each text and a NUL
   (not counted in the text's length; it helps C readers). */
static size_t copy_size(const struct pikos_record *rec)
{
    const struct pikos_schema *schema = rec->schema;
    size_t size = schema->nfields * sizeof(struct pikos_value);
    for (size_t i = 0; i < schema->nfields; i++)
        if (schema->fields[i].type == PIKOS_FIELD_STR)
            size += rec->values[i].u.s.len + 1;
    return size;
}

/* Copies the record's values and texts into `dst` (copy_size bytes). */
static const struct pikos_value *copy_values(const struct pikos_record *rec,
                                             char *dst)
{
    const struct pikos_schema *schema = rec->schema;
    struct pikos_value *values = (struct pikos_value *)dst;
    char *text = dst + schema->nfields * sizeof(struct pikos_value);
    memcpy(values, rec->values, schema->nfields * sizeof(*values));
    for (size_t i = 0; i < schema->nfields; i++) {
        if (schema->fields[i].type != PIKOS_FIELD_STR)
            continue;
        size_t len = rec->values[i].u.s.len;
        if (len > 0)
            memcpy(text, rec->values[i].u.s.ptr, len);
        text[len] = '\0';
        values[i].u.s.ptr = text;
        text += len + 1;
    }
    return values;
}

static int make_room(struct list_ctx *self)
{
    if (self->count < self->cap)
        return PIKOS_OK;
    size_t cap = self->cap ? self->cap * 2 : INITIAL_RECORDS;
    struct pikos_record *records =
        realloc(self->records, cap * sizeof(*records));
    if (records == NULL)
        return PIKOS_ENOMEM;
    self->records = records;
    self->cap = cap;
    return PIKOS_OK;
}

static int list_record(struct pikos_instance *inst, void *ctx,
                       const struct pikos_record *rec)
{
    struct list_ctx *self = ctx;
    char *copy = NULL;
    if (make_room(self) == PIKOS_OK)
        copy = arena_alloc(self, copy_size(rec));
    if (copy == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM,
                                     "out of memory after keeping %zu records",
                                     self->count);
    self->records[self->count].schema = rec->schema;
    self->records[self->count].values = copy_values(rec, copy);
    self->count++;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ lifecycle */

static int list_init(struct pikos_instance *inst, void *ctx,
                     const struct pikos_host *host)
{
    struct list_ctx *self = ctx;
    self->host = host;
    return PIKOS_OK;
}

static int list_query(struct pikos_instance *inst, void *ctx, const char *what,
                      void *answer)
{
    struct list_ctx *self = ctx;
    if (strcmp(what, QUERY_RECORDS) != 0)
        return PIKOS_ENOTFOUND;
    struct pikos_record_list *list = answer;
    list->count = self->count;
    list->records = self->records;
    return PIKOS_OK;
}

static void list_fini(struct pikos_instance *inst, void *ctx)
{
    struct list_ctx *self = ctx;
    arena_free(self);
    free(self->records);
    self->records = NULL;
    self->count = 0;
    self->cap = 0;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "list",
    .version = "0.1.0",
    .description = "Keep every record in memory (read through the embedder "
                   "API; memory grows with the records)",
    .ctx_size = sizeof(struct list_ctx),
    .init = list_init,
    .fini = list_fini,
    .record = list_record,
    .query = list_query,
});
