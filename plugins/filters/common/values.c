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

static int prepare_schema(struct pikos_instance *inst,
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
    for (size_t i = 0; i < self->values.count; i++) {
        rc = convert_value(inst, self, prep, i);
        if (rc != PIKOS_OK) {
            free(prep->values);
            prep->values = NULL;
            return rc;
        }
    }
    return PIKOS_OK;
}

static struct prepared_schema *find_prepared(struct values_filter *self,
                                             const struct pikos_schema *schema)
{
    for (size_t i = 0; i < self->nprepared; i++)
        if (self->prepared[i].schema == schema)
            return &self->prepared[i];
    return NULL;
}

int values_filter_prepare(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema)
{
    struct values_filter *self = ctx;
    int rc;

    if (find_prepared(self, schema) != NULL)
        return PIKOS_OK;
    rc = filter_schema_room(inst, self->host, self->nprepared, schema);
    if (rc == PIKOS_OK)
        rc = prepare_schema(inst, self, &self->prepared[self->nprepared],
                            schema);
    if (rc == PIKOS_OK)
        self->nprepared++;
    return rc;
}

void values_filter_fini(struct pikos_instance *inst, void *ctx)
{
    struct values_filter *self = ctx;
    for (size_t i = 0; i < self->nprepared; i++)
        free(self->prepared[i].values);
    self->nprepared = 0;
}

/* ------------------------------------------------------------ matching */

enum values_match values_filter_match(struct pikos_instance *inst,
                                      struct values_filter *self,
                                      const struct pikos_record *rec)
{
    const struct prepared_schema *prep = find_prepared(self, rec->schema);
    if (prep == NULL) {
        /* The host prepares every schema first; if it did not, do it now
           (a failure is kept as the sticky error). */
        if (values_filter_prepare(inst, self, rec->schema) != PIKOS_OK)
            return VALUES_UNPREPARED;
        prep = find_prepared(self, rec->schema);
    }
    const struct pikos_value *value = &rec->values[prep->field];
    for (size_t i = 0; i < self->values.count; i++)
        if (filter_same_value(prep->type, value, &prep->values[i]))
            return VALUES_MATCH;
    return VALUES_NO_MATCH;
}
