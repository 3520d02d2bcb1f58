/* plugins/recorders/perfetto/process.c - see process.h. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"

/* Python's options that take the next argument as their value. */
static int takes_value(const char *option)
{
    return strcmp(option, "-W") == 0 || strcmp(option, "-X") == 0 ||
           strcmp(option, "--check-hash-based-pycs") == 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

const char *process_program_name(char *const *args, size_t nargs)
{
    size_t i = 1;
    if (nargs == 0)
        return "python";
    while (i < nargs && args[i][0] == '-' && args[i][1] != '\0') {
        if (strcmp(args[i], "-m") == 0 && i + 1 < nargs)
            return args[i + 1];
        if (strcmp(args[i], "-c") == 0)
            return "-c";
        i += takes_value(args[i]) ? 2 : 1;
    }
    return base_name(i < nargs ? args[i] : args[0]);
}

/* The whole of a small file, NUL-ended, malloc'ed; NULL on failure. */
static char *read_all(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = 4096, len = 0;
    char *text = fd >= 0 ? malloc(cap) : NULL;
    ssize_t n = 0;

    while (text != NULL && (n = read(fd, text + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 == cap) {
            char *grown = realloc(text, 2 * cap);
            if (grown == NULL)
                break;
            text = grown;
            cap *= 2;
        }
    }
    if (fd >= 0)
        close(fd);
    if (text != NULL)
        text[len] = '\0';
    *size = len;
    return text;
}

/* Splits the NUL-separated arguments into info->args. */
static int split_args(struct process_info *info)
{
    size_t n = 0;
    for (size_t i = 0; i < info->cmdline_size; i++)
        n += info->cmdline[i] == '\0';
    if (info->cmdline_size > 0 && info->cmdline[info->cmdline_size - 1] != '\0')
        n++; /* a last argument cut short */
    info->args = calloc(n + 1, sizeof(*info->args));
    if (info->args == NULL)
        return -1;
    for (size_t at = 0; at < info->cmdline_size && info->nargs < n;) {
        info->args[info->nargs++] = info->cmdline + at;
        at += strlen(info->cmdline + at) + 1;
    }
    return 0;
}

int process_info_read(struct process_info *info)
{
    memset(info, 0, sizeof(*info));
    info->pid = (int32_t)getpid();
    info->cmdline = read_all("/proc/self/cmdline", &info->cmdline_size);
    if (info->cmdline == NULL) {
        info->cmdline = calloc(1, 1);
        info->cmdline_size = 0;
    }
    if (info->cmdline == NULL || split_args(info) != 0)
        return -1;
    info->name = process_program_name(info->args, info->nargs);
    return 0;
}

void process_info_free(struct process_info *info)
{
    free(info->args);
    free(info->cmdline);
    memset(info, 0, sizeof(*info));
}
