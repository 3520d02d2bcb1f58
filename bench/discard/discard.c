/*
 * bench/discard - a recorder that throws every record away, so that the
 * benchmark can measure a monitor's own cost (hook, dispatch, building the
 * record, the pipeline) without any formatting or I/O.
 */
#include <pikos/plugin.h>

static int discard_record(struct pikos_instance *inst, void *ctx,
                          const struct pikos_record *rec)
{
    return PIKOS_OK;
}

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "discard",
    .version = "1.0",
    .description = "Throw every record away (benchmarks)",
    .record = discard_record,
});
