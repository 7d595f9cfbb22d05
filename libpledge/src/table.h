/*
 * The shapes of libpledge's generated C data (../ztable_*.h, ../zcommon.h,
 * written by libpledge/internal/mkctable from the Go packages).
 */
#ifndef LPL_TABLE_H
#define LPL_TABLE_H

#include <stdint.h>

/* Condition widths and operators: seccomp.Width and seccomp.Op. */
enum { LPL_W32 = 1, LPL_W64 = 2 };
enum {
	LPL_OP_EQ = 1,
	LPL_OP_NE,
	LPL_OP_LT,
	LPL_OP_LE,
	LPL_OP_GT,
	LPL_OP_GE,
	LPL_OP_MASKED_EQ,
	LPL_OP_MASKED_NE,
};

/* Rule kinds (ctable's kind* constants). */
enum { LPL_ENOSYS = 1, LPL_GRANT, LPL_LOADER, LPL_FALLBACK, LPL_NEVER };

/* Layer modes (ctable's layer* constants): the rule holds in a filter
 * built with a path layer or without one (promise.FilterOptions.PathLayer),
 * or either way. */
enum { LPL_LAYER_ANY = 0, LPL_LAYER_WITH, LPL_LAYER_NO };

struct lpl_cond {
	uint8_t arg, width, op, self;
	uint64_t mask, val;
};

struct lpl_rule {
	uint16_t nr;
	uint8_t kind;
	uint8_t layer; /* LPL_LAYER_* */
	uint8_t nconds;
	uint8_t err;   /* LPL_FALLBACK: the errno */
	uint16_t cond; /* index of the first condition */
	uint64_t need, unless;
};

struct lpl_table {
	const char *name;
	uint32_t audit_arch, x32_bit, max_nr;
	const struct lpl_rule *rules;
	unsigned nrules;
	const struct lpl_cond *conds;
	unsigned nconds;
	/* The hot syscalls, hottest first (seccomp.Filter.Hot): lpl_compile
	 * checks their arguments before the tree. */
	const uint32_t *hot;
	unsigned nhot;
	/* The ELF interpreters whose x a veil implies (unveil.ELFInterpreters),
	 * NULL-terminated. */
	const char *const *interps;
};

struct lpl_errno_name {
	const char *name;
	int value;
};

struct lpl_perm_letter {
	char letter;
	uint8_t perm;
	uint64_t rights;
};

struct lpl_abi {
	uint64_t fs, scoped;
	uint32_t restrict_flags;
};

/* A named path (promise.NamedPath): lpl_named_files[file], allowed with
 * the promises of need (0: any pledge), with these Landlock rights. */
struct lpl_named {
	uint8_t file;
	uint64_t need, rights;
};

struct lpl_right_name {
	uint64_t right;
	const char *name;
};

#endif
