/* Buffered outputs: buffering, big writes, errors, fork safety. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "fakehost.h"

static char path[64];

static void make_temp_file(void)
{
    fake_temp_file(path);
}

static void remove_temp_file(void)
{
    unlink(path);
}

static struct pikos_output *open_output(const char *where)
{
    struct pikos_error err = {0};
    struct pikos_output *out = pikos_output_open(where, &err);
    cr_assert_not_null(out, "%s", err.message);
    return out;
}

static off_t file_size(const char *file)
{
    struct stat st;
    cr_assert_eq(stat(file, &st), 0);
    return st.st_size;
}

static void assert_file_is(const char *file, const char *expected)
{
    char *text = fake_read_file(file);
    cr_assert_not_null(text);
    cr_assert_str_eq(text, expected);
    free(text);
}

TestSuite(output, .init = make_temp_file, .fini = remove_temp_file);

Test(output, writes_stay_in_the_buffer_until_flushed)
{
    struct pikos_output *out = open_output(path);
    cr_assert_eq(pikos_output_write(out, "abc", 3), 0);
    cr_assert_eq(file_size(path), 0);
    cr_assert_eq(pikos_output_flush(out), 0);
    assert_file_is(path, "abc");
    cr_assert_eq(pikos_output_write(out, "def\n", 4), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "abcdef\n");
}

Test(output, opening_truncates_the_file)
{
    struct pikos_output *out = open_output(path);
    pikos_output_write(out, "old contents", 12);
    pikos_output_close(out);
    out = open_output(path);
    pikos_output_write(out, "new", 3);
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "new");
}

Test(output, big_writes_go_straight_through_in_order)
{
    size_t big = 200 * 1024;
    char *data = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)('a' + i % 26);
    data[big] = '\0';
    struct pikos_output *out = open_output(path);
    pikos_output_write(out, "<", 1);
    cr_assert_eq(pikos_output_write(out, data, big), 0);
    cr_assert_eq(file_size(path), (off_t)big + 1); /* nothing left behind */
    pikos_output_write(out, ">", 1);
    cr_assert_eq(pikos_output_close(out), 0);

    char *text = fake_read_file(path);
    cr_assert_eq(strlen(text), big + 2);
    cr_assert_eq(text[0], '<');
    cr_assert_eq(memcmp(text + 1, data, big), 0);
    cr_assert_eq(text[big + 1], '>');
    free(text);
    free(data);
}

Test(output, many_small_writes_fill_and_flush_the_buffer)
{
    char line[100];
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\n';
    struct pikos_output *out = open_output(path);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(pikos_output_write(out, line, sizeof(line)), 0);
    off_t before_close = file_size(path);
    cr_assert_gt(before_close, 0);
    cr_assert_lt(before_close, 100000);
    cr_assert_eq(pikos_output_close(out), 0);
    cr_assert_eq(file_size(path), 100000);
}

Test(output, an_unwritable_path_names_the_file_and_the_reason)
{
    struct pikos_error err = {0};
    cr_assert_null(pikos_output_open("/nonexistent-pikos-dir/out.csv", &err));
    cr_assert_eq(err.code, PIKOS_EIO);
    cr_assert_str_eq(err.message, "cannot open output "
                                  "'/nonexistent-pikos-dir/out.csv': No such "
                                  "file or directory");
}

Test(output, a_failed_write_is_kept_and_reported)
{
    struct pikos_output *out = open_output("/dev/full");
    cr_assert_eq(pikos_output_write(out, "abc", 3), 0); /* buffered */
    cr_assert_eq(pikos_output_errno(out), 0);
    cr_assert_eq(pikos_output_flush(out), PIKOS_EIO);
    cr_assert_eq(pikos_output_errno(out), ENOSPC);
    cr_assert_eq(pikos_output_write(out, "def", 3), PIKOS_EIO);
    cr_assert_eq(errno, ENOSPC);
    cr_assert_eq(pikos_output_close(out), PIKOS_EIO);
    cr_assert_eq(errno, ENOSPC);
}

Test(output, files_are_not_terminals)
{
    struct pikos_output *out = open_output(path);
    cr_assert_eq(pikos_output_is_terminal(out), 0);
    pikos_output_close(out);
}

Test(output, flush_all_flushes_every_open_output)
{
    char second[64];
    fake_temp_file(second);
    struct pikos_output *a = open_output(path);
    struct pikos_output *b = open_output(second);
    pikos_output_write(a, "first", 5);
    pikos_output_write(b, "second", 6);
    pikos_outputs_flush_all();
    assert_file_is(path, "first");
    assert_file_is(second, "second");
    pikos_output_close(a);
    pikos_output_close(b);
    unlink(second);
}

Test(output, closing_null_does_nothing)
{
    cr_assert_eq(pikos_output_close(NULL), 0);
}

Test(output, a_forked_child_never_writes_into_the_parents_output)
{
    char own[64];
    fake_temp_file(own);
    struct pikos_output *out = open_output(path);
    pikos_output_write(out, "parent before fork\n", 19); /* still buffered */

    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0) {
        pikos_output_write(out, "child\n", 6);
        pikos_output_flush(out);
        pikos_outputs_flush_all();
        pikos_output_close(out);
        /* The child's own outputs work as usual. */
        struct pikos_output *mine = pikos_output_open(own, NULL);
        pikos_output_write(mine, "child's own\n", 12);
        exit(pikos_output_close(mine) == 0 ? 0 : 1); /* runs atexit too */
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    pikos_output_write(out, "parent after fork\n", 18);
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "parent before fork\nparent after fork\n");
    assert_file_is(own, "child's own\n");
    unlink(own);
}

Test(output, standard_output_is_written_but_never_closed,
     .init = cr_redirect_stdout)
{
    const char *names[] = {NULL, "", "-"};
    for (size_t i = 0; i < 3; i++) {
        struct pikos_output *out = open_output(names[i]);
        pikos_output_write(out, "to stdout\n", 10);
        cr_assert_eq(pikos_output_close(out), 0);
        cr_assert_neq(fcntl(STDOUT_FILENO, F_GETFD), -1);
    }
    cr_assert_stdout_eq_str("to stdout\nto stdout\nto stdout\n");
}

Test(output, reserve_and_commit_write_in_place)
{
    struct pikos_output *out = open_output(path);
    char *room = pikos_output_reserve(out, 10);
    cr_assert_not_null(room);
    memcpy(room, "in place!!", 10);
    cr_assert_eq(pikos_output_commit(out, 8), 0); /* keeps 8 of the 10 */
    cr_assert_eq(pikos_output_write(out, "\n", 1), 0);
    cr_assert_null(pikos_output_reserve(out, 1 << 20)); /* over the buffer */
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "in place\n");
}

Test(output, reserve_flushes_a_full_buffer_first)
{
    struct pikos_output *out = open_output(path);
    static char block[60000];
    memset(block, 'a', sizeof block);
    cr_assert_eq(pikos_output_write(out, block, sizeof block), 0);
    char *room = pikos_output_reserve(out, 10000); /* does not fit after */
    cr_assert_not_null(room);
    cr_assert_eq(file_size(path), (off_t)sizeof block);
    memset(room, 'b', 10000);
    cr_assert_eq(pikos_output_commit(out, 10000), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    cr_assert_eq(file_size(path), (off_t)sizeof block + 10000);
}

/* ------------------------------------------------------------ endings */

Test(output, the_ending_is_written_at_close_after_everything)
{
    struct pikos_output *out = open_output(path);
    cr_assert_eq(pikos_output_write(out, "[1", 2), 0);
    cr_assert_eq(pikos_output_set_ending(out, "]\n", 2), 0);
    cr_assert_eq(pikos_output_write(out, ",2", 2), 0);
    cr_assert_eq(pikos_output_flush(out), 0);
    assert_file_is(path, "[1,2"); /* a flush does not write it */
    cr_assert_eq(pikos_output_write(out, ",3", 2), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "[1,2,3]\n");
}

Test(output, a_new_ending_replaces_the_old_and_zero_removes_it)
{
    struct pikos_output *out = open_output(path);
    pikos_output_write(out, "x", 1);
    cr_assert_eq(pikos_output_set_ending(out, "longer ending", 13), 0);
    cr_assert_eq(pikos_output_set_ending(out, "<end>", 5), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "x<end>");

    out = open_output(path);
    pikos_output_write(out, "y", 1);
    pikos_output_set_ending(out, "<end>", 5);
    cr_assert_eq(pikos_output_set_ending(out, NULL, 0), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "y");
}

Test(output, an_ending_too_long_is_refused)
{
    static char big[PIKOS_OUTPUT_ENDING_MAX + 1];
    struct pikos_output *out = open_output(path);
    memset(big, 'e', sizeof(big));
    cr_assert_eq(pikos_output_set_ending(out, big, sizeof(big)), PIKOS_EINVAL);
    cr_assert_eq(pikos_output_set_ending(out, big, PIKOS_OUTPUT_ENDING_MAX), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    cr_assert_eq(file_size(path), PIKOS_OUTPUT_ENDING_MAX);
}

Test(output, the_ending_follows_a_big_write)
{
    size_t big = 100 * 1024;
    char *data = malloc(big);
    memset(data, 'b', big);
    struct pikos_output *out = open_output(path);
    pikos_output_set_ending(out, "!", 1);
    cr_assert_eq(pikos_output_write(out, data, big), 0);
    cr_assert_eq(pikos_output_close(out), 0);
    char *text = fake_read_file(path);
    cr_assert_eq(strlen(text), big + 1);
    cr_assert_eq(text[big - 1], 'b');
    cr_assert_eq(text[big], '!');
    free(text);
    free(data);
}

Test(output, the_screen_gets_its_ending_too, .init = cr_redirect_stdout)
{
    struct pikos_output *out = open_output(NULL);
    pikos_output_write(out, "{\"a\": 1", 7);
    pikos_output_set_ending(out, "}\n", 2);
    cr_assert_eq(pikos_output_close(out), 0);
    cr_assert_stdout_eq_str("{\"a\": 1}\n");
}

Test(output, a_failed_output_writes_no_ending)
{
    struct pikos_output *out = open_output("/dev/full");
    pikos_output_write(out, "abc", 3);
    pikos_output_set_ending(out, "]", 1);
    cr_assert_eq(pikos_output_flush(out), PIKOS_EIO);
    cr_assert_eq(pikos_output_close(out), PIKOS_EIO);
    cr_assert_eq(errno, ENOSPC);
}

Test(output, a_forked_child_never_writes_the_parents_ending)
{
    struct pikos_output *out = open_output(path);
    pikos_output_write(out, "[parent", 7);
    pikos_output_set_ending(out, "]", 1);

    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0) {
        pikos_output_set_ending(out, "child's ending", 14);
        exit(pikos_output_close(out) == 0 ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_file_is(path, "");
    cr_assert_eq(pikos_output_close(out), 0);
    assert_file_is(path, "[parent]");
}
