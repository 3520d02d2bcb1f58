/*
 * filters/on_value - pass the records whose field equals one of some values.
 *
 * The seed's OnValue(field, *values).  Preparing the values for each
 * record schema and matching a record are common/values.c's, shared with
 * filters/not_on_value; this file gives the verdict.
 */
#include <pikos/plugin.h>

#include "../common/values.h"

static const struct pikos_option on_value_options[] = {
    VALUES_FILTER_OPTIONS("values that let a record pass (list items are "
                          "separated by semicolons)"),
    {0},
};

static int on_value_filter(struct pikos_instance *inst, void *ctx,
                           void *schema_ctx, const struct pikos_record *rec)
{
    if (values_filter_match(ctx, schema_ctx, rec))
        return PIKOS_PASS;
    return PIKOS_DROP;
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
    .ctx_size = sizeof(struct values_filter),
    .init = values_filter_init,
    .prepare_schema = values_filter_prepare,
    .filter_schema = on_value_filter,
    .release_schema = values_filter_release,
});
