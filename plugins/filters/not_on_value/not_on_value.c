/*
 * filters/not_on_value - pass the records whose field equals none of some
 * values.
 *
 * The seed's NotOnValue(field, *values): on_value with the verdict turned
 * round.  Finding the field in each schema, turning the values into the
 * field's type and comparing are on_value's own code, compiled into this
 * plugin (with its descriptor renamed, so that only this file's descriptor
 * is exported), so the two filters cannot drift apart.
 */
#define pikos_plugin_entry on_value_descriptor
#include "../on_value/on_value.c"
#undef pikos_plugin_entry

static const struct pikos_option not_on_value_options[] = {
    {"field", PIKOS_OPT_STRING, PIKOS_OPTION_REQUIRED, NULL,
     "name of the record field to compare (e.g. function)",
     offsetof(struct on_value_ctx, field)},
    {"values", PIKOS_OPT_LIST, PIKOS_OPTION_REQUIRED, NULL,
     "values that drop a record (list items are separated by semicolons)",
     offsetof(struct on_value_ctx, values)},
    {0},
};

/* A record whose schema cannot be prepared (the field is not in it) is
   dropped, as on_value drops it: the error is reported at stop. */
static int not_on_value_filter(struct pikos_instance *inst, void *ctx,
                               const struct pikos_record *rec)
{
    struct on_value_ctx *self = ctx;
    const struct prepared_schema *prep = find_prepared(self, rec->schema);
    if (prep == NULL) {
        if (on_value_prepare(inst, ctx, rec->schema) != PIKOS_OK)
            return PIKOS_DROP;
        prep = find_prepared(self, rec->schema);
    }
    const struct pikos_value *value = &rec->values[prep->field];
    for (size_t i = 0; i < self->values.count; i++)
        if (same_value(prep->type, value, &prep->values[i]))
            return PIKOS_DROP;
    return PIKOS_PASS;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_FILTER,
    .name = "not_on_value",
    .version = "0.1.0",
    .description = "Pass the records whose field equals none of the given "
                   "values",
    .options = not_on_value_options,
    .ctx_size = sizeof(struct on_value_ctx),
    .init = on_value_init,
    .fini = on_value_fini,
    .filter_prepare = on_value_prepare,
    .filter = not_on_value_filter,
});
