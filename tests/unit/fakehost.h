/*
 * tests/unit/fakehost.h - a host that drives one plugin in a unit test.
 *
 * Like collectd's mock host or GStreamer's harness: the test links the
 * plugin's .c file, creates an instance through fake_instance_new (options
 * stored in the context exactly as the real host stores them), calls the
 * descriptor's callbacks itself, and looks at what the plugin did: its first
 * error, its log lines and, for monitors, the records it emitted (as text).
 * Outputs, templates and value formatting are the real ones from the core.
 */
#ifndef PIKOS_TEST_FAKEHOST_H
#define PIKOS_TEST_FAKEHOST_H

#include <stddef.h>

#include "internal.h"

#define FAKE_MAX_RECORDS 64
#define FAKE_RECORD_TEXT 256
#define FAKE_MAX_SCHEMAS 64

struct fake_instance {
    struct pikos_instance inst; /* first: what the callbacks receive */
    const struct pikos_plugin *plugin;
    void *ctx;
    int init_rc;

    int error_code;   /* the first error set, as the real host keeps it */
    char error[1024]; /* its message, without the "[kind/name] " prefix */
    size_t nlogs;
    char last_log[1024];

    /* Emitted records, each as its values joined by '|'. */
    size_t nrecords;
    char records[FAKE_MAX_RECORDS][FAKE_RECORD_TEXT];

    /* Schemas prepared (filters and recorders) and their contexts. */
    size_t nschemas;
    struct pikos_prepared schemas[FAKE_MAX_SCHEMAS];
};

extern const struct pikos_host fake_host;
/* Timed records: what clock_ns (0: the real clock), run_started_ns and
   os_thread_id return. */
extern uint64_t fake_now_ns, fake_run_start_ns, fake_thread_id;

/* Allocation stacks (host->stack_frame): node n (from 1) is
   fake_frames[n - 1]; none by default.  safe_point_soon counts its calls
   in fake_safe_points_asked (the test calls the plugin's safe_point). */
struct fake_frame {
    const struct pikos_code *code;
    int lineno;
    uint32_t parent;
};
extern const struct fake_frame *fake_frames;
extern size_t fake_nframes;
extern int fake_safe_points_asked;

/*
 * Allocates the plugin's context, stores every option's default and then
 * `settings` ("key=value" strings, NULL-terminated; list items separated by
 * ';') at the option table's offsets with the host's own parser, and
 * calls init.  Returns NULL when a setting names no option of the plugin or
 * has a value of the wrong type; init's result is in init_rc.
 */
struct fake_instance *fake_instance_new(const struct pikos_plugin *plugin,
                                        const char *const *settings);
/* Calls fini (as the real host, only when init succeeded), then frees the
   options and the context. */
void fake_instance_free(struct fake_instance *fi);

/*
 * The host's part in the schemas of a run, as the real host plays it:
 * fake_prepare calls prepare_schema (ABI 1.2) when the plugin has it, else
 * prepare or filter_prepare, once per schema, and keeps the context;
 * fake_filter and fake_record prepare a schema not seen yet, then pass its
 * context to filter_schema/record_schema (or call filter/record).  They
 * return the callback's result.  fake_instance_free releases the contexts
 * before fini, as the host does.
 */
int fake_prepare(struct fake_instance *fi, const struct pikos_schema *schema);
int fake_filter(struct fake_instance *fi, const struct pikos_record *rec);
int fake_record(struct fake_instance *fi, const struct pikos_record *rec);

/* A new empty file's path (for outputs); removed by the caller. */
void fake_temp_file(char path[64]);
/* Removes a directory and the files in it (a test's, even one that
   failed half way). */
void fake_remove_dir(const char *dir);
/* The whole contents of a file (NUL-terminated, malloc'ed), or NULL. */
char *fake_read_file(const char *path);

#endif /* PIKOS_TEST_FAKEHOST_H */
