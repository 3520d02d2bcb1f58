/*
 * plugins/recorders/profile/allocations.{c,h} - a memory profile, as
 * recorders/profile builds it from allocation records (monitors/
 * allocations: StackAllocationRecord with aggregate=stack, one record per
 * Python stack; AllocationRecord with aggregate=line, one per line).
 *
 * A stack is its frames, outermost first, each a location: a function
 * (its name and file) at a line.  Functions and locations are interned
 * once, in the order first met, so that pprof's Function and Location
 * tables and speedscope's frames list each once; a stack met again (a
 * second run of the same recorder) adds its values to the first's.
 *
 * The records come only when monitoring stops (the monitor aggregates
 * the run itself), so this lives in plain memory, not in the durable
 * state the call tree uses (store.h): there is nothing to salvage of it
 * when the program ends before stopping.
 */
#ifndef PIKOS_PROFILE_ALLOCATIONS_H
#define PIKOS_PROFILE_ALLOCATIONS_H

#include <stddef.h>
#include <stdint.h>

/* The values of a record, in the schema's order. */
enum alloc_value {
    ALLOC_BYTES,
    ALLOC_COUNT,
    FREE_BYTES,
    FREE_COUNT,
    PEAK_BYTES,
    PEAK_COUNT,
    EXIT_BYTES,
    EXIT_COUNT,
    ALLOC_NVALUES
};

/* Their field names, in that order. */
extern const char *const alloc_value_names[ALLOC_NVALUES];

/* One frame as a record names it (borrowed strings). */
struct alloc_frame_text {
    const char *function;
    size_t function_len;
    const char *filename; /* "" where there is none */
    size_t filename_len;
    int64_t lineno; /* 0 where there is none */
};

struct alloc_function {
    uint64_t name_at, filename_at; /* in the string buffer, NUL-ended */
    size_t name_len, filename_len;
    uint64_t hash;
};

struct alloc_location {
    uint32_t function;
    int64_t line;
    uint64_t hash;
};

struct alloc_stack {
    uint64_t frames_at; /* its locations in `frames`, outermost first */
    uint32_t depth;
    uint64_t hash;
    int64_t values[ALLOC_NVALUES];
};

struct alloc_table { /* open addressing: item index + 1 */
    uint32_t *slots;
    uint32_t cap;
};

struct alloc_profile {
    char *strings;
    uint64_t strings_used, strings_cap;

    struct alloc_function *functions;
    uint32_t nfunctions, functions_cap;
    struct alloc_table function_table;

    struct alloc_location *locations;
    uint32_t nlocations, locations_cap;
    struct alloc_table location_table;

    uint32_t *frames;
    uint64_t nframes, frames_cap;

    struct alloc_stack *stacks; /* in the order first met */
    uint32_t nstacks, stacks_cap;
    struct alloc_table stack_table;

    uint32_t *scratch; /* a stack's locations while it is added */
    size_t scratch_cap;
};

/* NULL when out of memory. */
struct alloc_profile *alloc_profile_new(void);
void alloc_profile_free(struct alloc_profile *p);

/* A function's name and file (NUL-terminated). */
static inline const char *alloc_function_name(const struct alloc_profile *p,
                                              uint32_t f)
{
    return p->strings + p->functions[f].name_at;
}
static inline const char *alloc_function_file(const struct alloc_profile *p,
                                              uint32_t f)
{
    return p->strings + p->functions[f].filename_at;
}

/* The locations of stack `s`, outermost first. */
static inline const uint32_t *alloc_stack_frames(const struct alloc_profile *p,
                                                 const struct alloc_stack *s)
{
    return p->frames + s->frames_at;
}

/*
 * One frame of a `stack` field ("FUNCTION (FILENAME:LINENO)", py-spy's
 * collapsed convention): when the text ends with ')' and holds " (", the
 * last " (" splits the function from "FILENAME:LINENO)", and the last ':'
 * there splits the line (when what follows it is a decimal number; else
 * it is all the file, line 0).  Otherwise the whole text is the function,
 * with no file and line 0 ("<no Python frame>").
 */
void alloc_frame_parse(const char *text, size_t len,
                       struct alloc_frame_text *frame);

/* Adds a stack of `depth` frames, outermost first, with its values; an
   equal stack already there gets them added.  0, or -1 when out of
   memory (the stack is not counted). */
int alloc_profile_add(struct alloc_profile *p,
                      const struct alloc_frame_text *frames, size_t depth,
                      const int64_t values[ALLOC_NVALUES]);

#endif /* PIKOS_PROFILE_ALLOCATIONS_H */
