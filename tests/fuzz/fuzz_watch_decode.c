/*
 * tests/fuzz/fuzz_watch_decode.c - libFuzzer target for `pikos watch`'s
 * decoder: any bytes, split into messages and frames (watch_input.h), go
 * through pikos_watch_receive, and whatever streams they made are printed
 * as the --once snapshot.  Nothing may crash, leak or read out of bounds.
 * Built and run by `make fuzz` (tests/fuzz/Makefile.inc).
 */
#include <stdint.h>
#include <stdio.h>

#include "watch.h"
#include "watch_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *out;
    if (!out)
        out = fopen("/dev/null", "w");
    struct pikos_watch_streams streams = {0};
    watch_input_feed(&streams, data, size, 0.0, NULL, 0);
    if (out)
        pikos_watch_print_snapshot(out, &streams, 0, 10.0);
    pikos_watch_streams_free(&streams);
    return 0;
}
