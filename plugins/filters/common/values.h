/*
 * plugins/filters/common/values.{c,h} - the filters that compare one field
 * of every record with a list of values: filters/on_value (passes the
 * records that match) and filters/not_on_value (passes those that do not).
 *
 * The options arrive as text; the first time the filter sees a schema it
 * finds the field's index and turns the values into the field's type, so
 * that matching a record is one comparison per value with no parsing.  A
 * filter may sit behind several monitors: that prepared form is the
 * schema's context (ABI 1.2), which the host keeps for each schema and
 * hands back with every record of it.
 *
 * Both filters use struct values_filter as their context, the option
 * table entries VALUES_FILTER_OPTIONS, and the functions below as their
 * init, prepare_schema and release_schema; their own code is the verdict.
 */
#ifndef PIKOS_FILTERS_VALUES_H
#define PIKOS_FILTERS_VALUES_H

#include <stddef.h>

#include <pikos/plugin.h>

#include "field.h"

/* The values converted for one schema: a schema's context. */
struct prepared_schema {
    const struct pikos_schema *schema;
    size_t field;
    uint32_t type;              /* the field's enum pikos_field_type */
    struct pikos_value *values; /* one per item of the `values` option */
};

struct values_filter {
    /* Options, stored by the host. */
    char *field;
    struct pikos_strlist values;

    const struct pikos_host *host;
};

/* The option table's two entries; `values_help` says what a match does. */
/* clang-format off */
#define VALUES_FILTER_OPTIONS(values_help)                                     \
    {"field", PIKOS_OPT_STRING, PIKOS_OPTION_REQUIRED, NULL,                   \
     "name of the record field to compare (e.g. function)",                    \
     offsetof(struct values_filter, field)},                                   \
    {"values", PIKOS_OPT_LIST, PIKOS_OPTION_REQUIRED, NULL, values_help,       \
     offsetof(struct values_filter, values)}
/* clang-format on */

int values_filter_init(struct pikos_instance *inst, void *ctx,
                       const struct pikos_host *host);
/* Finds the field in `schema` and converts the values to its type, into
   a new struct prepared_schema stored in *schema_ctx; errors name the
   field or the value that does not fit. */
int values_filter_prepare(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema, void **schema_ctx);
void values_filter_release(struct pikos_instance *inst, void *ctx,
                           const struct pikos_schema *schema, void *schema_ctx);

/* Whether the record's field equals one of the values.  Inline: filters
   call it for every record. */
static inline int values_filter_match(const struct values_filter *self,
                                      const struct prepared_schema *prep,
                                      const struct pikos_record *rec)
{
    const struct pikos_value *value = &rec->values[prep->field];

    for (size_t i = 0; i < self->values.count; i++)
        if (filter_same_value(prep->type, value, &prep->values[i]))
            return 1;
    return 0;
}

#endif /* PIKOS_FILTERS_VALUES_H */
