/*
 * plugins/filters/common/values.{c,h} - the filters that compare one field
 * of every record with a list of values: filters/on_value (passes the
 * records that match) and filters/not_on_value (passes those that do not).
 *
 * The options arrive as text; the first time the filter sees a schema it
 * finds the field's index and turns the values into the field's type, so
 * that matching a record is one comparison per value with no parsing.  A
 * filter may sit behind several monitors, so it keeps that prepared form
 * for a few schemas.
 *
 * Both filters use struct values_filter as their context, the option
 * table entries VALUES_FILTER_OPTIONS, and the functions below as their
 * init, filter_prepare and fini; their own code is the verdict.
 */
#ifndef PIKOS_FILTERS_VALUES_H
#define PIKOS_FILTERS_VALUES_H

#include <stddef.h>

#include <pikos/plugin.h>

#include "field.h"

/* The values converted for one schema. */
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
    size_t nprepared;
    struct prepared_schema prepared[FILTER_MAX_SCHEMAS];
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
/* Finds the field in `schema` and converts the values to its type; errors
   name the field or the value that does not fit. */
int values_filter_prepare(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema);
void values_filter_fini(struct pikos_instance *inst, void *ctx);

/* What values_filter_match finds. */
enum values_match {
    VALUES_MATCH,      /* the record's field equals one of the values */
    VALUES_NO_MATCH,   /* it equals none */
    VALUES_UNPREPARED, /* the schema could not be prepared (the field is not
                          in it): the error is kept, reported at stop */
};

enum values_match values_filter_match(struct pikos_instance *inst,
                                      struct values_filter *self,
                                      const struct pikos_record *rec);

#endif /* PIKOS_FILTERS_VALUES_H */
