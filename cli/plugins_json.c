/*
 * cli/plugins_json.c - `pikos plugins --json`: the plugin list as a JSON
 * array, one object per plugin:
 *
 *   {"name": "recorders/csv", "kind": "recorder", "summary": "...",
 *    "status": "ok" | "broken" | "unavailable", "reason": null | "...",
 *    "manifest": "/path/csv.plugin", "library": "recorder_csv",
 *    "version": "0.1.0",
 *    "options": [{"name": "filename", "type": "string", "default": "",
 *                 "required": false, "help": "..."}],
 *    "shadows": ["/later/path/csv.plugin"]}
 *
 * "shadows" lists the manifests of the same name later in the search path,
 * which this one hides (first directory wins); it is empty when none.  A
 * manifest that did not read is listed with its path as its name.
 *
 * Text that is not valid UTF-8 (a corrupt manifest) is shown with '?' in
 * place of its non-ASCII bytes, so the output is always valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* `text` as a JSON string with every non-ASCII byte replaced by '?'. */
static json_t *ascii_json(const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    json_t *value = json_string(copy);
    free(copy);
    return value;
}

/* A JSON string (null for NULL); NULL only when out of memory. */
static json_t *text_json(const char *text)
{
    if (!text)
        return json_null();
    json_t *value = json_string(text);
    return value ? value : ascii_json(text);
}

static json_t *option_json(const struct pikos_manifest_option *opt)
{
    /* "o" takes over each reference, and releases them all on failure. */
    return json_pack("{s:o, s:s, s:o, s:b, s:o}", "name", text_json(opt->name),
                     "type", pikos_option_type_name(opt->type), "default",
                     text_json(opt->default_value), "required",
                     (opt->flags & PIKOS_OPTION_REQUIRED) != 0, "help",
                     text_json(opt->help));
}

static json_t *options_json(const struct pikos_plugin_info *info)
{
    json_t *options = json_array();
    for (size_t i = 0; options && i < info->noptions; i++) {
        if (json_array_append_new(options, option_json(&info->options[i])) <
            0) {
            json_decref(options);
            return NULL;
        }
    }
    return options;
}

static json_t *shadowed_json(const struct pikos_plugin_info *info)
{
    json_t *paths = json_array();
    for (size_t i = 0; paths && i < info->nshadowed; i++) {
        if (json_array_append_new(paths, text_json(info->shadowed[i])) < 0) {
            json_decref(paths);
            return NULL;
        }
    }
    return paths;
}

static json_t *plugin_json(const struct pikos_plugin_info *info)
{
    const char *kind = info->kind ? pikos_kind_name(info->kind) : NULL;
    return json_pack(
        "{s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
        text_json(info->full_name), "kind", text_json(kind), "summary",
        text_json(info->summary), "status",
        pikos_plugin_state_name(info->state), "reason", text_json(info->reason),
        "manifest", text_json(info->manifest_path), "library",
        text_json(info->library), "version", text_json(info->version),
        "options", options_json(info), "shadows", shadowed_json(info));
}

int pikos_cli_print_plugins_json(struct pikos_plugin_info *const *plugins,
                                 size_t count)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++) {
        if (json_array_append_new(list, plugin_json(plugins[i])) < 0) {
            json_decref(list);
            list = NULL;
        }
    }
    if (!list) {
        pikos_cli_error("out of memory while writing the plugin list");
        return PIKOS_CLI_EXIT_USAGE;
    }
    int r = json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(list);
    if (r < 0 || putchar('\n') == EOF) {
        pikos_cli_error("cannot write the plugin list to standard output");
        return PIKOS_CLI_EXIT_USAGE;
    }
    return 0;
}
