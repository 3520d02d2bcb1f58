/* core/version.c - the version of libpikos. */
#include <pikos/pikos.h>

#ifndef PIKOS_VERSION_STRING
#define PIKOS_VERSION_STRING "unknown"
#endif

__attribute__((visibility("default"))) const char *pikos_version(void)
{
    return PIKOS_VERSION_STRING;
}
