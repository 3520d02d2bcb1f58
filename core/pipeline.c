/*
 * core/pipeline.c - monitors -> filters -> recorders.
 *
 * A pipeline owns the instances added to it.  Starting it starts the
 * filters, prepares them for every schema of every monitor (each one a
 * monitor declares: ABI 1.5's instance_schemas), does the same for the
 * recorders, starts the monitors and finally hooks them to CPython;
 * stopping it goes the other way and then reports the first error any
 * plugin recorded while running.  Start and stop nest: only the outermost
 * pair does the work, as the seed's monitors enable and disable.
 *
 * Records reach a pipeline through pikos_pipeline_emit (host->emit), the hot
 * path: a plain loop over arrays, no allocation, no locks (the GIL, or the
 * embedder's single thread, serialises it).  A failing filter or recorder
 * there gets a sticky error and the record is dropped.
 *
 * What a forked child does with the running pipelines is in
 * pipeline_fork.c (their insides: pipeline.h).
 */
#include <stdlib.h>
#include <string.h>

#include "durable.h"
#include "pipeline.h"

/* A recorder's prepare or a filter's filter_prepare. */
typedef int (*prepare_fn)(struct pikos_instance *inst, void *ctx,
                          const struct pikos_schema *schema);

/* ------------------------------------------------------------ running */

static struct pikos_pipeline *running;

struct pikos_pipeline *pikos_pipelines_running(void)
{
    return running;
}

static void running_add(struct pikos_pipeline *pipe)
{
    pipe->next_running = running;
    running = pipe;
}

static void running_remove(struct pikos_pipeline *pipe)
{
    for (struct pikos_pipeline **p = &running; *p != NULL;
         p = &(*p)->next_running)
        if (*p == pipe) {
            *p = pipe->next_running;
            break;
        }
    pipe->next_running = NULL;
}

/* ------------------------------------------------------------ helpers */

static const char *status_text(int code)
{
    switch (code) {
    case PIKOS_EINVAL:
        return "invalid argument";
    case PIKOS_ENOMEM:
        return "out of memory";
    case PIKOS_EIO:
        return "input/output error";
    case PIKOS_ENOTFOUND:
        return "not found";
    case PIKOS_EABI:
        return "incompatible plugin";
    case PIKOS_ESTATE:
        return "called in the wrong state";
    case PIKOS_EPYTHON:
        return "Python error";
    default:
        return "plugin error";
    }
}

/* Makes sure a failed callback left a sticky error on its instance: the
   plugin's own message when it set one, else one naming the step. */
static int callback_failed(struct pikos_instance *inst, int rc,
                           const char *step)
{
    if (inst->error_code == 0)
        pikos_instance_set_error(inst, rc, "%s failed (%s)", step,
                                 status_text(rc));
    return rc;
}

static struct instance_list *list_of_kind(struct pikos_pipeline *pipe,
                                          uint32_t kind)
{
    switch (kind) {
    case PIKOS_KIND_MONITOR:
        return &pipe->monitors;
    case PIKOS_KIND_FILTER:
        return &pipe->filters;
    case PIKOS_KIND_RECORDER:
        return &pipe->recorders;
    default:
        return NULL;
    }
}

static int list_append(struct instance_list *list, struct pikos_instance *inst)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 4;
        void *items = realloc(list->items, capacity * sizeof(*list->items));
        if (items == NULL)
            return PIKOS_ENOMEM;
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = inst;
    return 0;
}

static void list_free(struct instance_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        pikos_instance_free(list->items[i]);
    free(list->items);
}

/* ------------------------------------------------------------ building */

PIKOS_EXPORT struct pikos_pipeline *pikos_pipeline_new(void)
{
    return calloc(1, sizeof(struct pikos_pipeline));
}

/* The callback a plugin of its kind cannot do without, if it lacks it. */
static const char *missing_callback(const struct pikos_plugin *plugin)
{
    switch (plugin->kind) {
    case PIKOS_KIND_MONITOR:
        return plugin->schema == NULL ? "schema" : NULL;
    case PIKOS_KIND_FILTER:
        return plugin->filter == NULL &&
                       !(PIKOS_PLUGIN_HAS(plugin, filter_schema) &&
                         plugin->filter_schema)
                   ? "filter"
                   : NULL;
    default:
        return plugin->record == NULL &&
                       !(PIKOS_PLUGIN_HAS(plugin, record_schema) &&
                         plugin->record_schema)
                   ? "record"
                   : NULL;
    }
}

/* Copies the ABI 1.2 callbacks into the instance, NULL where the
   descriptor is older and stops before them: the hot path then reads no
   struct_size. */
static void resolve_schema_callbacks(struct pikos_instance *inst)
{
    const struct pikos_plugin *plugin = inst->plugin;

    if (!PIKOS_PLUGIN_HAS(plugin, release_schema))
        return;
    inst->prepare_schema = plugin->prepare_schema;
    inst->filter_schema = plugin->filter_schema;
    inst->record_schema = plugin->record_schema;
    inst->release_schema = plugin->release_schema;
}

/* Room for the schemas a monitor declares at the first ask; one that
   declares more is asked again with room for all. */
#define DECLARED_SCHEMAS_ROOM 8

static int ask_schemas(struct pikos_instance *inst,
                       const struct pikos_schema **out, size_t max)
{
    PIKOS_CALL_ENTER(outer, inst, "instance_schemas");
    int n = inst->plugin->instance_schemas(inst, inst->ctx, out, max);
    PIKOS_CALL_LEAVE(outer);
    return n;
}

/* Every schema a monitor declares (ABI 1.5's instance_schemas) into
   inst->schemas: their count, 0 when it declares none (or is older), or
   an error in *err. */
static int declare_schemas(struct pikos_instance *inst, struct pikos_error *err)
{
    const struct pikos_plugin *p = inst->plugin;
    const struct pikos_schema *room[DECLARED_SCHEMAS_ROOM];
    const char *name = pikos_instance_name(inst);
    int n;

    if (!PIKOS_PLUGIN_HAS(p, instance_schemas) || p->instance_schemas == NULL)
        return 0;
    if ((n = ask_schemas(inst, room, DECLARED_SCHEMAS_ROOM)) <= 0) {
        if (n < 0) {
            callback_failed(inst, n, "instance_schemas");
            pikos_instance_take_error(inst, err);
        }
        return n;
    }
    inst->schemas = malloc((size_t)n * sizeof(*inst->schemas));
    if (inst->schemas == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM,
                               "[%s] out of memory while adding it", name);
    if (n <= DECLARED_SCHEMAS_ROOM)
        memcpy(inst->schemas, room, (size_t)n * sizeof(*inst->schemas));
    else if (ask_schemas(inst, inst->schemas, (size_t)n) != n)
        return pikos_error_set(err, PIKOS_EABI,
                               "[%s] cannot be used: instance_schemas "
                               "answered two counts",
                               name);
    for (int i = 0; i < n; i++)
        if (inst->schemas[i] == NULL)
            return pikos_error_set(err, PIKOS_EABI,
                                   "[%s] cannot be used: instance_schemas "
                                   "gave no schema at %d",
                                   name, i);
    inst->nschemas = (size_t)n;
    return n;
}

/* A monitor's schemas, now that its options are known: those it declares
   (ABI 1.5's instance_schemas), else the one of ABI 1.3's
   instance_schema, else the descriptor's.  0, or an error in *err. */
static int resolve_monitor_schemas(struct pikos_instance *inst,
                                   struct pikos_error *err)
{
    const struct pikos_plugin *p = inst->plugin;
    int n;

    inst->schema = p->schema;
    if (p->kind != PIKOS_KIND_MONITOR)
        return 0;
    if ((n = declare_schemas(inst, err)) != 0) {
        if (n > 0)
            inst->schema = inst->schemas[0];
        return n < 0 ? n : 0;
    }
    if (!PIKOS_PLUGIN_HAS(p, instance_schema) || p->instance_schema == NULL)
        return 0;
    PIKOS_CALL_ENTER(outer, inst, "instance_schema");
    const struct pikos_schema *chosen = p->instance_schema(inst, inst->ctx);
    PIKOS_CALL_LEAVE(outer);
    if (chosen != NULL)
        inst->schema = chosen;
    return 0;
}

static int check_addable(struct pikos_pipeline *pipe,
                         struct pikos_instance *inst, struct pikos_error *err)
{
    const char *name = pikos_instance_name(inst);
    const char *missing = missing_callback(inst->plugin);

    if (list_of_kind(pipe, inst->plugin->kind) == NULL)
        return pikos_error_set(err, PIKOS_EINVAL,
                               "[%s] is not a monitor, filter or recorder",
                               name);
    if (missing != NULL)
        return pikos_error_set(err, PIKOS_EABI,
                               "[%s] cannot be used: the plugin has no %s",
                               name, missing);
    if (pipe->start_count > 0)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "[%s] cannot be added to a running pipeline: "
                               "stop it first",
                               name);
    return 0;
}

PIKOS_EXPORT int pikos_pipeline_add(struct pikos_pipeline *pipe,
                                    struct pikos_instance *inst,
                                    struct pikos_error *err)
{
    int rc;

    /* A failed pikos_instance_new already explained itself in *err. */
    if (inst == NULL)
        return err != NULL && err->code < 0
                   ? err->code
                   : pikos_error_set(err, PIKOS_EINVAL,
                                     "no plugin instance to add");
    /* One owner only: an instance of another pipeline stays there. */
    if (inst->pipeline != NULL)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "[%s] already belongs to a pipeline",
                               pikos_instance_name(inst));
    rc = check_addable(pipe, inst, err);
    if (rc == 0)
        rc = resolve_monitor_schemas(inst, err);
    if (rc == 0 && list_append(list_of_kind(pipe, inst->plugin->kind), inst))
        rc = pikos_error_set(err, PIKOS_ENOMEM,
                             "[%s] out of memory while adding it",
                             pikos_instance_name(inst));
    if (rc < 0) {
        pikos_instance_free(inst);
        return rc;
    }
    inst->pipeline = pipe;
    resolve_schema_callbacks(inst);
    return 0;
}

PIKOS_EXPORT size_t pikos_pipeline_count(const struct pikos_pipeline *pipe,
                                         uint32_t kind)
{
    switch (kind) {
    case PIKOS_KIND_MONITOR:
        return pipe->monitors.count;
    case PIKOS_KIND_FILTER:
        return pipe->filters.count;
    case PIKOS_KIND_RECORDER:
        return pipe->recorders.count;
    default:
        return 0;
    }
}

PIKOS_EXPORT int pikos_pipeline_is_running(const struct pikos_pipeline *pipe)
{
    return pipe->start_count > 0;
}

/* ------------------------------------------------------------ schemas */

/* Calls the prepare of a recorder or filter for `schema`: prepare_schema
   (ABI 1.2) when it has one, else prepare or filter_prepare. */
static int call_prepare(struct pikos_instance *inst,
                        const struct pikos_schema *schema, void **schema_ctx)
{
    const struct pikos_plugin *plugin = inst->plugin;
    prepare_fn prepare = plugin->kind == PIKOS_KIND_RECORDER
                             ? plugin->prepare
                             : plugin->filter_prepare;
    int rc = 0;

    *schema_ctx = NULL;
    PIKOS_CALL_ENTER(outer, inst, "prepare");
    if (inst->prepare_schema != NULL)
        rc = inst->prepare_schema(inst, inst->ctx, schema, schema_ctx);
    else if (prepare != NULL)
        rc = prepare(inst, inst->ctx, schema);
    PIKOS_CALL_LEAVE(outer);
    return rc < 0 ? callback_failed(inst, rc, "prepare") : 0;
}

/* Room for one more prepared schema; doubles, so that a run costs few
   reallocations however many schemas it meets. */
static int grow_prepared(struct pikos_instance *inst)
{
    size_t cap = inst->prepared_cap ? 2 * inst->prepared_cap : 4;
    struct pikos_prepared *grown;

    if (inst->nprepared < inst->prepared_cap)
        return 0;
    grown = realloc(inst->prepared, cap * sizeof(*grown));
    if (grown == NULL)
        return pikos_instance_set_error(inst, PIKOS_ENOMEM,
                                        "out of memory preparing a schema");
    inst->prepared = grown;
    inst->prepared_cap = cap;
    return 0;
}

/* Finds the context of `schema` for a recorder or filter, preparing it
   the first time the instance is to see records of `schema` in this run. */
static int ensure_prepared(struct pikos_instance *inst,
                           const struct pikos_schema *schema, void **schema_ctx)
{
    int rc;

    for (size_t i = 0; i < inst->nprepared; i++)
        if (inst->prepared[i].schema == schema) {
            *schema_ctx = inst->prepared[i].ctx;
            return 0;
        }
    if ((rc = grow_prepared(inst)) < 0 ||
        (rc = call_prepare(inst, schema, schema_ctx)) < 0)
        return rc;
    inst->prepared[inst->nprepared].schema = schema;
    inst->prepared[inst->nprepared++].ctx = *schema_ctx;
    return 0;
}

/* At the end of a run: an instance without prepare_schema is prepared
   again in the next run, as before ABI 1.2; one with it keeps its schema
   contexts until it is freed (released before its fini). */
static void end_run(struct pikos_instance *inst)
{
    if (inst->prepare_schema == NULL)
        inst->nprepared = 0;
}

/* Prepares every instance of `list` for `schema`. */
static int prepare_for(const struct instance_list *list,
                       const struct pikos_schema *schema,
                       struct pikos_instance **failed)
{
    for (size_t i = 0; schema != NULL && i < list->count; i++) {
        void *schema_ctx;
        int rc = ensure_prepared(list->items[i], schema, &schema_ctx);
        if (rc < 0) {
            *failed = list->items[i];
            return rc;
        }
    }
    return 0;
}

/* Prepares every instance of `list` for every schema of every monitor:
   all those it declares (ABI 1.5's instance_schemas), in its order, else
   its one schema.  So a recorder refuses a record type it cannot hold
   when the run starts, before any record was written. */
static int prepare_list(const struct pikos_pipeline *pipe,
                        const struct instance_list *list,
                        struct pikos_instance **failed)
{
    for (size_t m = 0; m < pipe->monitors.count; m++) {
        const struct pikos_instance *monitor = pipe->monitors.items[m];
        int rc = prepare_for(list, monitor->schema, failed);
        for (size_t s = 1; rc == 0 && s < monitor->nschemas; s++)
            rc = prepare_for(list, monitor->schemas[s], failed);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------ start, stop */

static int start_list(const struct instance_list *list,
                      struct pikos_instance **failed)
{
    for (size_t i = 0; i < list->count; i++) {
        struct pikos_instance *inst = list->items[i];
        PIKOS_CALL_ENTER(outer, inst, "start");
        int rc = inst->plugin->start ? inst->plugin->start(inst, inst->ctx) : 0;
        PIKOS_CALL_LEAVE(outer);
        if (rc < 0) {
            *failed = inst;
            return callback_failed(inst, rc, "start");
        }
        inst->started = 1;
        pikos_state_running(inst);
    }
    return 0;
}

static int hook_monitors(const struct pikos_pipeline *pipe,
                         struct pikos_error *err)
{
    for (size_t i = 0; i < pipe->monitors.count; i++) {
        int rc = pikos_hook_add_monitor(pipe->monitors.items[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void pikos_pipeline_unhook(const struct pikos_pipeline *pipe)
{
    for (size_t i = 0; i < pipe->monitors.count; i++)
        pikos_hook_remove_monitor(pipe->monitors.items[i]);
}

/* Calls one end-of-run callback of a started instance; a failure becomes
   its sticky error and the next steps still run. */
static void run_step(struct pikos_instance *inst,
                     int (*step)(struct pikos_instance *, void *),
                     const char *name)
{
    PIKOS_CALL_ENTER(outer, inst, name);
    int rc = step != NULL ? step(inst, inst->ctx) : 0;
    PIKOS_CALL_LEAVE(outer);

    if (rc < 0)
        callback_failed(inst, rc, name);
}

static void stop_list(const struct instance_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        struct pikos_instance *inst = list->items[i];
        if (!inst->started)
            continue;
        run_step(inst, inst->plugin->stop, "stop");
        inst->started = 0;
        pikos_state_running(inst);
        end_run(inst);
    }
}

static void finish_recorders(const struct instance_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        struct pikos_instance *inst = list->items[i];
        if (!inst->started)
            continue;
        run_step(inst, inst->plugin->flush, "flush");
        run_step(inst, inst->plugin->stop, "stop");
        run_step(inst, inst->plugin->finalize, "finalize");
        inst->started = 0;
        pikos_state_running(inst); /* finalized: nothing to salvage */
        end_run(inst);
    }
}

/* Takes the sticky errors of a list: the first one into *first (when it
   holds none yet), later ones are logged so that none is lost.  With
   `first` NULL they are discarded. */
static void take_errors(const struct instance_list *list,
                        struct pikos_error *first)
{
    for (size_t i = 0; i < list->count; i++) {
        struct pikos_instance *inst = list->items[i];
        if (inst->error_code == 0)
            continue;
        if (first != NULL && first->code == 0) {
            pikos_instance_take_error(inst, first);
            continue;
        }
        if (first != NULL && inst->error_message != NULL)
            pikos_instance_log(inst, PIKOS_LOG_ERROR, "%s",
                               inst->error_message);
        pikos_instance_take_error(inst, NULL);
    }
}

/* Recorders first: a recorder failing is usually what made the others
   fail, so its message is the one worth reading. */
static int take_first_error(const struct pikos_pipeline *pipe,
                            struct pikos_error *err)
{
    struct pikos_error first = {0};

    take_errors(&pipe->recorders, &first);
    take_errors(&pipe->filters, &first);
    take_errors(&pipe->monitors, &first);
    if (first.code < 0 && err != NULL)
        *err = first;
    return first.code;
}

/* Undoes a start that failed part way.  Errors met on the way are
   discarded: the caller reports the one that made the start fail. */
static void undo_start(const struct pikos_pipeline *pipe)
{
    pikos_pipeline_unhook(pipe);
    stop_list(&pipe->monitors);
    stop_list(&pipe->filters);
    stop_list(&pipe->recorders);
    take_errors(&pipe->recorders, NULL);
    take_errors(&pipe->filters, NULL);
    take_errors(&pipe->monitors, NULL);
}

PIKOS_EXPORT int pikos_pipeline_start(struct pikos_pipeline *pipe,
                                      struct pikos_error *err)
{
    struct pikos_instance *failed = NULL;
    int rc;

    if (pipe->start_count > 0) {
        pipe->start_count++;
        return 0;
    }
    pikos_clock_calibrate();
    pipe->started_ns = pikos_host_table.clock_ns();
    /* Filters first: a filter that rejects a schema (unknown field) must
       fail the start before any recorder has written a header. */
    if ((rc = start_list(&pipe->filters, &failed)) < 0 ||
        (rc = prepare_list(pipe, &pipe->filters, &failed)) < 0 ||
        (rc = start_list(&pipe->recorders, &failed)) < 0 ||
        (rc = prepare_list(pipe, &pipe->recorders, &failed)) < 0 ||
        (rc = start_list(&pipe->monitors, &failed)) < 0)
        pikos_instance_take_error(failed, err);
    else
        rc = hook_monitors(pipe, err);
    if (rc < 0) {
        undo_start(pipe);
        return rc;
    }
    pipe->start_count = 1;
    running_add(pipe);
    return 0;
}

/* Monitors stop before the filters and recorders, so that what a monitor
   emits when it stops (external monitors' statistics) is still recorded. */
PIKOS_EXPORT int pikos_pipeline_stop(struct pikos_pipeline *pipe,
                                     struct pikos_error *err)
{
    if (pipe->start_count == 0 && pipe->finished)
        return 0; /* pikos_pipelines_finish stopped it already */
    if (pipe->start_count == 0)
        return pikos_error_set(err, PIKOS_ESTATE,
                               "cannot stop a pipeline that is not running");
    if (--pipe->start_count > 0)
        return 0;
    running_remove(pipe);
    if (pipe->abandoned) /* the parent's plugins: not ours to stop */
        return 0;
    pikos_pipeline_unhook(pipe);
    stop_list(&pipe->monitors);
    stop_list(&pipe->filters);
    finish_recorders(&pipe->recorders);
    return take_first_error(pipe, err);
}

/* ------------------------------------------------------------ salvage */

static struct pikos_instance *monitor_of_spec(const struct pikos_pipeline *pipe,
                                              const char *spec, size_t len)
{
    for (size_t i = 0; i < pipe->monitors.count; i++) {
        struct pikos_instance *m = pipe->monitors.items[i];
        if (m->spec != NULL && m->spec_len == len &&
            memcmp(m->spec, spec, len) == 0)
            return m;
    }
    return NULL;
}

PIKOS_EXPORT int pikos_pipeline_salvage(struct pikos_pipeline *pipe,
                                        const char *spec, size_t spec_len,
                                        const char *dir, unsigned record,
                                        struct pikos_error *err)
{
    struct pikos_instance *monitor = monitor_of_spec(pipe, spec, spec_len);
    struct pikos_instance *failed = NULL;
    int rc;

    if (monitor == NULL)
        return pikos_error_set(err, PIKOS_ENOTFOUND,
                               "the run's pipeline has no monitor '%s'", spec);
    pikos_clock_calibrate();
    pipe->started_ns = pikos_host_table.clock_ns();
    if ((rc = start_list(&pipe->filters, &failed)) < 0 ||
        (rc = prepare_list(pipe, &pipe->filters, &failed)) < 0 ||
        (rc = start_list(&pipe->recorders, &failed)) < 0 ||
        (rc = prepare_list(pipe, &pipe->recorders, &failed)) < 0) {
        pikos_instance_take_error(failed, err);
        undo_start(pipe);
        return rc;
    }
    pikos_outputs_unmute(); /* the headers are in the files already */
    rc = pikos_instance_salvage(monitor, dir, record, err);
    stop_list(&pipe->filters);
    finish_recorders(&pipe->recorders);
    if (rc < 0) {
        take_errors(&pipe->recorders, NULL);
        take_errors(&pipe->filters, NULL);
        return rc;
    }
    return take_first_error(pipe, err);
}

PIKOS_EXPORT int pikos_pipeline_check_focus(const struct pikos_pipeline *pipe,
                                            struct pikos_error *err)
{
    for (size_t i = 0; i < pipe->monitors.count; i++) {
        const struct pikos_instance *m = pipe->monitors.items[i];
        if (m->unmatched_focus != NULL)
            return pikos_error_set(err, PIKOS_ENOTFOUND,
                                   "[%s] focus %s (functions=, --focused-on) "
                                   "matched no function that ran",
                                   m->info->full_name, m->unmatched_focus);
    }
    return 0;
}

/* ------------------------------------------------------------ freeing */

static void skip_fini(const struct instance_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        list->items[i]->initialized = 0;
}

/* Pipelines freed during a dispatch (by Python code a plugin ran: a
   recorder dropping its monitor, the garbage collector, another thread
   meanwhile), still whole and running until no thread dispatches. */
struct pikos_pipeline *pikos_pipelines_deferred;

void pikos_pipelines_free_deferred(void)
{
    while (pikos_pipelines_deferred != NULL) {
        struct pikos_pipeline *pipe = pikos_pipelines_deferred;
        pikos_pipelines_deferred = pipe->next_deferred;
        pikos_pipeline_free(pipe);
    }
}

PIKOS_EXPORT void pikos_pipeline_free(struct pikos_pipeline *pipe)
{
    if (pipe == NULL)
        return;
    if (pikos_hook_dispatching()) {
        pipe->next_deferred = pikos_pipelines_deferred;
        pikos_pipelines_deferred = pipe;
        return;
    }
    if (pipe->start_count > 0) {
        pipe->start_count = 1;
        /* Whoever frees a running pipeline did not ask for its errors. */
        pikos_pipeline_stop(pipe, NULL);
    }
    if (pipe->abandoned) { /* the parent's plugins: no `fini` here */
        skip_fini(&pipe->monitors);
        skip_fini(&pipe->filters);
        skip_fini(&pipe->recorders);
    }
    list_free(&pipe->monitors);
    list_free(&pipe->filters);
    list_free(&pipe->recorders);
    free(pipe);
}

/* ------------------------------------------------------------ records */

/* The per-record look-up of a plugin's context for the record's schema.
   Almost always the first one it prepared: that case costs one comparison
   and never allocates. */
static inline int find_prepared(struct pikos_instance *inst,
                                const struct pikos_schema *schema,
                                void **schema_ctx)
{
    if (inst->nprepared > 0 && inst->prepared[0].schema == schema) {
        *schema_ctx = inst->prepared[0].ctx;
        return 0;
    }
    return ensure_prepared(inst, schema, schema_ctx);
}

/* PIKOS_PASS, PIKOS_DROP, or a negative code (the record is dropped). */
static int apply_filter(struct pikos_instance *filter,
                        const struct pikos_record *rec)
{
    void *schema_ctx;
    int verdict = find_prepared(filter, rec->schema, &schema_ctx);

    if (verdict == 0) {
        PIKOS_CALL_ENTER(outer, filter, "filter");
        verdict =
            filter->filter_schema != NULL
                ? filter->filter_schema(filter, filter->ctx, schema_ctx, rec)
                : filter->plugin->filter(filter, filter->ctx, rec);
        PIKOS_CALL_LEAVE(outer);
    }
    return verdict < 0 ? callback_failed(filter, verdict, "filter") : verdict;
}

__attribute__((noinline)) static int
record_into(struct pikos_instance *recorder, const struct pikos_record *rec)
{
    void *schema_ctx;
    int rc = find_prepared(recorder, rec->schema, &schema_ctx);

    if (rc == 0) {
        PIKOS_CALL_ENTER(outer, recorder, "record");
        rc = recorder->record_schema != NULL
                 ? recorder->record_schema(recorder, recorder->ctx, schema_ctx,
                                           rec)
                 : recorder->plugin->record(recorder, recorder->ctx, rec);
        PIKOS_CALL_LEAVE(outer);
    }
    return rc < 0 ? callback_failed(recorder, rc, "record") : 0;
}

/* Any pipeline: the filters in order, then every recorder.  (Not inlined:
   its loops would put their register saves on pikos_pipeline_emit's
   short path.) */
__attribute__((noinline)) static int emit_through(const struct pikos_pipeline *pipe,
                        const struct pikos_record *rec)
{
    int rc = 0;

    for (size_t i = 0; i < pipe->filters.count; i++) {
        int verdict = apply_filter(pipe->filters.items[i], rec);
        if (verdict <= PIKOS_DROP)
            return verdict;
    }
    for (size_t i = 0; i < pipe->recorders.count; i++) {
        int failed = record_into(pipe->recorders.items[i], rec);
        if (failed < 0 && rc == 0)
            rc = failed;
    }
    return rc;
}

int pikos_pipeline_emit(struct pikos_instance *monitor,
                        const struct pikos_record *rec)
{
    const struct pikos_pipeline *pipe = monitor->pipeline;

    if (pipe == NULL)
        return PIKOS_ESTATE;
    /* The usual pipeline, one recorder and no filter, is a tail call: no
       loop, no registers to save here. */
    if (pipe->filters.count == 0 && pipe->recorders.count == 1)
        return record_into(pipe->recorders.items[0], rec);
    return emit_through(pipe, rec);
}
