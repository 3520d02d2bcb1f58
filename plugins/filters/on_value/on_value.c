/*
 * filters/on_value - pass the records whose field equals one of some values.
 *
 * The seed's OnValue(field, *values).  The options arrive as text; the
 * first time the filter sees a schema it finds the field's index and turns
 * the values into the field's type, so that filtering a record is one
 * comparison per value with no parsing.  A filter may sit behind several
 * monitors, so it keeps that prepared form for a few schemas.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pikos/plugin.h>

#define ON_VALUE_MAX_SCHEMAS 8

/* The filter's values converted for one schema. */
struct prepared_schema {
    const struct pikos_schema *schema;
    size_t field;
    uint32_t type;              /* the field's enum pikos_field_type */
    struct pikos_value *values; /* one per item of the `values` option */
};

struct on_value_ctx {
    /* Options, stored by the host. */
    char *field;
    struct pikos_strlist values;

    const struct pikos_host *host;
    size_t nprepared;
    struct prepared_schema prepared[ON_VALUE_MAX_SCHEMAS];
};

static const struct pikos_option on_value_options[] = {
    {"field", PIKOS_OPT_STRING, PIKOS_OPTION_REQUIRED, NULL,
     "name of the record field to compare (e.g. function)",
     offsetof(struct on_value_ctx, field)},
    {"values", PIKOS_OPT_LIST, PIKOS_OPTION_REQUIRED, NULL,
     "values that let a record pass (list items are separated by semicolons)",
     offsetof(struct on_value_ctx, values)},
    {0},
};

static int on_value_init(struct pikos_instance *inst, void *ctx,
                         const struct pikos_host *host)
{
    struct on_value_ctx *self = ctx;
    self->host = host;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ preparing */

/* "index, type, function, ..." into buf, for error messages. */
static void list_field_names(const struct pikos_schema *schema, char *buf,
                             size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < schema->nfields && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                         schema->fields[i].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int report_unknown_field(struct pikos_instance *inst,
                                struct on_value_ctx *self,
                                const struct pikos_schema *schema)
{
    char names[512];
    list_field_names(schema, names, sizeof(names));
    return self->host->set_error(inst, PIKOS_ENOTFOUND,
                                 "field '%s' is not in %s (fields: %s)",
                                 self->field, schema->name, names);
}

/* Reads the whole of `text` as a number of the field's type. */
static int parse_number(uint32_t type, const char *text,
                        struct pikos_value *out)
{
    char *end;
    errno = 0;
    if (type == PIKOS_FIELD_INT)
        out->u.i = strtoll(text, &end, 10);
    else
        out->u.f = strtod(text, &end);
    return end != text && *end == '\0' && errno == 0 ? 0 : -1;
}

static int convert_value(struct pikos_instance *inst, struct on_value_ctx *self,
                         const struct prepared_schema *prep, size_t i)
{
    const char *text = self->values.items[i];
    struct pikos_value *out = &prep->values[i];
    if (prep->type == PIKOS_FIELD_STR) {
        out->u.s.ptr = text;
        out->u.s.len = strlen(text);
        return PIKOS_OK;
    }
    if (parse_number(prep->type, text, out) == 0)
        return PIKOS_OK;
    return self->host->set_error(
        inst, PIKOS_EINVAL,
        "value '%s' of option 'values' is not %s, as field '%s' of %s needs",
        text, prep->type == PIKOS_FIELD_INT ? "an integer" : "a number",
        self->field, prep->schema->name);
}

static int prepare_schema(struct pikos_instance *inst,
                          struct on_value_ctx *self,
                          struct prepared_schema *prep,
                          const struct pikos_schema *schema)
{
    int index = pikos_schema_field_index(schema, self->field);
    if (index < 0)
        return report_unknown_field(inst, self, schema);
    prep->schema = schema;
    prep->field = (size_t)index;
    prep->type = schema->fields[index].type;
    prep->values = calloc(self->values.count + 1, sizeof(*prep->values));
    if (prep->values == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    for (size_t i = 0; i < self->values.count; i++) {
        int rc = convert_value(inst, self, prep, i);
        if (rc != PIKOS_OK) {
            free(prep->values);
            prep->values = NULL;
            return rc;
        }
    }
    return PIKOS_OK;
}

static struct prepared_schema *find_prepared(struct on_value_ctx *self,
                                             const struct pikos_schema *schema)
{
    for (size_t i = 0; i < self->nprepared; i++)
        if (self->prepared[i].schema == schema)
            return &self->prepared[i];
    return NULL;
}

static int on_value_prepare(struct pikos_instance *inst, void *ctx,
                            const struct pikos_schema *schema)
{
    struct on_value_ctx *self = ctx;
    if (find_prepared(self, schema) != NULL)
        return PIKOS_OK;
    if (self->nprepared == ON_VALUE_MAX_SCHEMAS)
        return self->host->set_error(
            inst, PIKOS_EINVAL,
            "cannot filter more than %d record schemas at once (%s is one "
            "too many)",
            ON_VALUE_MAX_SCHEMAS, schema->name);
    int rc =
        prepare_schema(inst, self, &self->prepared[self->nprepared], schema);
    if (rc == PIKOS_OK)
        self->nprepared++;
    return rc;
}

/* ------------------------------------------------------------ filtering */

static int same_value(uint32_t type, const struct pikos_value *a,
                      const struct pikos_value *b)
{
    if (type == PIKOS_FIELD_INT)
        return a->u.i == b->u.i;
    if (type == PIKOS_FIELD_FLOAT)
        return a->u.f == b->u.f;
    /* An empty text may come with a NULL pointer: memcmp must not see it. */
    return a->u.s.len == b->u.s.len &&
           (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
}

static int on_value_filter(struct pikos_instance *inst, void *ctx,
                           const struct pikos_record *rec)
{
    struct on_value_ctx *self = ctx;
    const struct prepared_schema *prep = find_prepared(self, rec->schema);
    if (prep == NULL) {
        /* The host prepares every schema first; if it did not, do it now
           (a failure is kept as the sticky error). */
        if (on_value_prepare(inst, ctx, rec->schema) != PIKOS_OK)
            return PIKOS_DROP;
        prep = find_prepared(self, rec->schema);
    }
    const struct pikos_value *value = &rec->values[prep->field];
    for (size_t i = 0; i < self->values.count; i++)
        if (same_value(prep->type, value, &prep->values[i]))
            return PIKOS_PASS;
    return PIKOS_DROP;
}

static void on_value_fini(struct pikos_instance *inst, void *ctx)
{
    struct on_value_ctx *self = ctx;
    for (size_t i = 0; i < self->nprepared; i++)
        free(self->prepared[i].values);
    self->nprepared = 0;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_FILTER,
    .name = "on_value",
    .version = "0.1.0",
    .description = "Pass the records whose field equals one of the given "
                   "values",
    .options = on_value_options,
    .ctx_size = sizeof(struct on_value_ctx),
    .init = on_value_init,
    .fini = on_value_fini,
    .filter_prepare = on_value_prepare,
    .filter = on_value_filter,
});
