/* plugins/filters/common/field.c - see field.h. */
#include <stdio.h>

#include "field.h"

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

int filter_field_index(struct pikos_instance *inst,
                       const struct pikos_host *host, const char *field,
                       const struct pikos_schema *schema, size_t *index)
{
    char names[512];
    int found = pikos_schema_field_index(schema, field);

    if (found >= 0) {
        *index = (size_t)found;
        return PIKOS_OK;
    }
    list_field_names(schema, names, sizeof(names));
    return host->set_error(inst, PIKOS_ENOTFOUND,
                           "field '%s' is not in %s (fields: %s)", field,
                           schema->name, names);
}
