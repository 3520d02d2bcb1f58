/* plugins/recorders/chrome_trace/events.c - see events.h. */
#include <string.h>

#include "events.h"
#include "json.h"

/* Room for the literal parts of any one event; each bound below adds
   its strings' and numbers' own bounds to it. */
#define LITERALS_MAX 128

/* ,\n{"ph":"X","ts":T,"pid":P,"tid":N, : what every event after the
   first starts with. */
static char *event_start(char *dst, char phase, uint64_t ts_ns, uint64_t pid,
                         uint64_t tid)
{
    dst = JSON_PUT(dst, ",\n{\"ph\":\"");
    *dst++ = phase;
    dst = JSON_PUT(dst, "\",\"ts\":");
    dst = json_microseconds(dst, ts_ns);
    dst = JSON_PUT(dst, ",\"pid\":");
    dst = json_uint(dst, pid);
    dst = JSON_PUT(dst, ",\"tid\":");
    dst = json_uint(dst, tid);
    *dst++ = ',';
    return dst;
}

#define EVENT_START_MAX (32 + JSON_MICROSECONDS_MAX + 2 * JSON_UINT_MAX + 16)

size_t trace_header_max(size_t name_len)
{
    return LITERALS_MAX + 2 * JSON_UINT_MAX + JSON_STRING_MAX(name_len);
}

char *trace_header(char *dst, uint64_t pid, const char *name, size_t len)
{
    dst = JSON_PUT(dst, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
                        "{\"ph\":\"M\",\"ts\":0,\"pid\":");
    dst = json_uint(dst, pid);
    dst = JSON_PUT(dst, ",\"tid\":");
    dst = json_uint(dst, pid);
    dst = JSON_PUT(dst, ",\"name\":\"process_name\",\"args\":{\"name\":");
    dst = json_string(dst, name, len);
    return JSON_PUT(dst, "}}");
}

size_t slice_fragment_max(const struct timed_event *call)
{
    return LITERALS_MAX + JSON_STRING_MAX(call->function.len) +
           JSON_STRING_MAX(call->filename.len) + JSON_INT_MAX;
}

char *slice_fragment(char *dst, const struct timed_event *call)
{
    int c_function = call->kind == TIMED_C_CALL;

    dst = JSON_PUT(dst, "\"name\":");
    dst = json_string(dst, call->function.ptr, call->function.len);
    dst = c_function ? JSON_PUT(dst, ",\"cat\":\"c\"")
                     : JSON_PUT(dst, ",\"cat\":\"python\"");
    dst = JSON_PUT(dst, ",\"args\":{\"file\":");
    dst = json_string(dst, call->filename.ptr, call->filename.len);
    dst = JSON_PUT(dst, ",\"line\":");
    dst = json_int(dst, c_function ? call->lineno : call->first_lineno);
    *dst++ = '}';
    return dst;
}

size_t duration_event_max(size_t fragment_len)
{
    return EVENT_START_MAX + fragment_len + 1;
}

char *duration_event(char *dst, char phase, uint64_t ts_ns, uint64_t pid,
                     uint64_t tid, const char *fragment, size_t len)
{
    dst = event_start(dst, phase, ts_ns, pid, tid);
    memcpy(dst, fragment, len);
    dst += len;
    *dst++ = '}';
    return dst;
}

size_t thread_name_event_max(size_t name_len)
{
    return EVENT_START_MAX + LITERALS_MAX + JSON_STRING_MAX(name_len);
}

char *thread_name_event(char *dst, uint64_t pid, uint64_t tid,
                        const char *name, size_t len)
{
    dst = event_start(dst, 'M', 0, pid, tid);
    dst = JSON_PUT(dst, "\"name\":\"thread_name\",\"args\":{\"name\":");
    dst = json_string(dst, name, len);
    return JSON_PUT(dst, "}}");
}

size_t memory_event_max(void)
{
    return EVENT_START_MAX + LITERALS_MAX + 2 * JSON_INT_MAX;
}

char *memory_event(char *dst, uint64_t ts_ns, uint64_t pid, uint64_t tid,
                   int64_t rss, int64_t vms)
{
    dst = event_start(dst, 'C', ts_ns, pid, tid);
    dst = JSON_PUT(dst, "\"name\":\"memory\",\"args\":{\"RSS\":");
    dst = json_int(dst, rss);
    dst = JSON_PUT(dst, ",\"VMS\":");
    dst = json_int(dst, vms);
    return JSON_PUT(dst, "}}");
}

size_t line_event_max(const struct timed_event *line, size_t source_len)
{
    return EVENT_START_MAX + LITERALS_MAX + 2 * JSON_INT_MAX +
           JSON_STRING_MAX(line->function.len) +
           JSON_STRING_MAX(line->filename.len) + JSON_STRING_MAX(source_len);
}

/* "name":"line 12","cat":"line","s":"t","args":{"function":"f",
   "file":"/app.py","line":12,"source":"x = 1"} */
char *line_event(char *dst, uint64_t ts_ns, uint64_t pid,
                 const struct timed_event *line, const char *source,
                 size_t source_len)
{
    dst = event_start(dst, 'i', ts_ns, pid, line->thread);
    dst = JSON_PUT(dst, "\"name\":\"line ");
    dst = json_int(dst, line->lineno);
    dst = JSON_PUT(dst, "\",\"cat\":\"line\",\"s\":\"t\",\"args\":{"
                        "\"function\":");
    dst = json_string(dst, line->function.ptr, line->function.len);
    dst = JSON_PUT(dst, ",\"file\":");
    dst = json_string(dst, line->filename.ptr, line->filename.len);
    dst = JSON_PUT(dst, ",\"line\":");
    dst = json_int(dst, line->lineno);
    dst = JSON_PUT(dst, ",\"source\":");
    dst = json_string(dst, source, source_len);
    return JSON_PUT(dst, "}}");
}
