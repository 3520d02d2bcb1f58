/* Instances' durable state buffers (core/state.c, ABI 1.4): private memory
   without the pikos command; under it, files of the run's state directory
   that outlive the process, listed in the shared region with the spec the
   instance was made from; private again in a forked child; read back by a
   salvage. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "durable.h"
#include "fakehost.h"

static char left[64]; /* what the salvage below read */

static int keeper_salvage(struct pikos_instance *inst, void *ctx)
{
    size_t size;
    const char *data = pikos_state_get(inst, 7, &size);
    (void)ctx;
    if (data == NULL)
        return pikos_instance_set_error(inst, PIKOS_EIO, "nothing left");
    memcpy(left, data, size < sizeof(left) ? size : sizeof(left) - 1);
    return PIKOS_OK;
}

static const struct pikos_plugin keeper = {
    .abi_major = PIKOS_ABI_MAJOR,
    .abi_minor = PIKOS_ABI_MINOR,
    .struct_size = sizeof(struct pikos_plugin),
    .kind = PIKOS_KIND_RECORDER,
    .name = "keeper",
    .salvage = keeper_salvage,
};
static struct pikos_plugin_info info = {.full_name = "recorders/keeper"};

static struct pikos_instance *instance(void)
{
    static const struct pikos_option_setting settings[] = {
        {"format", "pstats"}, {"filename", "a=b.out"}};
    struct pikos_instance *inst = calloc(1, sizeof(*inst));
    cr_assert_not_null(inst);
    inst->info = &info;
    inst->plugin = &keeper;
    cr_assert_eq(pikos_state_keep_spec(inst, settings, 2), PIKOS_OK);
    return inst;
}

static void instance_free(struct pikos_instance *inst)
{
    pikos_state_free(inst);
    free(inst->spec);
    free(inst->error_message);
    free(inst);
}

static char *put(struct pikos_instance *inst, unsigned id, const char *text)
{
    char *data = pikos_state_resize(inst, id, strlen(text) + 1);
    cr_assert_not_null(data);
    strcpy(data, text);
    return data;
}

/* ------------------------------------------------------------ memory */

Test(state, a_buffer_grows_like_realloc)
{
    struct pikos_instance *inst = instance();
    unsigned char *data = pikos_state_resize(inst, 1, 100);

    cr_assert_not_null(data);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(data[i], 0); /* made zeroed */
    memset(data, 'x', 100);
    data = pikos_state_resize(inst, 1, 1 << 20);
    cr_assert_not_null(data);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(data[i], 'x');
    cr_assert_eq(data[(1 << 20) - 1], 0);
    put(inst, 2, "another");
    cr_assert_eq(data[0], 'x'); /* buffers are apart */
    instance_free(inst);
}

Test(state, nothing_to_get_outside_a_salvage)
{
    struct pikos_instance *inst = instance();
    size_t size = 5;

    put(inst, 7, "mine");
    cr_assert_null(pikos_state_get(inst, 7, &size));
    cr_assert_eq(size, 0);
    instance_free(inst);
}

Test(state, the_spec_is_the_plugin_and_its_settings)
{
    struct pikos_instance *inst = instance();
    static const char spec[] = "recorders/keeper\0format=pstats\0"
                               "filename=a=b.out";

    cr_assert_eq(inst->spec_len, sizeof(spec));
    cr_assert_eq(memcmp(inst->spec, spec, sizeof(spec)), 0);
    instance_free(inst);
}

/* ------------------------------------------------------------ command */

static struct pikos_durable *command;
static char dir[] = "/tmp/pikos-test-state-XXXXXX";

static void share_region(void)
{
    int fd;
    command = pikos_durable_create(&fd);
    cr_assert_not_null(command);
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(pikos_durable_config_add(command, "state_dir", dir), 0);
    cr_assert_not_null(pikos_durable_attach(dup(fd)));
    close(fd);
}

static void unshare_region(void)
{
    pikos_durable_destroy(command);
    fake_remove_dir(dir);
}

static char *file_of(unsigned record, unsigned id)
{
    static char path[PIKOS_DURABLE_PATH];
    cr_assert_eq(pikos_durable_state_path(path, sizeof(path), dir, record, id),
                 0);
    return path;
}

static void assert_file(const char *path, const char *expected)
{
    char *text = fake_read_file(path);
    cr_assert_not_null(text, "%s", path);
    cr_assert_str_eq(text, expected);
    free(text);
}

TestSuite(command, .init = share_region, .fini = unshare_region);

Test(command, a_buffer_is_a_file_the_command_reads)
{
    struct pikos_instance *inst = instance();
    struct stat st;
    char *data = put(inst, 3, "kept");

    cr_assert(command->states[0].in_use);
    cr_assert_eq(command->states[0].spec_len, inst->spec_len);
    cr_assert_eq(memcmp(command->states[0].spec, inst->spec, inst->spec_len),
                 0);
    assert_file(file_of(0, 3), "kept");
    data = pikos_state_resize(inst, 3, 1 << 20);
    strcpy(data + (1 << 20) - 4, "end");
    cr_assert_eq(stat(file_of(0, 3), &st), 0);
    cr_assert_eq(st.st_size, 1 << 20);
    assert_file(file_of(0, 3), "kept");
    instance_free(inst);
    cr_assert_not(command->states[0].in_use);
    cr_assert_neq(access(file_of(0, 3), F_OK), 0); /* removed at the end */
}

Test(command, salvaged_only_between_start_and_finalize)
{
    struct pikos_instance *inst = instance();

    put(inst, 1, "x");
    cr_assert_not(command->states[0].active);
    inst->started = 1;
    pikos_state_running(inst);
    cr_assert(command->states[0].active);
    inst->started = 0;
    pikos_state_running(inst);
    cr_assert_not(command->states[0].active);
    instance_free(inst);
}

Test(command, a_forked_child_writes_its_own_copy)
{
    struct pikos_instance *inst = instance();
    char *data = put(inst, 3, "parent");
    pid_t pid = fork();

    if (pid == 0) {
        strcpy(data, "child!");
        data = pikos_state_resize(inst, 3, 1 << 16); /* not the file */
        _exit(data != NULL && strcmp(data, "child!") == 0 ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_str_eq(data, "parent");
    assert_file(file_of(0, 3), "parent");
    struct stat st;
    cr_assert_eq(stat(file_of(0, 3), &st), 0);
    cr_assert_eq(st.st_size, sizeof("parent"));
    instance_free(inst);
}

Test(command, a_salvage_reads_what_the_process_left)
{
    struct pikos_instance *gone = instance(), *again = instance();
    struct pikos_error err = {0};

    put(gone, 7, "the tree");
    cr_assert_eq(pikos_instance_salvage(again, dir, 0, &err), PIKOS_OK,
                 "%s", err.message);
    cr_assert_str_eq(left, "the tree");
    cr_assert_eq(pikos_instance_salvage(again, dir, 5, &err), PIKOS_EIO);
    cr_assert_str_eq(err.message, "[recorders/keeper] nothing left");
    instance_free(again);
    instance_free(gone);
}

Test(command, a_plugin_without_salvage_is_told)
{
    static const struct pikos_plugin older = {
        .abi_major = 1, .abi_minor = 3,
        .struct_size = offsetof(struct pikos_plugin, salvage),
        .kind = PIKOS_KIND_RECORDER, .name = "keeper"};
    struct pikos_instance *inst = instance();
    struct pikos_error err = {0};

    inst->plugin = &older;
    cr_assert_eq(pikos_instance_salvage(inst, dir, 0, &err), PIKOS_EPLUGIN);
    cr_assert_str_eq(err.message,
                     "[recorders/keeper] has no salvage: its output cannot "
                     "be written after the program ended");
    instance_free(inst);
}
