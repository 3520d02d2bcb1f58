/* core/error.c - filling struct pikos_error, and the names of kinds and
   plugin states (the option types' are in manifest.c, with their parser). */
#include <stdio.h>

#include "internal.h"

int pikos_error_setv(struct pikos_error *err, int code, const char *fmt,
                     va_list ap)
{
    if (err != NULL) {
        err->code = code;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
    }
    return code;
}

int pikos_error_set(struct pikos_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pikos_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void pikos_error_clear(struct pikos_error *err)
{
    if (err != NULL) {
        err->code = PIKOS_OK;
        err->message[0] = '\0';
    }
}

PIKOS_EXPORT const char *pikos_kind_plural(uint32_t kind)
{
    switch (kind) {
    case PIKOS_KIND_MONITOR:
        return "monitors";
    case PIKOS_KIND_FILTER:
        return "filters";
    case PIKOS_KIND_RECORDER:
        return "recorders";
    default:
        return NULL;
    }
}

PIKOS_EXPORT const char *pikos_kind_name(uint32_t kind)
{
    switch (kind) {
    case PIKOS_KIND_MONITOR:
        return "monitor";
    case PIKOS_KIND_FILTER:
        return "filter";
    case PIKOS_KIND_RECORDER:
        return "recorder";
    default:
        return "?";
    }
}

PIKOS_EXPORT const char *pikos_plugin_state_name(int state)
{
    switch (state) {
    case PIKOS_PLUGIN_UNCHECKED:
        return "unchecked";
    case PIKOS_PLUGIN_OK:
        return "ok";
    case PIKOS_PLUGIN_BROKEN:
        return "broken";
    case PIKOS_PLUGIN_UNAVAILABLE:
        return "unavailable";
    default:
        return "?";
    }
}
