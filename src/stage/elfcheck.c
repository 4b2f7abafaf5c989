/* codecbench stage: the object checks of layer 1d (sandbox.h), with libelf.
 *
 * The bytes come from a compiler that built hostile source, or from any
 * file a user names: every offset and size is checked against the image
 * before it is used, and what the dynamic loader reads (the PT_DYNAMIC
 * segment, the tables DT_SYMTAB and DT_STRTAB point to) is tied to the
 * section headers this check reads, so that the two cannot tell different
 * stories.  Anything the loader would run or load before the stage's
 * functions are called (constructors, needed or audit libraries, indirect
 * functions, text relocations) is refused, as is an executable stack or a
 * writable and executable segment. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecbench/buf.h"
#include "codecbench/sandbox.h"
#include "codecbench/sanitize.h"
#include "stage/elfcheck.h"

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#else
#define HOST_MACHINE EM_NONE
#endif

/* Tags that binutils of 2.38 and later may write and older elf.h lacks. */
#ifndef DT_RELRSZ
#define DT_RELRSZ  35
#define DT_RELR    36
#define DT_RELRENT 37
#endif
#ifndef DT_AUDIT
#define DT_AUDIT    0x6ffffefc
#define DT_DEPAUDIT 0x6ffffefb
#endif

/* What a stage may call (stage.h): the loader resolves these to the
 * sandboxed host's C library. */
static const char *const allowed_undefined[] = {"memcpy", "memmove", "memset", "memcmp"};

/* A name from the object, made safe to put in an error (at most 64 bytes
 * of it, controls shown inert). */
static const char *safe_name(const char *s, char *out, size_t outsz)
{
    CbBuf b;
    cb_buf_init(&b, outsz - 1);
    size_t n = strnlen(s, 64);
    if (cb_sanitize_append(&b, s, n, CB_SANITIZE_ASCII) != 0 || !b.data) {
        cb_buf_free(&b);
        snprintf(out, outsz, "(a name that cannot be shown)");
        return out;
    }
    snprintf(out, outsz, "%s%s", b.data, strlen(s) > n ? "..." : "");
    cb_buf_free(&b);
    return out;
}

/* end = off + size within n, without overflow. */
static int in_image(uint64_t off, uint64_t size, size_t n)
{
    return off <= n && size <= n - off;
}

static const char *dt_refusal(int64_t tag)
{
    switch (tag) {
    case DT_INIT: return "has a constructor (DT_INIT)";
    case DT_INIT_ARRAY:
    case DT_INIT_ARRAYSZ: return "has a constructor (DT_INIT_ARRAY)";
    case DT_PREINIT_ARRAY:
    case DT_PREINIT_ARRAYSZ: return "has a constructor (DT_PREINIT_ARRAY)";
    case DT_FINI: return "has a destructor (DT_FINI)";
    case DT_FINI_ARRAY:
    case DT_FINI_ARRAYSZ: return "has a destructor (DT_FINI_ARRAY)";
    case DT_TEXTREL: return "has text relocations (DT_TEXTREL)";
    case DT_AUXILIARY:
    case DT_FILTER: return "names a filter library (DT_AUXILIARY, DT_FILTER)";
    case DT_AUDIT:
    case DT_DEPAUDIT: return "names an audit library (DT_AUDIT)";
    case DT_RPATH:
    case DT_RUNPATH: return "has a library search path (DT_RPATH, DT_RUNPATH)";
    case DT_VERNEED:
    case DT_VERNEEDNUM: return "needs versioned symbols of a library (DT_VERNEED)";
    default: return NULL;
    }
}

/* Tags a linker writes for a stage's object (-nostdlib -shared -z now
 * -z relro --hash-style=gnu); any other is refused, so that a tag this
 * check does not know cannot make the loader do something it does not
 * expect. */
static int dt_known(int64_t tag)
{
    switch (tag) {
    case DT_NULL:
    case DT_PLTRELSZ:
    case DT_PLTGOT:
    case DT_HASH:
    case DT_STRTAB:
    case DT_SYMTAB:
    case DT_RELA:
    case DT_RELASZ:
    case DT_RELAENT:
    case DT_STRSZ:
    case DT_SYMENT:
    case DT_SONAME:
    case DT_REL:
    case DT_RELSZ:
    case DT_RELENT:
    case DT_PLTREL:
    case DT_DEBUG:
    case DT_JMPREL:
    case DT_BIND_NOW:
    case DT_FLAGS:
    case DT_GNU_HASH:
    case DT_VERSYM:
    case DT_RELACOUNT:
    case DT_RELCOUNT:
    case DT_FLAGS_1:
    case DT_VERDEF:
    case DT_VERDEFNUM:
    case DT_RELR:
    case DT_RELRSZ:
    case DT_RELRENT: return 1;
    default: return 0;
    }
}

/* Relocation types a -fPIC stage's object has: none that runs code at load
 * (IRELATIVE calls a resolver) or touches thread-local storage. */
static int reloc_allowed(unsigned type)
{
#if defined(__x86_64__)
    return type == R_X86_64_NONE || type == R_X86_64_64 || type == R_X86_64_GLOB_DAT ||
           type == R_X86_64_JUMP_SLOT || type == R_X86_64_RELATIVE;
#elif defined(__aarch64__)
    return type == R_AARCH64_NONE || type == R_AARCH64_ABS64 || type == R_AARCH64_GLOB_DAT ||
           type == R_AARCH64_JUMP_SLOT || type == R_AARCH64_RELATIVE;
#else
    (void)type;
    return 0;
#endif
}

/* The kind's functions (stage.h). */
static int kind_functions(CbStageKind kind, const char *names[2])
{
    switch (kind) {
    case CB_STAGE_INTRA: names[0] = "cb_stage_intra"; return 1;
    case CB_STAGE_LOOP_FILTER: names[0] = "cb_stage_loop_filter"; return 1;
    case CB_STAGE_TRANSFORM:
        names[0] = "cb_stage_transform_fwd";
        names[1] = "cb_stage_transform_inv";
        return 2;
    default: return 0;
    }
}

typedef struct Check {
    Elf *e;
    size_t n;
    GElf_Ehdr eh;
    size_t phnum;
    /* PT_DYNAMIC */
    int have_dynamic;
    uint64_t dyn_off, dyn_size;
    /* sections */
    Elf_Scn *dynamic_scn, *dynsym_scn;
    GElf_Shdr dynamic_sh, dynsym_sh, dynstr_sh;
    size_t dynstr_index, dynsym_index, nsyms;
    unsigned init_section; /* SHT_INIT_ARRAY, ... of a non-empty one */
} Check;

static int fmt(CbError *err, const char *what)
{
    return cb_error_set(err, CB_EFORMAT, "the object is not a well-formed ELF file: %s", what);
}

static int check_header(Check *c, const unsigned char *p, CbError *err)
{
    if (c->n < EI_NIDENT || memcmp(p, ELFMAG, SELFMAG) != 0)
        return cb_error_set(err, CB_EFORMAT, "the object is not an ELF file");
    if (p[EI_CLASS] != ELFCLASS64)
        return cb_error_set(err, CB_ESTAGE, "the object is not a 64-bit ELF object");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (p[EI_DATA] != ELFDATA2LSB)
#else
    if (p[EI_DATA] != ELFDATA2MSB)
#endif
        return cb_error_set(err, CB_ESTAGE, "the object's byte order is not this machine's");
    if (c->n < sizeof(Elf64_Ehdr))
        return fmt(err, "truncated in its header");
    if (elf_kind(c->e) != ELF_K_ELF || !gelf_getehdr(c->e, &c->eh))
        return fmt(err, elf_errmsg(-1));
    if (c->eh.e_version != EV_CURRENT)
        return fmt(err, "unknown ELF version");
    if (c->eh.e_type != ET_DYN)
        return cb_error_set(err, CB_ESTAGE, "the object is not a shared object (ELF type %u)",
                            (unsigned)c->eh.e_type);
    if (HOST_MACHINE == EM_NONE)
        return cb_error_set(err, CB_ENOTSUP, "stage objects cannot be checked on this machine");
    if (c->eh.e_machine != HOST_MACHINE)
        return cb_error_set(err, CB_ESTAGE,
                            "the object is for another machine (ELF machine %u, this is %u)",
                            (unsigned)c->eh.e_machine, (unsigned)HOST_MACHINE);
    return 0;
}

static int check_segments(Check *c, CbError *err)
{
    if (elf_getphdrnum(c->e, &c->phnum) != 0)
        return fmt(err, elf_errmsg(-1));
    if (c->phnum == 0)
        return fmt(err, "no program headers");
    if (c->eh.e_phentsize != sizeof(Elf64_Phdr) ||
        !in_image(c->eh.e_phoff, (uint64_t)c->phnum * sizeof(Elf64_Phdr), c->n))
        return fmt(err, "program headers outside the file");
    int stack = 0;
    for (size_t i = 0; i < c->phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(c->e, (int)i, &ph))
            return fmt(err, elf_errmsg(-1));
        if (ph.p_type != PT_NULL && ph.p_type != PT_GNU_STACK &&
            !in_image(ph.p_offset, ph.p_filesz, c->n))
            return fmt(err, "a segment outside the file");
        switch (ph.p_type) {
        case PT_GNU_STACK:
            if (ph.p_flags & PF_X)
                return cb_error_set(err, CB_ESTAGE, "the object asks for an executable stack");
            stack = 1;
            break;
        case PT_LOAD:
            if ((ph.p_flags & PF_W) && (ph.p_flags & PF_X))
                return cb_error_set(err, CB_ESTAGE,
                                    "the object has a writable and executable segment");
            break;
        case PT_DYNAMIC:
            if (c->have_dynamic)
                return fmt(err, "two dynamic segments");
            c->have_dynamic = 1;
            c->dyn_off = ph.p_offset;
            c->dyn_size = ph.p_filesz;
            break;
        case PT_TLS:
            return cb_error_set(err, CB_ESTAGE,
                                "the object has thread-local storage, which a stage may not keep");
        case PT_INTERP:
            return cb_error_set(err, CB_ESTAGE, "the object names a program interpreter");
        default: break;
        }
    }
    if (!stack)
        return cb_error_set(
            err, CB_ESTAGE,
            "the object does not say its stack is not executable (no PT_GNU_STACK)");
    if (!c->have_dynamic)
        return cb_error_set(err, CB_ESTAGE, "the object has no dynamic segment");
    return 0;
}

/* Is the address inside an executable PT_LOAD? */
static int in_text(const Check *c, uint64_t addr)
{
    for (size_t i = 0; i < c->phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(c->e, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X) &&
            addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_memsz)
            return 1;
    }
    return 0;
}

static int check_sections(Check *c, CbError *err)
{
    size_t shnum;
    if (elf_getshdrnum(c->e, &shnum) != 0)
        return fmt(err, elf_errmsg(-1));
    if (shnum == 0)
        return cb_error_set(err, CB_ESTAGE, "the object has no section headers to check");
    if (c->eh.e_shentsize != sizeof(Elf64_Shdr) ||
        !in_image(c->eh.e_shoff, (uint64_t)shnum * sizeof(Elf64_Shdr), c->n))
        return fmt(err, "section headers outside the file");
    Elf_Scn *s = NULL;
    while ((s = elf_nextscn(c->e, s)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(s, &sh))
            return fmt(err, elf_errmsg(-1));
        if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL &&
            !in_image(sh.sh_offset, sh.sh_size, c->n))
            return fmt(err, "a section outside the file");
        switch (sh.sh_type) {
        case SHT_DYNAMIC:
            if (c->dynamic_scn)
                return fmt(err, "two dynamic sections");
            c->dynamic_scn = s;
            c->dynamic_sh = sh;
            break;
        case SHT_DYNSYM:
            if (c->dynsym_scn)
                return fmt(err, "two dynamic symbol tables");
            c->dynsym_scn = s;
            c->dynsym_sh = sh;
            c->dynsym_index = elf_ndxscn(s);
            break;
        case SHT_INIT_ARRAY:
        case SHT_PREINIT_ARRAY:
        case SHT_FINI_ARRAY:
            /* Refused after the dynamic entries, which name them as the
             * loader sees them. */
            if (sh.sh_size > 0 && !c->init_section)
                c->init_section = sh.sh_type;
            break;
        default: break;
        }
    }
    if (!c->dynamic_scn)
        return cb_error_set(err, CB_ESTAGE, "the object has no dynamic section");
    if (c->dynamic_sh.sh_offset != c->dyn_off || c->dynamic_sh.sh_size != c->dyn_size)
        return fmt(err, "the dynamic section and the dynamic segment disagree");
    if (!c->dynsym_scn)
        return cb_error_set(err, CB_ESTAGE, "the object has no dynamic symbol table");
    if (c->dynsym_sh.sh_entsize != sizeof(Elf64_Sym) || c->dynsym_sh.sh_size % sizeof(Elf64_Sym))
        return fmt(err, "a dynamic symbol table of odd size");
    c->nsyms = c->dynsym_sh.sh_size / sizeof(Elf64_Sym);
    c->dynstr_index = c->dynsym_sh.sh_link;
    Elf_Scn *str = c->dynstr_index < shnum ? elf_getscn(c->e, c->dynstr_index) : NULL;
    if (!str || !gelf_getshdr(str, &c->dynstr_sh) || c->dynstr_sh.sh_type != SHT_STRTAB)
        return fmt(err, "the dynamic symbol table's strings are missing");
    if (c->dynamic_sh.sh_link != c->dynstr_index)
        return fmt(err, "the dynamic section's strings are not the symbol table's");
    return 0;
}

static int check_dynamic(Check *c, CbError *err)
{
    Elf_Data *d = elf_getdata(c->dynamic_scn, NULL);
    if (!d)
        return fmt(err, elf_errmsg(-1));
    size_t count = d->d_size / sizeof(Elf64_Dyn);
    int symtab = 0, strtab = 0;
    char name[96];
    /* A needed library first: it says the most about what went wrong. */
    for (size_t i = 0; i < count; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(d, (int)i, &dyn))
            return fmt(err, elf_errmsg(-1));
        if (dyn.d_tag == DT_NULL)
            break;
        if (dyn.d_tag == DT_NEEDED) {
            const char *lib = elf_strptr(c->e, c->dynstr_index, dyn.d_un.d_val);
            return cb_error_set(err, CB_ESTAGE, "the object needs the library %s (DT_NEEDED)",
                                lib ? safe_name(lib, name, sizeof(name)) : "(unnamed)");
        }
    }
    for (size_t i = 0; i < count; i++) {
        GElf_Dyn dyn;
        if (!gelf_getdyn(d, (int)i, &dyn))
            return fmt(err, elf_errmsg(-1));
        int64_t tag = dyn.d_tag;
        if (tag == DT_NULL)
            break;
        if (tag == DT_NEEDED)
            continue;
        const char *why = dt_refusal(tag);
        if (why)
            return cb_error_set(err, CB_ESTAGE, "the object %s", why);
        if (tag == DT_FLAGS && (dyn.d_un.d_val & DF_TEXTREL))
            return cb_error_set(err, CB_ESTAGE, "the object has text relocations (DF_TEXTREL)");
        if (!dt_known(tag))
            return cb_error_set(err, CB_ESTAGE,
                                "the object has dynamic entry 0x%llx, which a stage's object "
                                "never has",
                                (unsigned long long)tag);
        /* What the loader reads must be what this check reads. */
        if (tag == DT_SYMTAB) {
            if (dyn.d_un.d_ptr != c->dynsym_sh.sh_addr)
                return fmt(err, "DT_SYMTAB is not the dynamic symbol table");
            symtab = 1;
        } else if (tag == DT_STRTAB) {
            if (dyn.d_un.d_ptr != c->dynstr_sh.sh_addr)
                return fmt(err, "DT_STRTAB is not the dynamic string table");
            strtab = 1;
        } else if (tag == DT_STRSZ && dyn.d_un.d_val != c->dynstr_sh.sh_size) {
            return fmt(err, "DT_STRSZ is not the dynamic string table's size");
        } else if (tag == DT_SYMENT && dyn.d_un.d_val != sizeof(Elf64_Sym)) {
            return fmt(err, "DT_SYMENT of odd size");
        }
    }
    if (!symtab || !strtab)
        return fmt(err, "no DT_SYMTAB or DT_STRTAB");
    if (c->init_section == SHT_FINI_ARRAY)
        return cb_error_set(err, CB_ESTAGE, "the object has a destructor (.fini_array)");
    if (c->init_section)
        return cb_error_set(err, CB_ESTAGE, "the object has a constructor (%s)",
                            c->init_section == SHT_INIT_ARRAY ? ".init_array" : ".preinit_array");
    return 0;
}

static int check_symbols(Check *c, CbStageKind kind, CbError *err)
{
    Elf_Data *d = elf_getdata(c->dynsym_scn, NULL);
    if (!d || d->d_size / sizeof(Elf64_Sym) < c->nsyms)
        return fmt(err, "the dynamic symbol table cannot be read");
    const char *want[2] = {NULL, NULL};
    int nwant = kind_functions(kind, want);
    int found[2] = {0, 0};
    char name[96];
    for (size_t i = 1; i < c->nsyms; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(d, (int)i, &sym))
            return fmt(err, elf_errmsg(-1));
        const char *nm = elf_strptr(c->e, c->dynstr_index, sym.st_name);
        if (!nm)
            return fmt(err, "a symbol name outside the string table");
        int type = GELF_ST_TYPE(sym.st_info);
        if (type == STT_GNU_IFUNC)
            return cb_error_set(err, CB_ESTAGE,
                                "the object has an indirect function %s (ifunc: code run at load)",
                                safe_name(nm, name, sizeof(name)));
        if (type == STT_TLS)
            return cb_error_set(
                err, CB_ESTAGE,
                "the object has thread-local storage (%s), which a stage may not keep",
                safe_name(nm, name, sizeof(name)));
        if (sym.st_shndx == SHN_UNDEF) {
            int ok = 0;
            for (size_t k = 0; k < sizeof(allowed_undefined) / sizeof(allowed_undefined[0]); k++)
                ok |= strcmp(nm, allowed_undefined[k]) == 0;
            if (!ok)
                return cb_error_set(err, CB_ESTAGE,
                                    "the object needs %s, which a stage may not call (only "
                                    "memcpy, memmove, memset and memcmp)",
                                    safe_name(nm, name, sizeof(name)));
            continue;
        }
        for (int k = 0; k < nwant; k++) {
            if (strcmp(nm, want[k]) != 0)
                continue;
            if (type != STT_FUNC || GELF_ST_BIND(sym.st_info) != STB_GLOBAL ||
                GELF_ST_VISIBILITY(sym.st_other) != STV_DEFAULT || sym.st_shndx >= SHN_LORESERVE ||
                !in_text(c, sym.st_value))
                return cb_error_set(err, CB_ESTAGE,
                                    "the object's %s is not a global function with external "
                                    "linkage (stage.h)",
                                    want[k]);
            /* One definition: the one checked is the one dlsym finds. */
            if (found[k])
                return cb_error_set(err, CB_ESTAGE, "the object defines %s twice", want[k]);
            found[k] = 1;
        }
    }
    for (int k = 0; k < nwant; k++)
        if (!found[k])
            return cb_error_set(err, CB_ESTAGE,
                                "the stage does not define %s (stage.h: a stage of its kind "
                                "must)",
                                want[k]);
    return 0;
}

static int check_relocations(Check *c, CbError *err)
{
    Elf_Scn *s = NULL;
    while ((s = elf_nextscn(c->e, s)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(s, &sh))
            return fmt(err, elf_errmsg(-1));
        if (sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL)
            continue;
        int rela = sh.sh_type == SHT_RELA;
        size_t ent = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
        if (sh.sh_entsize != ent || sh.sh_size % ent)
            return fmt(err, "a relocation section of odd size");
        Elf_Data *d = elf_getdata(s, NULL);
        if (!d)
            return fmt(err, elf_errmsg(-1));
        size_t count = d->d_size / ent;
        for (size_t i = 0; i < count; i++) {
            uint64_t info;
            if (rela) {
                GElf_Rela r;
                if (!gelf_getrela(d, (int)i, &r))
                    return fmt(err, elf_errmsg(-1));
                info = r.r_info;
            } else {
                GElf_Rel r;
                if (!gelf_getrel(d, (int)i, &r))
                    return fmt(err, elf_errmsg(-1));
                info = r.r_info;
            }
            unsigned type = (unsigned)GELF_R_TYPE(info);
            uint64_t sym = GELF_R_SYM(info);
            if (sh.sh_link == c->dynsym_index && sym >= c->nsyms)
                return fmt(err, "a relocation names a symbol past the symbol table");
            if (!reloc_allowed(type))
                return cb_error_set(err, CB_ESTAGE,
                                    "the object has a relocation of type %u, which a stage's "
                                    "object never needs (code run at load, thread-local storage)",
                                    type);
        }
    }
    return 0;
}

int cb_stage_check_elf(const void *data, size_t n, CbStageKind kind, CbError *err)
{
    const char *want[2];
    if (kind_functions(kind, want) == 0)
        return cb_error_set(err, CB_EINVAL, "no stage kind %d to check an object for", (int)kind);
    if (n == 0)
        return cb_error_set(err, CB_EFORMAT, "the object is empty");
    if (n > CB_STAGE_OBJECT_MAX)
        return cb_error_set(err, CB_ESTAGE, "the object is larger than %zu bytes",
                            CB_STAGE_OBJECT_MAX);
    if (elf_version(EV_CURRENT) == EV_NONE)
        return cb_error_set(err, CB_EEXTERNAL, "libelf: %s", elf_errmsg(-1));
    /* libelf reads from the image in place without writing it; a private
     * copy keeps that promise independent of its implementation. */
    char *copy = malloc(n);
    if (!copy)
        return cb_error_set(err, CB_ENOMEM, "out of memory checking the object");
    memcpy(copy, data, n);
    Check c;
    memset(&c, 0, sizeof(c));
    c.n = n;
    int rc;
    c.e = elf_memory(copy, n);
    if (!c.e) {
        rc = fmt(err, elf_errmsg(-1));
        goto done;
    }
    if ((rc = check_header(&c, data, err)) != 0 || (rc = check_segments(&c, err)) != 0 ||
        (rc = check_sections(&c, err)) != 0 || (rc = check_dynamic(&c, err)) != 0 ||
        (rc = check_symbols(&c, kind, err)) != 0 || (rc = check_relocations(&c, err)) != 0)
        goto done;
    rc = 0;
done:
    if (c.e)
        elf_end(c.e);
    free(copy);
    return rc;
}

int cb_stage_read_file(const char *path, size_t max, int nofollow, unsigned char **out, size_t *len,
                       CbError *err)
{
    *out = NULL;
    *len = 0;
    unsigned char *buf = NULL;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            return cb_error_set(err, CB_ENOENT, "%s: no such file", path);
        if (e == ELOOP && nofollow)
            return cb_error_set(err, CB_EIO, "%s: a symbolic link, not the file itself", path);
        return cb_error_set(err, CB_EIO, "cannot open %s: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = cb_error_set(err, CB_EIO, "cannot stat %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cb_error_set(err, CB_EIO, "%s is not a regular file", path);
        goto fail;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max) {
        rc = cb_error_set(err, CB_ELIMIT, "%s is larger than %zu bytes", path, max);
        goto fail;
    }
    /* One byte more than the file's size, to see a file that grew. */
    size_t want = (size_t)st.st_size + 1;
    buf = malloc(want);
    if (!buf) {
        rc = cb_error_set(err, CB_ENOMEM, "out of memory reading %s", path);
        goto fail;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = cb_error_set(err, CB_EIO, "cannot read %s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (got == want) {
        rc = cb_error_set(err, CB_EIO, "%s changed while it was read", path);
        goto fail;
    }
    close(fd);
    *out = buf;
    *len = got;
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

int cb_stage_check_object(const char *object_path, CbStageKind kind, CbError *err)
{
    if (!object_path)
        return cb_error_set(err, CB_EINVAL, "no object to check");
    unsigned char *buf = NULL;
    size_t n = 0;
    int rc = cb_stage_read_file(object_path, CB_STAGE_OBJECT_MAX, 0, &buf, &n, err);
    if (rc == CB_ELIMIT)
        rc = cb_error_set(err, CB_ESTAGE, "the object %s is larger than %zu bytes", object_path,
                          CB_STAGE_OBJECT_MAX);
    if (rc == 0)
        rc = cb_stage_check_elf(buf, n, kind, err);
    free(buf);
    return rc;
}
