/*
 * core/pipeline_fork.c - what becomes of the running pipelines in a forked
 * child: libpikos's side of fork.
 *
 * Right after the fork each running pipeline either goes on in the child,
 * when all its recorders can (plugin.h's after_fork) and every after_fork
 * of its instances succeeds, or stops recording: its monitors lose their
 * events and it is abandoned, its plugins being the parent's (pipeline.c
 * then neither stops them nor calls their `fini`).  A child about to exit
 * stops the pipelines that went on.
 *
 * core/fork.c is the Python side: it registers these steps with
 * os.register_at_fork and multiprocessing, and calls them when they are
 * due.
 */
#include <stddef.h>
#include <stdio.h>

#include "pipeline.h"

/* after_fork came with ABI 1.1: an older descriptor ends before it. */
static int can_after_fork(const struct pikos_plugin *plugin)
{
    return PIKOS_PLUGIN_HAS(plugin, after_fork) && plugin->after_fork != NULL;
}

/* Recorders hold what cannot be shared with a parent (files, sockets,
   threads): each must say how it goes on in a child. */
static int can_follow(const struct pikos_pipeline *pipe)
{
    if (pipe->recorders.count == 0)
        return 0;
    for (size_t i = 0; i < pipe->recorders.count; i++)
        if (!can_after_fork(pipe->recorders.items[i]->plugin))
            return 0;
    return 1;
}

static int call_after_fork(const struct instance_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        struct pikos_instance *inst = list->items[i];
        if (can_after_fork(inst->plugin) &&
            inst->plugin->after_fork(inst, inst->ctx) < 0)
            return -1;
    }
    return 0;
}

size_t pikos_pipelines_after_fork(void)
{
    size_t following = 0;

    for (struct pikos_pipeline *pipe = pikos_pipelines_running(); pipe != NULL;
         pipe = pipe->next_running) {
        if (can_follow(pipe) && call_after_fork(&pipe->recorders) == 0 &&
            call_after_fork(&pipe->filters) == 0 &&
            call_after_fork(&pipe->monitors) == 0) {
            following++;
            continue;
        }
        pikos_pipeline_unhook(pipe);
        pipe->abandoned = 1;
    }
    return following;
}

void pikos_pipelines_finish(void)
{
    struct pikos_pipeline *pipe = pikos_pipelines_running();

    while (pipe != NULL) {
        struct pikos_error err = {0};
        struct pikos_pipeline *next = pipe->next_running;
        if (!pipe->abandoned) {
            pipe->start_count = 1; /* nested starts end here too */
            if (pikos_pipeline_stop(pipe, &err) < 0)
                fprintf(stderr, "pikos: %s\n", err.message);
            pipe->finished = 1;
        }
        pipe = next;
    }
}
