/*
 * core/pipeline.h - a pipeline's insides, between pipeline.c (building,
 * start and stop, emit) and pipeline_fork.c (what a forked child does with
 * the running pipelines).
 */
#ifndef PIKOS_PIPELINE_H
#define PIKOS_PIPELINE_H

#include "internal.h"

struct instance_list {
    struct pikos_instance **items;
    size_t count;
    size_t capacity;
};

struct pikos_pipeline {
    struct instance_list monitors;
    struct instance_list filters;
    struct instance_list recorders;
    unsigned int start_count; /* depth of nested start/stop pairs */
    /* The running pipelines of the process, for fork (pipeline_fork.c). */
    struct pikos_pipeline *next_running;
    int abandoned; /* a forked child's copy that stopped recording */
    /* Freed while a plugin was on some stack: freed when none is. */
    struct pikos_pipeline *next_deferred;
    int finished; /* stopped early, in a child about to exit */
    uint64_t started_ns; /* host clock when the current run started */
};

/* The first of the running pipelines (linked by next_running), or NULL. */
struct pikos_pipeline *pikos_pipelines_running(void) PIKOS_HIDDEN;
/* Stops giving the pipeline's monitors events. */
void pikos_pipeline_unhook(const struct pikos_pipeline *pipe) PIKOS_HIDDEN;

#endif /* PIKOS_PIPELINE_H */
