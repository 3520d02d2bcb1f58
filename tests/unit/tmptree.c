/* tests/unit/tmptree.c - throw-away directory trees for tests. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmptree.h"

char *tmptree_new(void)
{
    const char *tmp = getenv("TMPDIR");
    size_t size;
    char *root;

    if (tmp == NULL || *tmp == '\0')
        tmp = "/tmp";
    size = strlen(tmp) + sizeof("/pikos-test-XXXXXX");
    root = malloc(size);
    if (root == NULL)
        return NULL;
    snprintf(root, size, "%s/pikos-test-XXXXXX", tmp);
    if (mkdtemp(root) == NULL) {
        free(root);
        return NULL;
    }
    return root;
}

/* Creates every directory of `path` above its last component. */
static int make_parents(char *path)
{
    for (char *slash = strchr(path + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int failed = mkdir(path, 0700) != 0 && access(path, F_OK) != 0;
        *slash = '/';
        if (failed)
            return -1;
    }
    return 0;
}

char *tmptree_write(const char *root, const char *relpath, const char *data,
                    size_t size)
{
    size_t len = strlen(root) + 1 + strlen(relpath) + 1;
    char *path = malloc(len);
    FILE *file;
    int written;

    if (path == NULL)
        return NULL;
    snprintf(path, len, "%s/%s", root, relpath);
    if (make_parents(path) != 0 || (file = fopen(path, "wb")) == NULL) {
        free(path);
        return NULL;
    }
    written = fwrite(data, 1, size, file) == size;
    if (fclose(file) != 0 || !written) {
        free(path);
        return NULL;
    }
    return path;
}

char *tmptree_write_text(const char *root, const char *relpath,
                         const char *text)
{
    return tmptree_write(root, relpath, text, strlen(text));
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tmptree_remove(char *root)
{
    if (root == NULL)
        return;
    nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(root);
}
