/*
 * plugins/filters/common/field.{c,h} - what every filter that reads one
 * named field of the records does the same way: find the field in each
 * record schema it is shown (prepare_schema), with one clear message when
 * the field is not there; compare two values of the field.
 *
 * Compiled into each filter module that needs it.
 */
#ifndef PIKOS_FILTERS_FIELD_H
#define PIKOS_FILTERS_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pikos/plugin.h>

/* Stores the index of the field named `field` in `schema`; when the
   schema has no such field, returns PIKOS_ENOTFOUND, with an error naming
   the field, the schema and the fields it has. */
int filter_field_index(struct pikos_instance *inst,
                       const struct pikos_host *host, const char *field,
                       const struct pikos_schema *schema, size_t *index);

/* Whether two values of a field of `type` (enum pikos_field_type) are
   equal.  Inline: filters call it for every record. */
static inline int filter_same_value(uint32_t type, const struct pikos_value *a,
                                    const struct pikos_value *b)
{
    if (type == PIKOS_FIELD_INT)
        return a->u.i == b->u.i;
    if (type == PIKOS_FIELD_FLOAT)
        return a->u.f == b->u.f; /* NaN differs from itself, as in Python */
    /* An empty text may come with a NULL pointer: memcmp must not see it. */
    return a->u.s.len == b->u.s.len &&
           (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
}

#endif /* PIKOS_FILTERS_FIELD_H */
