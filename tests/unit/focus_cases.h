/*
 * tests/unit/focus_cases.h - what the focus and thread tests share, on top
 * of pipeline_harness.h.
 *
 * focus_cases_setup() defines, in the embedded Python:
 *   focus_cases (focus_cases.py): run() calls helpers inside and outside
 *     the focus candidates `focused`, `recurse` (recursion), `numbers` (a
 *     generator consumed between helper calls), `fails` (an exception
 *     unwinding through it), `Shape.area`; threaded() runs spin() in a
 *     Worker thread and then in the calling thread;
 *   and in __main__ the oracles, pure Python implementations of the seed's
 *   focused monitors:
 *     focus_oracle(fn, names)        sys.setprofile, recording while a
 *                                    focus frame is on the stack (names
 *                                    None: every event), rows
 *                                    "index|type|function|lineNo|filename"
 *     line_focus_oracle(fn, names)   sys.settrace, the line and exception
 *                                    events of focus frames, rows
 *                                    "index|type|qualname|lineNo"
 *     compare_threads(text, fn, only_current)
 *                                    the thread_probe rows against a
 *                                    threading.setprofile oracle, thread by
 *                                    thread: "same N threads" or the
 *                                    difference
 *
 * In-process monitors declaring the host-handled options (functions,
 * threads), made by probe_instance():
 *   focus_lines    line and exception events, "index|type|qualname|lineNo"
 *   focus_c_calls  c_call events only, "type|function|lineNo"
 *   thread_probe   function events of focus_cases.py only,
 *                  "threadId|type|function|lineNo"
 */
#ifndef PIKOS_TEST_FOCUS_CASES_H
#define PIKOS_TEST_FOCUS_CASES_H

#include "pipeline_harness.h"

extern const struct pikos_plugin focus_lines;
extern const struct pikos_plugin focus_c_calls;
extern const struct pikos_plugin thread_probe;

/* Criterion .init: harness_setup() and the definitions above. */
void focus_cases_setup(void);

/* An instance of one of the monitors above with functions= and threads=
   set (NULL: the default). */
struct pikos_instance *probe_instance(const struct pikos_plugin *plugin,
                                      const char *full_name,
                                      const char *functions,
                                      const char *threads);

/* A pipeline of `monitor` and recorders/collect; returns the recorder's
   context. */
struct collect_ctx *collect_from(struct pikos_pipeline *pipe,
                                 struct pikos_instance *monitor);

void start_ok(struct pikos_pipeline *pipe);
void stop_ok(struct pikos_pipeline *pipe);

/* Fails the test unless the collected rows equal the text of the Python
   expression `oracle`. */
void assert_rows_equal_oracle(const struct collect_ctx *collect,
                              const char *oracle);

#endif /* PIKOS_TEST_FOCUS_CASES_H */
