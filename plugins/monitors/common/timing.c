/* plugins/monitors/common/timing.c - see timing.h. */
#include "timing.h"

int timing_init(struct timing *t, struct pikos_instance *inst,
                const struct pikos_host *host)
{
    t->host = host;
    t->origin_ns = 0;
    if (t->enabled && !(PIKOS_HOST_HAS(host, os_thread_id) &&
                        host->run_started_ns != NULL &&
                        host->os_thread_id != NULL))
        return host->set_error(inst, PIKOS_EABI,
                               "time=true: this pikos cannot time records; "
                               "upgrade pikos");
    return PIKOS_OK;
}

void timing_start(struct timing *t, struct pikos_instance *inst)
{
    if (t->enabled)
        t->origin_ns = t->host->run_started_ns(inst);
}
