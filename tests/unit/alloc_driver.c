/*
 * tests/unit/alloc_driver.c - see alloc_driver.h.
 */
#include <criterion/criterion.h>

#include "alloc_driver.h"

struct fake_instance *alloc_driver_start(const char *const *settings,
                                         const struct fake_frame *frames,
                                         size_t nframes)
{
    struct fake_instance *fi =
        fake_instance_new(&pikos_plugin_entry, settings);
    cr_assert_not_null(fi);
    cr_assert_eq(fi->init_rc, PIKOS_OK, "%s", fi->error);
    fake_frames = frames;
    fake_nframes = nframes;
    fake_safe_points_asked = 0;
    fake_run_start_ns = 1000 * MS;
    fake_now_ns = fake_run_start_ns;
    fake_thread_id = 42;
    cr_assert_eq(pikos_plugin_entry.start(&fi->inst, fi->ctx), PIKOS_OK);
    return fi;
}

void alloc_driver_event(struct fake_instance *fi, uint32_t type,
                        uint32_t domain, uint64_t address, uint64_t size,
                        uint32_t stack, uint64_t at_ms)
{
    struct pikos_event ev = {.type = type, .address = address,
                             .size = size, .domain = domain,
                             .stack = stack};
    fake_now_ns = fake_run_start_ns + at_ms * MS;
    pikos_plugin_entry.on_event(&fi->inst, fi->ctx, &ev);
}
