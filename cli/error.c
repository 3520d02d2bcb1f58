/*
 * cli/error.c - the one-line "pikos: ..." error every user error ends in.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void pikos_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pikos: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
}
