/*
 * bench/idle - a monitor that asks for no event, so pikos installs no hook.
 * `pikos --plugin monitors/idle prog.py` runs prog.py in pikos's embedded
 * interpreter unprofiled: the benchmark's baseline, and the host in which
 * it runs cProfile and the do-nothing hook, so that every configuration
 * runs on the same libpython.
 */
#include <pikos/plugin.h>

static void idle_on_event(struct pikos_instance *inst, void *ctx,
                          const struct pikos_event *ev)
{
}

static const struct pikos_field idle_fields[] = {{"index", PIKOS_FIELD_INT}};
static const struct pikos_schema idle_schema = {"IdleRecord", 1, idle_fields,
                                                "{}", "{}"};

PIKOS_PLUGIN_DEFINE({
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_MONITOR,
    .name = "idle",
    .version = "1.0",
    .description = "Ask for no event at all (benchmark baseline)",
    .event_mask = 0,
    .schema = &idle_schema,
    .on_event = idle_on_event,
});
