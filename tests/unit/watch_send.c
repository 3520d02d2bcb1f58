#define _GNU_SOURCE /* vasprintf */
/* Messages for the unit tests of `pikos watch` (watch_send.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "watch_send.h"

const char *const function_fields =
    "[\"index\",\"type\",\"function\",\"lineNo\",\"filename\"]";
const char *const function_types = "[\"int\",\"str\",\"str\",\"int\",\"str\"]";
const char *const timed_function_fields =
    "[\"index\",\"type\",\"function\",\"lineNo\",\"filename\","
    "\"firstLineNo\",\"time\",\"thread\"]";
const char *const timed_function_types =
    "[\"int\",\"str\",\"str\",\"int\",\"str\",\"int\",\"int\",\"int\"]";
const char *const function_memory_fields =
    "[\"index\",\"type\",\"function\",\"RSS\",\"VMS\",\"lineNo\",\"filename\"]";
const char *const function_memory_types =
    "[\"int\",\"str\",\"str\",\"int\",\"int\",\"int\",\"str\"]";
const char *const line_fields =
    "[\"index\",\"function\",\"lineNo\",\"line\",\"filename\"]";
const char *const line_types = "[\"int\",\"str\",\"int\",\"str\",\"str\"]";
const char *const line_memory_fields = "[\"index\",\"function\",\"lineNo\","
                                       "\"RSS\",\"VMS\",\"line\",\"filename\"]";
const char *const line_memory_types =
    "[\"int\",\"str\",\"int\",\"int\",\"int\",\"str\",\"str\"]";

int watch_send(struct pikos_watch_streams *streams, double now,
               const char *topic, const char *json_format, ...)
{
    va_list ap;
    va_start(ap, json_format);
    char *json = NULL;
    int len = vasprintf(&json, json_format, ap);
    va_end(ap);
    cr_assert_geq(len, 0);
    struct pikos_watch_frame frames[2] = {{topic, strlen(topic)},
                                          {json, (size_t)len}};
    int verdict = pikos_watch_receive(streams, frames, 2, now);
    free(json);
    return verdict;
}

int watch_send_schema(struct pikos_watch_streams *streams, double now,
                      const char *id, const char *host, long long pid,
                      const char *schema, const char *fields, const char *types)
{
    return watch_send(streams, now, "pikos.schema",
                      "{\"v\":1,\"stream\":\"%s\",\"pid\":%lld,\"host\":\"%s\","
                      "\"schema\":\"%s\",\"fields\":%s,\"types\":%s}",
                      id, pid, host, schema, fields, types);
}
