/*
 * core/alloc_native.c - native mode: the C library's allocation functions,
 * as every loaded library calls them (extension modules' buffers: numpy's
 * array data, for example).
 *
 * A library calls malloc through its global offset table (GOT), one entry
 * per imported function that the dynamic linker fills in.  Native mode
 * points each loaded library's entries for the allocation functions at
 * pikos's (as memray does), which call the C library's and tell the block
 * to alloc_hook.c as a block of the native domain.  `dlopen` is pointed at
 * pikos's too, so that a library loaded later (an extension module
 * imported while monitoring) gets the same.  At stop every entry pikos
 * changed is put back, unless something else changed it since.
 *
 * Left alone: libpikos (its allocations are pikos's own), the dynamic
 * linker, and the vDSO.  A block the C library allocates for Python's own
 * allocators is already an event of their domain: it comes while pikos's
 * function of that domain runs, and is not told twice.
 */
#include "allocations.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The C library's functions, as the process resolves them. */
static struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*dlopen)(const char *, int);
} libc;

/* ------------------------------------------------------------ pikos's */

static void *call_malloc(void *ctx, size_t size)
{
    (void)ctx;
    return libc.malloc(size);
}

static void *call_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    return libc.calloc(nelem, elsize);
}

static void *call_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    return libc.realloc(ptr, size);
}

static void call_free(void *ctx, void *ptr)
{
    (void)ctx;
    libc.free(ptr);
}

static const PyMemAllocatorEx native_calls = {NULL, call_malloc, call_calloc,
                                              call_realloc, call_free};

static void *native_malloc(size_t size)
{
    return pikos_alloc_native.malloc(pikos_alloc_native.ctx, size);
}

static void *native_calloc(size_t nelem, size_t elsize)
{
    return pikos_alloc_native.calloc(pikos_alloc_native.ctx, nelem, elsize);
}

static void *native_realloc(void *ptr, size_t size)
{
    return pikos_alloc_native.realloc(pikos_alloc_native.ctx, ptr, size);
}

static void native_free(void *ptr)
{
    pikos_alloc_native.free(pikos_alloc_native.ctx, ptr);
}

static int native_posix_memalign(void **out, size_t alignment, size_t size)
{
    int rc = libc.posix_memalign(out, alignment, size);
    if (rc == 0)
        pikos_alloc_native_told(*out, size);
    return rc;
}

static void *native_aligned_alloc(size_t alignment, size_t size)
{
    void *ptr = libc.aligned_alloc(alignment, size);
    if (ptr != NULL)
        pikos_alloc_native_told(ptr, size);
    return ptr;
}

static void *native_memalign(size_t alignment, size_t size)
{
    void *ptr = libc.memalign(alignment, size);
    if (ptr != NULL)
        pikos_alloc_native_told(ptr, size);
    return ptr;
}

static void *native_valloc(size_t size)
{
    void *ptr = libc.valloc(size);
    if (ptr != NULL)
        pikos_alloc_native_told(ptr, size);
    return ptr;
}

static void patch_loaded(void);

/* A library loaded now gets pikos's functions too. */
static void *native_dlopen(const char *file, int mode)
{
    void *handle = libc.dlopen(file, mode);
    if (handle != NULL)
        patch_loaded();
    return handle;
}

/* ------------------------------------------------------------ the table */

static const struct replaced {
    const char *name;
    void *ours;
} replaced[] = {
    {"malloc", (void *)native_malloc},
    {"calloc", (void *)native_calloc},
    {"realloc", (void *)native_realloc},
    {"free", (void *)native_free},
    {"posix_memalign", (void *)native_posix_memalign},
    {"aligned_alloc", (void *)native_aligned_alloc},
    {"memalign", (void *)native_memalign},
    {"valloc", (void *)native_valloc},
    {"dlopen", (void *)native_dlopen},
};
#define NREPLACED (sizeof(replaced) / sizeof(replaced[0]))

/* Every GOT entry pikos changed, with what it held, to put back. */
static struct patched {
    void **slot; /* NULL once put back */
    void *was;
    int relro;   /* in a read-only-after-relocation range */
} *patched;
static size_t npatched, patched_cap;

/* The loaded objects in the dynamic linker's order, but the main program
   and the vDSO: their names, for real_function. */
#define OBJECTS_MAX 1024
static const char *object_names[OBJECTS_MAX];
static size_t nobject_names;

static int list_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    if (info->dlpi_name != NULL && info->dlpi_name[0] != '\0' &&
        strstr(info->dlpi_name, "linux-vdso") == NULL &&
        nobject_names < OBJECTS_MAX)
        object_names[nobject_names++] = info->dlpi_name;
    return 0;
}

/* `name` as defined by the object `file` itself (not a dependency). */
static void *defined_in(const char *file, const char *name)
{
    void *handle = dlopen(file, RTLD_NOLOAD | RTLD_LAZY);
    struct link_map *map = NULL, *own = NULL;
    Dl_info where;
    void *fn = NULL;

    if (handle == NULL)
        return NULL;
    fn = dlsym(handle, name);
    if (fn == NULL || dlinfo(handle, RTLD_DI_LINKMAP, &own) != 0 ||
        dladdr1(fn, &where, (void **)&map, RTLD_DL_LINKMAP) == 0 ||
        map != own)
        fn = NULL;
    dlclose(handle);
    return fn;
}

/* The function `name` the process calls, as the dynamic linker resolves
   it past the main program: a preloaded allocator's (ASan's, jemalloc's),
   else the C library's.  Not dlsym(RTLD_DEFAULT): where the main program
   (not position-independent) takes a function's address, its own PLT
   entry is that function's address for everyone, and calling it would
   come back through the entry pikos changes. */
static void *real_function(const char *name)
{
    nobject_names = 0;
    dl_iterate_phdr(list_object, NULL);
    for (size_t i = 0; i < nobject_names; i++) {
        void *fn = defined_in(object_names[i], name);
        if (fn != NULL)
            return fn;
    }
    return NULL;
}

static int resolve_libc(void)
{
    void **fns[] = {
        (void **)&libc.malloc,        (void **)&libc.calloc,
        (void **)&libc.realloc,       (void **)&libc.free,
        (void **)&libc.posix_memalign, (void **)&libc.aligned_alloc,
        (void **)&libc.memalign,      (void **)&libc.valloc,
        (void **)&libc.dlopen,
    };
    for (size_t i = 0; i < NREPLACED; i++) {
        *fns[i] = real_function(replaced[i].name);
        if (*fns[i] == NULL)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ GOT entries */

/* What the dynamic section of a loaded object says, its addresses
   absolute (the dynamic linker relocated most of them in place; the main
   program's are absolute already). */
struct elf_object {
    ElfW(Addr) base;
    const ElfW(Sym) *symtab;
    const char *strtab;
    const ElfW(Rela) *relocs[2]; /* the PLT's and the others' */
    size_t nrelocs[2];
    ElfW(Addr) relro_start, relro_end; /* read-only after relocation */
};

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;

static ElfW(Addr) absolute(const struct elf_object *o, ElfW(Addr) ptr)
{
    return ptr < o->base ? ptr + o->base : ptr;
}

static int is_function_slot(ElfW(Xword) info)
{
#if defined(__x86_64__)
    return ELF64_R_TYPE(info) == R_X86_64_JUMP_SLOT ||
           ELF64_R_TYPE(info) == R_X86_64_GLOB_DAT;
#elif defined(__aarch64__)
    return ELF64_R_TYPE(info) == R_AARCH64_JUMP_SLOT ||
           ELF64_R_TYPE(info) == R_AARCH64_GLOB_DAT;
#else
    (void)info;
    return 0; /* native mode needs x86-64 or AArch64 (configure says) */
#endif
}

static void read_dynamic(struct elf_object *o, const ElfW(Dyn) *dyn)
{
    int plt_is_rela = 1;

    for (; dyn->d_tag != DT_NULL; dyn++) {
        ElfW(Addr) ptr = dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB: o->symtab = (const void *)absolute(o, ptr); break;
        case DT_STRTAB: o->strtab = (const void *)absolute(o, ptr); break;
        case DT_JMPREL: o->relocs[0] = (const void *)absolute(o, ptr); break;
        case DT_PLTRELSZ: o->nrelocs[0] = dyn->d_un.d_val; break;
        case DT_RELA: o->relocs[1] = (const void *)absolute(o, ptr); break;
        case DT_RELASZ: o->nrelocs[1] = dyn->d_un.d_val; break;
        case DT_PLTREL: plt_is_rela = dyn->d_un.d_val == DT_RELA; break;
        }
    }
    o->nrelocs[0] = plt_is_rela ? o->nrelocs[0] / sizeof(ElfW(Rela)) : 0;
    o->nrelocs[1] /= sizeof(ElfW(Rela));
}

/* The object's dynamic section and read-only-after-relocation range;
   0 when it has no dynamic section. */
static int elf_object_read(const struct dl_phdr_info *info,
                           struct elf_object *o)
{
    const ElfW(Dyn) *dyn = NULL;

    memset(o, 0, sizeof(*o));
    o->base = info->dlpi_addr;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const void *)(info->dlpi_addr + ph->p_vaddr);
        if (ph->p_type == PT_GNU_RELRO) {
            /* The linker makes read-only the whole pages of the range
               only: a last page part of it stays writable. */
            ElfW(Addr) page = (ElfW(Addr))sysconf(_SC_PAGESIZE);
            o->relro_start = info->dlpi_addr + ph->p_vaddr;
            o->relro_end = (o->relro_start + ph->p_memsz) & ~(page - 1);
        }
    }
    if (dyn == NULL)
        return 0;
    read_dynamic(o, dyn);
    return o->symtab != NULL && o->strtab != NULL;
}

/* Writes a GOT entry, opening a read-only page for the time of it. */
static void slot_write(void **slot, void *value, int relro)
{
    long page = sysconf(_SC_PAGESIZE);
    void *start = (void *)((ElfW(Addr))slot & ~(ElfW(Addr))(page - 1));

    if (relro && mprotect(start, (size_t)page, PROT_READ | PROT_WRITE) != 0)
        return;
    __atomic_store_n(slot, value, __ATOMIC_RELAXED);
    if (relro)
        mprotect(start, (size_t)page, PROT_READ);
}

static const struct replaced *replaced_named(const char *name)
{
    for (size_t i = 0; i < NREPLACED; i++)
        if (strcmp(replaced[i].name, name) == 0)
            return &replaced[i];
    return NULL;
}

static int remember(void **slot, void *was, int relro)
{
    if (npatched == patched_cap) {
        size_t cap = patched_cap ? patched_cap * 2 : 64;
        struct patched *grown = libc.realloc(patched, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        patched = grown;
        patched_cap = cap;
    }
    patched[npatched++] = (struct patched){slot, was, relro};
    return 0;
}

static void patch_relocs(const struct elf_object *o, const ElfW(Rela) *r,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_function_slot(r[i].r_info))
            continue;
        const ElfW(Sym) *sym = &o->symtab[ELF64_R_SYM(r[i].r_info)];
        const struct replaced *fn = replaced_named(o->strtab + sym->st_name);
        void **slot = (void **)(o->base + r[i].r_offset);
        int relro = (ElfW(Addr))slot >= o->relro_start &&
                    (ElfW(Addr))slot < o->relro_end;
        if (fn == NULL || *slot == fn->ours ||
            remember(slot, *slot, relro) < 0)
            continue;
        slot_write(slot, fn->ours, relro);
    }
}

/* libpikos's load address, found at start: no dl* function may be
   called inside dl_iterate_phdr (it holds the linker's lock that dlopen
   takes second: a deadlock with a dlopen in another thread). */
static ElfW(Addr) own_base;

/* Whether pikos leaves the object alone: itself, the dynamic linker, the
   vDSO. */
static int left_alone(const struct dl_phdr_info *info)
{
    const char *name = info->dlpi_name ? info->dlpi_name : "";

    if (name[0] != '\0' && info->dlpi_addr == own_base)
        return 1;
    return strstr(name, "/ld-linux") != NULL || strstr(name, "ld-linux") ==
           name || strstr(name, "linux-vdso") != NULL ||
           strstr(name, "linux-gate") != NULL;
}

static int patch_object(struct dl_phdr_info *info, size_t size, void *data)
{
    struct elf_object o;

    (void)size, (void)data;
    if (left_alone(info) || !elf_object_read(info, &o))
        return 0;
    for (int k = 0; k < 2; k++)
        patch_relocs(&o, o.relocs[k], o.nrelocs[k]);
    return 0;
}

static int patching; /* the entries point at pikos's (patch_lock) */

static void patch_loaded(void)
{
    pthread_mutex_lock(&patch_lock);
    if (patching)
        dl_iterate_phdr(patch_object, NULL);
    pthread_mutex_unlock(&patch_lock);
}

/* A fork in the middle of a patching would leave the child's lock held:
   held across the fork, the copy is a free one. */
static void fork_prepare(void)
{
    pthread_mutex_lock(&patch_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&patch_lock);
}

static void fork_child(void)
{
    pthread_mutex_init(&patch_lock, NULL);
}

/* ------------------------------------------------------------ on, off */

int pikos_alloc_native_start(struct pikos_error *err, const char *owner)
{
    static int atfork_done;

    if (libc.malloc == NULL && resolve_libc() < 0)
        return pikos_error_set(err, PIKOS_EINVAL,
                               "[%s] native mode: the C library's "
                               "allocation functions were not found",
                               owner);
    if (!atfork_done && pthread_atfork(fork_prepare, fork_parent, fork_child))
        return pikos_error_set(err, PIKOS_ENOMEM, "[%s] out of memory", owner);
    atfork_done = 1;
    Dl_info self;
    if (own_base == 0 && dladdr((void *)resolve_libc, &self) != 0)
        own_base = (ElfW(Addr))self.dli_fbase;
    pikos_alloc_native_set_calls(&native_calls);
    pthread_mutex_lock(&patch_lock);
    patching = 1;
    pthread_mutex_unlock(&patch_lock);
    patch_loaded();
    return 0;
}

static int is_ours(const void *fn)
{
    for (size_t k = 0; k < NREPLACED; k++)
        if (fn == replaced[k].ours)
            return 1;
    return 0;
}

/* Whether `at` is in one of the object's loaded segments. */
static int object_holds(const struct dl_phdr_info *info, ElfW(Addr) at)
{
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        ElfW(Addr) start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && at >= start && at < start + ph->p_memsz)
            return 1;
    }
    return 0;
}

/* Puts back each entry pikos changed in this object (one of a library
   unloaded since is gone with it), unless another tool changed it since:
   its function would be lost, so pikos's stays, passing calls through. */
static int put_back(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    for (size_t i = 0; i < npatched; i++) {
        struct patched *p = &patched[i];
        if (p->slot == NULL || !object_holds(info, (ElfW(Addr))p->slot))
            continue;
        if (is_ours(__atomic_load_n(p->slot, __ATOMIC_RELAXED)))
            slot_write(p->slot, p->was, p->relro);
        p->slot = NULL;
    }
    return 0;
}

void pikos_alloc_native_stop(void)
{
    pthread_mutex_lock(&patch_lock);
    if (patching) {
        patching = 0;
        dl_iterate_phdr(put_back, NULL);
        npatched = 0;
    }
    pthread_mutex_unlock(&patch_lock);
}
