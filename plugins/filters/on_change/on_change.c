/*
 * filters/on_change - pass a record when its field differs from the
 * previous record's.
 *
 * The seed's OnChange(field): the first record passes, then a record
 * passes only when its field's value is not the one the record before it
 * had (whether or not that one passed).  A filter may sit behind several
 * monitors; each record schema has its own previous value, since the same
 * field name may mean another thing (or sit elsewhere) in another schema:
 * that state is the schema's context (ABI 1.2), kept by the host for the
 * run and handed back with every record of the schema.
 *
 * The previous value is copied, as a record lives only during the call
 * (text into a buffer of the schema's, grown only when a longer text
 * comes), so filtering allocates nothing in the common case.
 */
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

#include "../common/field.h"

#define ON_CHANGE_INITIAL_TEXT 256

/* The state kept for one schema: a schema's context. */
struct watched_schema {
    size_t field;
    uint32_t type;               /* the field's enum pikos_field_type */
    int seen;                    /* `previous` holds a value */
    struct pikos_value previous; /* text: points into `text` */
    char *text;
    size_t text_cap;
};

struct on_change_ctx {
    /* Option, stored by the host. */
    char *field;

    const struct pikos_host *host;
};

static const struct pikos_option on_change_options[] = {
    {"field", PIKOS_OPT_STRING, PIKOS_OPTION_REQUIRED, NULL,
     "name of the record field to watch (e.g. function)",
     offsetof(struct on_change_ctx, field)},
    {0},
};

static int on_change_init(struct pikos_instance *inst, void *ctx,
                          const struct pikos_host *host)
{
    struct on_change_ctx *self = ctx;
    self->host = host;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ preparing */

static void on_change_release(struct pikos_instance *inst, void *ctx,
                              const struct pikos_schema *schema,
                              void *schema_ctx)
{
    struct watched_schema *w = schema_ctx;

    free(w->text);
    free(w);
}

static int watch_schema(struct pikos_instance *inst, struct on_change_ctx *self,
                        const struct pikos_schema *schema,
                        struct watched_schema *w)
{
    int rc =
        filter_field_index(inst, self->host, self->field, schema, &w->field);

    if (rc != PIKOS_OK)
        return rc;
    w->type = schema->fields[w->field].type;
    if (w->type == PIKOS_FIELD_STR) {
        w->text = malloc(ON_CHANGE_INITIAL_TEXT);
        if (w->text == NULL)
            return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
        w->text_cap = ON_CHANGE_INITIAL_TEXT;
    }
    return PIKOS_OK;
}

static int on_change_prepare(struct pikos_instance *inst, void *ctx,
                             const struct pikos_schema *schema,
                             void **schema_ctx)
{
    struct on_change_ctx *self = ctx;
    struct watched_schema *w = calloc(1, sizeof(*w));
    int rc;

    if (w == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    rc = watch_schema(inst, self, schema, w);
    if (rc != PIKOS_OK) { /* the host keeps nothing of a failed prepare */
        on_change_release(inst, ctx, schema, w);
        return rc;
    }
    *schema_ctx = w;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ filtering */

/* Copies a text value into the schema's buffer, growing it if needed. */
static int keep_text(struct watched_schema *w, const struct pikos_value *value)
{
    size_t len = value->u.s.len;
    if (len > w->text_cap) {
        size_t cap = w->text_cap * 2 > len ? w->text_cap * 2 : len;
        char *text = realloc(w->text, cap);
        if (text == NULL)
            return PIKOS_ENOMEM;
        w->text = text;
        w->text_cap = cap;
    }
    if (len > 0)
        memcpy(w->text, value->u.s.ptr, len);
    w->previous.u.s.ptr = w->text;
    w->previous.u.s.len = len;
    return PIKOS_OK;
}

/* Keeps `value` as the schema's previous value. */
static int remember(struct pikos_instance *inst, struct on_change_ctx *self,
                    struct watched_schema *w, const struct pikos_value *value)
{
    if (w->type != PIKOS_FIELD_STR) {
        w->previous = *value;
    } else if (keep_text(w, value) != PIKOS_OK) {
        w->seen = 0;
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    }
    w->seen = 1;
    return PIKOS_OK;
}

static int on_change_filter(struct pikos_instance *inst, void *ctx,
                            void *schema_ctx, const struct pikos_record *rec)
{
    struct watched_schema *w = schema_ctx;
    const struct pikos_value *value = &rec->values[w->field];

    if (w->seen && filter_same_value(w->type, &w->previous, value))
        return PIKOS_DROP;
    /* A value that could not be kept still changed: it passes, and the
       next record passes too (the error is reported at stop). */
    remember(inst, ctx, w, value);
    return PIKOS_PASS;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_FILTER,
    .name = "on_change",
    .version = "0.1.0",
    .description = "Pass a record when its field differs from the previous "
                   "record's",
    .options = on_change_options,
    .ctx_size = sizeof(struct on_change_ctx),
    .init = on_change_init,
    .prepare_schema = on_change_prepare,
    .filter_schema = on_change_filter,
    .release_schema = on_change_release,
});
