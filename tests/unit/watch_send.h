/* Messages for the unit tests of `pikos watch`: JSON text in, verdict out,
   through the same pikos_watch_receive the socket loop uses. */
#ifndef WATCH_SEND_H
#define WATCH_SEND_H

#include "watch.h"

/* Sends frame 1 `topic` and frame 2 the printf-formatted JSON; returns
   the verdict. */
int watch_send(struct pikos_watch_streams *streams, double now,
               const char *topic, const char *json_format, ...)
    __attribute__((format(printf, 4, 5)));

/* The schema message of stream `id` ("host:pid:k"), with fields and types
   given as JSON array text, e.g. "[\"a\",\"b\"]". */
int watch_send_schema(struct pikos_watch_streams *streams, double now,
                      const char *id, const char *host, long long pid,
                      const char *schema, const char *fields,
                      const char *types);

/* FunctionRecord, TimedFunctionRecord, FunctionMemoryRecord, LineRecord,
   LineMemoryRecord: their fields and types as JSON array text. */
extern const char *const function_fields, *const function_types;
extern const char *const timed_function_fields, *const timed_function_types;
extern const char *const function_memory_fields, *const function_memory_types;
extern const char *const line_fields, *const line_types;
extern const char *const line_memory_fields, *const line_memory_types;

#endif /* WATCH_SEND_H */
