/*
 * core/spec.c - parsing "kind/name:key=value,key=value" plugin specs.
 *
 * The name ends at the first ':', settings are separated by ',' and a key
 * ends at its first '='.  A backslash takes the next character literally,
 * so values can hold those characters: `filename=a\,b.csv`, `sep=\=`,
 * `path=C:\\temp`.  List values use ';' between items (options.c).
 *
 * Everything the result points to lives in one buffer: the unescaped text
 * with a NUL where each delimiter was, which is never longer than the spec.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SPEC_FORMAT "KIND/NAME[:key=value,...]"

/*
 * Copies from *src into *dst, unescaping, up to the first unescaped
 * character of `stops` (or the end), and NUL-terminates the copy.  Returns
 * the delimiter it stopped at ('\0' at the end) and moves *src past it.
 * A lone backslash at the end is kept as it is.
 */
static char copy_token(const char **src, char **dst, const char *stops)
{
    const char *s = *src;
    char *d = *dst, stop;

    while (*s != '\0' && strchr(stops, *s) == NULL) {
        if (*s == '\\' && s[1] != '\0')
            s++;
        *d++ = *s++;
    }
    stop = *s;
    *d++ = '\0';
    *src = stop != '\0' ? s + 1 : s;
    *dst = d;
    return stop;
}

/* Settings are at most one more than the commas after the name. */
static size_t max_settings(const char *options)
{
    size_t count = 1;

    for (const char *s = options; *s; s++) {
        if (*s == '\\' && s[1] != '\0')
            s++;
        else if (*s == ',')
            count++;
    }
    return count;
}

static int parse_setting(const char *spec, const char **src, char **dst,
                         struct pikos_option_setting *setting,
                         struct pikos_error *err)
{
    const char *start = *src;
    char *key = *dst;
    char stop = copy_token(src, dst, "=,");

    if (stop != '=' && *key == '\0')
        return pikos_error_set(err, PIKOS_EINVAL,
                               "empty setting in plugin spec '%s' (expected "
                               "key=value)",
                               spec);
    if (stop != '=')
        return pikos_error_set(err, PIKOS_EINVAL,
                               "setting '%s' in plugin spec '%s' has no '=' "
                               "(expected key=value)",
                               key, spec);
    if (*key == '\0')
        return pikos_error_set(err, PIKOS_EINVAL,
                               "setting '%.*s' in plugin spec '%s' has an "
                               "empty key (expected key=value)",
                               (int)strcspn(start, ","), start, spec);
    setting->key = key;
    setting->value = *dst;
    copy_token(src, dst, ",");
    return PIKOS_OK;
}

static int parse_settings(const char *spec, const char *src, char *dst,
                          struct pikos_option_setting **settings,
                          size_t *nsettings, struct pikos_error *err)
{
    size_t count = 0;

    *settings = malloc(max_settings(src) * sizeof(**settings));
    if (*settings == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM,
                               "out of memory parsing plugin spec '%s'", spec);
    while (*src != '\0') {
        int rc = parse_setting(spec, &src, &dst, &(*settings)[count], err);
        if (rc != PIKOS_OK) {
            free(*settings);
            *settings = NULL;
            return rc;
        }
        count++;
    }
    *nsettings = count;
    return PIKOS_OK;
}

PIKOS_EXPORT int pikos_parse_plugin_spec(const char *spec, char **name,
                                         struct pikos_option_setting **settings,
                                         size_t *nsettings, char **buffer,
                                         struct pikos_error *err)
{
    const char *src = spec;
    char *dst;
    int rc;

    *name = *buffer = NULL;
    *settings = NULL;
    *nsettings = 0;
    if (spec == NULL || *spec == '\0')
        return pikos_error_set(err, PIKOS_EINVAL,
                               "empty plugin spec (expected " SPEC_FORMAT ")");
    dst = *buffer = malloc(strlen(spec) + 1);
    if (dst == NULL)
        return pikos_error_set(err, PIKOS_ENOMEM,
                               "out of memory parsing plugin spec '%s'", spec);
    *name = dst;
    copy_token(&src, &dst, ":");
    if (**name == '\0')
        rc = pikos_error_set(
            err, PIKOS_EINVAL,
            "plugin spec '%s' has no plugin name (expected " SPEC_FORMAT ")",
            spec);
    else
        rc = parse_settings(spec, src, dst, settings, nsettings, err);
    if (rc != PIKOS_OK) {
        free(*buffer);
        *name = *buffer = NULL;
    }
    return rc;
}
