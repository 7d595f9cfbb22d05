/*
 * libpledge internals. Everything here is hidden from the shared
 * library's ABI (-fvisibility=hidden); the test drivers link the static
 * archive and call the filter builder and the planner directly.
 */
#ifndef LPL_H
#define LPL_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

#define LPL_HIDDEN __attribute__((visibility("hidden")))
#define LPL_PUBLIC __attribute__((visibility("default")))

/* The architectures' tables (table.c). */
extern const struct lpl_table *const lpl_tables[];
const struct lpl_table *lpl_native_table(void);
const struct lpl_table *lpl_table_by_name(const char *name);

/* Promise sets (parse.c). */
#define LPL_ALL_PROMISES ((1ull << 36) - 1)
int lpl_parse_promises(const char *s, uint64_t *set);
/* lpl_format_promises writes the names of set, space-separated, in
 * canonical order (promise.Set.String). */
void lpl_format_promises(uint64_t set, char *buf, size_t len);
int lpl_errno_by_name(const char *name);

/*
 * Filters (filter.c): the rules of a promise set as promise.BuildFilter
 * makes them, and the delta filter package pledge stacks on a loaded one.
 */
struct lpl_fcond {
	uint8_t arg, width, op;
	uint64_t mask, val;
};

struct lpl_frule {
	uint32_t nr;
	uint32_t action;
	uint16_t ncond;
	const struct lpl_fcond *cond;
};

#define LPL_MAX_FRULES 2048
#define LPL_MAX_FCONDS 1024

struct lpl_filter {
	const struct lpl_table *arch;
	uint32_t def, unknown, badarch;
	unsigned nrules, nconds;
	struct lpl_frule rules[LPL_MAX_FRULES]; /* grouped by nr, ascending */
	struct lpl_fcond conds[LPL_MAX_FCONDS];
};

struct lpl_filter_opts {
	uint32_t violation; /* 0: kill, or ERRNO(ENOSYS) under "error" */
	uint32_t loader;    /* 0: none */
	uint32_t pid;       /* the "to itself" conditions' pid */
	uint32_t pathlayer; /* a path layer is in force (FilterOptions.PathLayer) */
};

int lpl_build_filter(struct lpl_filter *out, const struct lpl_table *t,
    uint64_t set, const struct lpl_filter_opts *o);
int lpl_delta_filter(struct lpl_filter *out, const struct lpl_filter *old,
    const struct lpl_filter *next);

/* Compiling (compile.c), as seccomp.Filter.Compile lays programs out. */
struct lpl_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

int lpl_compile(const struct lpl_filter *f, struct lpl_insn *out,
    unsigned max, unsigned *n);

/*
 * Unveil planning (plan.c), as unveil.MakePlan does it. Paths are
 * absolute and clean; the planner's memory comes from an arena.
 */
struct lpl_chunk;
struct lpl_arena {
	char *buf;
	size_t size, used;
	struct lpl_chunk *chunks;
};
void lpl_arena_init(struct lpl_arena *a, void *buf, size_t size);
void *lpl_alloc(struct lpl_arena *a, size_t n);
char *lpl_strdup(struct lpl_arena *a, const char *s);
void lpl_arena_reset(struct lpl_arena *a);

enum { LPL_KIND_MISSING = 0, LPL_KIND_DIR = 1, LPL_KIND_FILE = 2 };

struct lpl_entry {
	struct lpl_entry *next;
	char *path;
	uint8_t perm;
	uint8_t kind;
};

struct lpl_dirent {
	const char *name;
	int isdir, issymlink;
};

/* readdir lists dir: 0 with the entries (in the arena), or -errno with
 * the entries read before the error. */
typedef int (*lpl_readdir_fn)(void *ctx, struct lpl_arena *a, const char *dir,
    struct lpl_dirent **ents, size_t *n);

struct lpl_prule {
	const char *path;
	uint64_t access;
	int child;
};

struct lpl_exposure {
	const char *dir;
	uint64_t access;
	const char **names;
	size_t nnames;
};

struct lpl_plan {
	struct lpl_prule *rules;
	size_t nrules, caprules;
	struct lpl_exposure *exposed;
	size_t nexposed;
	const char **notes;
	size_t nnotes, capnotes;
};

int lpl_make_plan(struct lpl_arena *a, const struct lpl_entry *entries,
    uint64_t handled, lpl_readdir_fn readdir, void *ctx, struct lpl_plan *out);
uint64_t lpl_perm_rights(uint8_t perm);
int lpl_parse_perm(const char *s, uint8_t *perm);
void lpl_format_perm(uint8_t perm, char *buf, size_t len);
void lpl_format_rights(uint64_t access, char *buf, size_t len);

/* Paths (path.c). */
int lpl_clean(const char *in, char *out, size_t len);
void lpl_dir(const char *path, char *out, size_t len);
int lpl_resolve(const char *path, char *out, size_t len);

/* Landlock (landlock.c). A layer is a ruleset's handled rights and
 * scopes and its rules on open files. */
struct lpl_lrule {
	int fd;
	uint64_t access;
};
struct lpl_layer {
	uint64_t handled, scoped;
	const struct lpl_lrule *rules;
	size_t nrules;
};
/* LPL_UNREACHED: the process has threads the filters in force do not let
 * it reach (or count), so nothing was restricted. */
#define LPL_UNREACHED (-4096)
int lpl_landlock_abi(void);
int lpl_landlock_abi_cached(void);
int lpl_best_effort(void);
void lpl_task_dir_open(int abi);
void lpl_task_dir_forget(void);
int lpl_restrict_all_threads(int ruleset_fd, int abi, char *why, size_t whylen);
int lpl_open_rules(struct lpl_arena *a, const struct lpl_prule *rules, size_t nrules,
    uint64_t handled, struct lpl_lrule **out, size_t *nout, char *why, size_t whylen);
void lpl_close_rules(const struct lpl_lrule *rules, size_t n);
int lpl_enforce(const struct lpl_layer *l, int abi, char *why, size_t whylen);

/* The veil (unveil.c). extra are rules added to it as they are (the named
 * paths of the pledge that commits it). */
int lpl_veil_commit(const struct lpl_lrule *extra, size_t nextra, char *why, size_t whylen);
int lpl_veil_enforced(void);
int lpl_veil_locked(void);
/* lpl_veil_unsent: the veil was enforced while an exec supervisor traced
 * this process but could not be told of it. */
int lpl_veil_unsent(void);
const struct lpl_entry *lpl_veil_entries(void);

/* Path layers (pathlayer.c). access[] has one entry per named file
 * (LPL_NNAMED_FILES, zcommon.h). */
void lpl_named_open(uint64_t promises);
void lpl_named_access(uint64_t promises, uint64_t handled, uint64_t access[]);
uint64_t lpl_layer_handled(uint64_t promises, int abi);
size_t lpl_named_extra(uint64_t promises, struct lpl_lrule *out);
int lpl_path_layer(uint64_t promises, char *why, size_t whylen);
void lpl_path_state(int *layers, int *err, const char **why);

/* The process's pledge state, as far as unveil.c needs it (pledge.c). */
uint64_t lpl_current_promises(int *pledged);
uint32_t lpl_loaded_pid(void);

/* The exec supervisor's client (super.c). */
struct lpl_policy {
	uint64_t promises;
	uint32_t violation;
	uint32_t flags;
	/* pathlayer: the filter was compiled for a Landlock path layer
	 * (promise.FilterOptions.PathLayer); 0 for the execpromises. */
	uint32_t pathlayer;
};
int lpl_sup_start(char *why, size_t whylen);
int lpl_sup_request(const char *kind, const struct lpl_policy *p, char *why, size_t whylen);
int lpl_sup_pid(void);
/* lpl_sup_reachable: a supervisor traces this process and can be told of
 * its filters and veil (pledge.c). */
int lpl_sup_reachable(void);
/* lpl_unsent_veil_drops_exec: "exec" with execpromises goes when the
 * supervisor could not be told of the veil (pledge.c). */
int lpl_unsent_veil_drops_exec(void);
int lpl_sup_veil(const struct lpl_entry *head, char *why, size_t whylen);
void lpl_sup_forget(void);

/* Raw system calls and small helpers (sys.c). */
long lpl_syscall(long nr, long a, long b, long c, long d, long e, long f);
#define lpl_sys0(n) lpl_syscall((n), 0, 0, 0, 0, 0, 0)
#define lpl_sys1(n, a) lpl_syscall((n), (long)(a), 0, 0, 0, 0, 0)
#define lpl_sys2(n, a, b) lpl_syscall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define lpl_sys3(n, a, b, c) lpl_syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define lpl_sys4(n, a, b, c, d) lpl_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define lpl_sys5(n, a, b, c, d, e) lpl_syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
void lpl_msg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lpl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* lpl_stdio_denied: the filters in force deny "stdio" (pledged without
 * it): then the library does not call close, mmap and the like, which
 * would be violations; a commit leaks its close-on-exec descriptors. */
int lpl_stdio_denied(void);
void lpl_close(long fd);
/* lpl_allowed: the filters in force allow the calls of one of these
 * promises (none is loaded, or the promises in force hold one). */
int lpl_allowed(uint64_t promises);

/* The identity of an open file, to tell a descriptor of ours from one the
 * program reused its number for after closing ours (sys.c). */
struct lpl_fileid {
	uint64_t dev, ino;
};
int lpl_file_id(int fd, struct lpl_fileid *id);
int lpl_same_file(int fd, const struct lpl_fileid *id);

/* The one lock of the library (pledge.c). */
void lpl_lock(void);
void lpl_unlock(void);

#endif
