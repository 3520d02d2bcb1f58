/* plugins/recorders/common/timed.c - see timed.h. */
#include <string.h>

#include "timed.h"

/* The index of the field `name` of `type`, or -1. */
static int field_of(const struct pikos_schema *schema, const char *name,
                    uint32_t type)
{
    for (size_t i = 0; i < schema->nfields; i++)
        if (schema->fields[i].type == type &&
            strcmp(schema->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

int timed_schema_bind(struct pikos_instance *inst,
                      const struct pikos_host *host, const char *what,
                      const struct pikos_schema *schema,
                      struct timed_schema *b)
{
    b->schema = schema;
    b->type = field_of(schema, "type", PIKOS_FIELD_STR);
    b->function = field_of(schema, "function", PIKOS_FIELD_STR);
    b->filename = field_of(schema, "filename", PIKOS_FIELD_STR);
    b->lineno = field_of(schema, "lineNo", PIKOS_FIELD_INT);
    b->first_lineno = field_of(schema, "firstLineNo", PIKOS_FIELD_INT);
    b->time = field_of(schema, "time", PIKOS_FIELD_INT);
    b->thread = field_of(schema, "thread", PIKOS_FIELD_INT);
    b->line = field_of(schema, "line", PIKOS_FIELD_STR);
    b->rss = field_of(schema, "RSS", PIKOS_FIELD_INT);
    b->vms = field_of(schema, "VMS", PIKOS_FIELD_INT);
    if (b->time < 0 || b->thread < 0)
        return host->set_error(
            inst, PIKOS_EINVAL,
            "%s takes timed records: %s has no time and thread fields "
            "(give the monitor time=true, e.g. monitors/functions:time=true)",
            what, schema->name);
    if (b->type < 0 && b->lineno < 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "%s cannot read %s: it has neither a type "
                               "(function events) nor a lineNo (line events)",
                               what, schema->name);
    return PIKOS_OK;
}

static struct timed_text text_of(const struct pikos_value *values, int i)
{
    struct timed_text t = {"", 0};
    if (i >= 0 && values[i].u.s.len > 0) {
        t.ptr = values[i].u.s.ptr;
        t.len = values[i].u.s.len;
    }
    return t;
}

/* Whether the event names where it happens: the end of a call names
   nothing its beginning did not. */
static int names_something(enum timed_kind kind)
{
    return kind == TIMED_CALL || kind == TIMED_C_CALL || kind == TIMED_LINE;
}

void timed_event_read(const struct timed_schema *b,
                      const struct pikos_value *values,
                      struct timed_event *e)
{
    static const struct timed_text none = {"", 0};

    e->kind = b->type >= 0 ? timed_kind_of(text_of(values, b->type)) : TIMED_LINE;
    e->time_ns = (uint64_t)values[b->time].u.i;
    e->thread = (uint64_t)values[b->thread].u.i;
    e->has_memory = b->rss >= 0 && b->vms >= 0;
    e->rss = e->has_memory ? values[b->rss].u.i : 0;
    e->vms = e->has_memory ? values[b->vms].u.i : 0;
    if (!names_something(e->kind)) {
        e->function = e->filename = e->line = none;
        e->lineno = e->first_lineno = 0;
        return;
    }
    e->function = text_of(values, b->function);
    e->filename = text_of(values, b->filename);
    e->line = text_of(values, b->line);
    e->lineno = b->lineno >= 0 ? values[b->lineno].u.i : 0;
    e->first_lineno = b->first_lineno >= 0 ? values[b->first_lineno].u.i : 0;
}
