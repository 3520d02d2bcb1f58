/* plugins/filters/common/values.c - see values.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

int values_filter_init(struct pikos_instance *inst, void *ctx,
                       const struct pikos_host *host)
{
    struct values_filter *self = ctx;
    self->host = host;
    return PIKOS_OK;
}

/* ------------------------------------------------------------ preparing */

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

static int convert_value(struct pikos_instance *inst,
                         struct values_filter *self,
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

static int convert_values(struct pikos_instance *inst,
                          struct values_filter *self,
                          struct prepared_schema *prep,
                          const struct pikos_schema *schema)
{
    int rc =
        filter_field_index(inst, self->host, self->field, schema, &prep->field);
    if (rc != PIKOS_OK)
        return rc;
    prep->schema = schema;
    prep->type = schema->fields[prep->field].type;
    prep->values = calloc(self->values.count + 1, sizeof(*prep->values));
    if (prep->values == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    for (size_t i = 0; i < self->values.count && rc == PIKOS_OK; i++)
        rc = convert_value(inst, self, prep, i);
    return rc;
}

int values_filter_prepare(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema, void **schema_ctx)
{
    struct values_filter *self = ctx;
    struct prepared_schema *prep = calloc(1, sizeof(*prep));
    int rc;

    if (prep == NULL)
        return self->host->set_error(inst, PIKOS_ENOMEM, "out of memory");
    rc = convert_values(inst, self, prep, schema);
    if (rc != PIKOS_OK) { /* the host keeps nothing of a failed prepare */
        values_filter_release(inst, ctx, schema, prep);
        return rc;
    }
    *schema_ctx = prep;
    return PIKOS_OK;
}

void values_filter_release(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void *schema_ctx)
{
    struct prepared_schema *prep = schema_ctx;

    free(prep->values);
    free(prep);
}
