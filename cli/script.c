/*
 * cli/script.c - the script file, read before Python starts, and the two
 * paths python3 derives from it:
 *   - co_filename and __file__: since Python 3.9 the path made absolute by
 *     prefixing the current directory, without resolving links or "..";
 *     before 3.9 the path as given;
 *   - sys.path[0]: the directory of the script after resolving every
 *     symbolic link (realpath), or the current directory for -m.
 */
#include "embed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads all of `file` into script->source; -1 with errno set. */
static int read_all(FILE *file, struct pikos_cli_script *script)
{
    size_t cap = 0;
    for (;;) {
        if (script->size == cap) {
            cap = cap ? 2 * cap : 8192;
            char *grown = realloc(script->source, cap);
            if (!grown)
                return -1;
            script->source = grown;
        }
        size_t n =
            fread(script->source + script->size, 1, cap - script->size, file);
        script->size += n;
        if (n == 0)
            return ferror(file) ? -1 : 0;
    }
}

/* "/cwd/" + path for a relative path (Python >= 3.9), else a copy. */
static char *python_filename(const char *path)
{
#if PY_VERSION_HEX >= 0x03090000
    if (path[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        if (cwd) {
            size_t len = strlen(cwd) + 1 + strlen(path) + 1;
            char *joined = malloc(len);
            if (joined)
                snprintf(joined, len, "%s/%s", cwd, path);
            free(cwd);
            return joined;
        }
        /* Like python3, keep the path as given without a current dir. */
    }
#endif
    return strdup(path);
}

int pikos_cli_script_load(const char *path, struct pikos_cli_script *script)
{
    memset(script, 0, sizeof(*script));
    FILE *file = fopen(path, "rb");
    if (!file) {
        pikos_cli_error("cannot open script '%s': %s", path, strerror(errno));
        return -1;
    }
    int r = read_all(file, script);
    int saved_errno = errno;
    fclose(file);
    if (r < 0) {
        pikos_cli_error("cannot read script '%s': %s", path,
                        strerror(saved_errno));
        pikos_cli_script_free(script);
        return -1;
    }
    script->filename = python_filename(path);
    if (!script->filename) {
        pikos_cli_error("out of memory");
        pikos_cli_script_free(script);
        return -1;
    }
    return 0;
}

void pikos_cli_script_free(struct pikos_cli_script *script)
{
    free(script->source);
    free(script->filename);
    memset(script, 0, sizeof(*script));
}

/* dirname() of the resolved script, "/" kept, "" without a slash. */
static char *script_directory(const char *script)
{
    char *resolved = realpath(script, NULL);
    const char *path = resolved ? resolved : script;
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (slash == path)
        len = 1;
    char *dir = strndup(path, len);
    free(resolved);
    return dir;
}

int pikos_cli_sys_path0(const char *script, char **dir)
{
    if (script) {
        *dir = script_directory(script);
    } else {
        /* python3 -m adds nothing when the current directory is gone. */
        *dir = getcwd(NULL, 0);
        if (!*dir && errno != ENOMEM)
            return 0;
    }
    if (!*dir) {
        pikos_cli_error("out of memory");
        return -1;
    }
    return 0;
}
