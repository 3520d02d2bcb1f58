/* plugins/monitors/common/memory_mode.c - see memory_mode.h. */
#include <errno.h>
#include <string.h>

#include "memory_mode.h"

static int host_has_memory(const struct pikos_host *host)
{
    return PIKOS_HOST_HAS(host, process_memory_sampled) &&
           host->process_memory != NULL &&
           host->memory_sampler_acquire != NULL &&
           host->memory_sampler_release != NULL &&
           host->process_memory_sampled != NULL;
}

int memory_mode_init(struct memory_mode *mode, struct pikos_instance *inst,
                     const struct pikos_host *host)
{
    if (!host_has_memory(host))
        return host->set_error(inst, PIKOS_EABI,
                               "this pikos cannot read process memory; "
                               "upgrade pikos to use this monitor");
    if (strcmp(mode->memory, "exact") == 0)
        mode->sampled = 0;
    else if (strcmp(mode->memory, "sampled") == 0)
        mode->sampled = 1;
    else
        return host->set_error(inst, PIKOS_EINVAL,
                               "option memory: '%s' is not one of exact, "
                               "sampled",
                               mode->memory);
    if (mode->interval <= 0)
        return host->set_error(inst, PIKOS_EINVAL,
                               "option interval: %lld is not a number of "
                               "microseconds > 0",
                               (long long)mode->interval);
    mode->host = host;
    mode->read =
        mode->sampled ? host->process_memory_sampled : host->process_memory;
    mode->sampler_held = 0;
    return PIKOS_OK;
}

int memory_mode_start(struct memory_mode *mode, struct pikos_instance *inst)
{
    uint64_t rss, vms;
    int rc;

    if (mode->host->process_memory(&rss, &vms) != PIKOS_OK)
        return mode->host->set_error(inst, PIKOS_EIO,
                                     "cannot read the process's memory: %s",
                                     strerror(errno));
    if (!mode->sampled || mode->sampler_held)
        return PIKOS_OK;
    rc = mode->host->memory_sampler_acquire(inst, (uint64_t)mode->interval);
    mode->sampler_held = rc == PIKOS_OK;
    return rc;
}

int memory_mode_stop(struct memory_mode *mode, struct pikos_instance *inst)
{
    if (mode->sampler_held) {
        mode->host->memory_sampler_release(inst);
        mode->sampler_held = 0;
    }
    return PIKOS_OK;
}

void memory_mode_failed(struct memory_mode *mode, struct pikos_instance *inst)
{
    mode->host->set_error(inst, PIKOS_EIO,
                          "cannot read the process's memory: %s",
                          strerror(errno));
}
