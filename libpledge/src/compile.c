/*
 * The filter layout of seccomp.Filter.Compile (seccomp/compile.go,
 * seccomp/asm.go), in C: the arch check, the x32 and unknown-number
 * checks, a balanced BPF_JGE tree over the runs of numbers with one
 * outcome whose leaves return constant actions without loading an
 * argument (so the kernel's constant-action cache serves them), the
 * argument checks of the conditioned numbers (value switches for runs of
 * 32-bit equalities), shared returns and trampolines for far jumps.
 * It follows the Go compiler step by step, so the two give the same
 * program; libpledge's differential test checks at least the same
 * action for every call.
 *
 * All memory is static and used under the library's lock: no allocation,
 * nothing a forked child or a process without "stdio" could not do.
 */
#include <errno.h>
#include <string.h>

#include "lpl.h"
#include "../zcommon.h"

/* Classic BPF opcodes (linux/filter.h, linux/bpf_common.h). */
#define BPF_LD 0x00
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_W 0x00
#define BPF_ABS 0x20
#define BPF_AND 0x50
#define BPF_K 0x00
#define BPF_JA 0x00
#define BPF_JEQ 0x10
#define BPF_JGT 0x20
#define BPF_JGE 0x30
#define BPF_JSET 0x40

#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_ARGS 16

#define ASM_MAX 8192
#define LABEL_MAX 32768
#define NR_MAX 1024
#define POOL_MAX 64
#define SEG_MAX (2 * NR_MAX + 2)
#define PCOND_MAX (LPL_MAX_FCONDS + 16)
#define PRULE_MAX LPL_MAX_FRULES
#define MIN_SWITCH 4

struct asm_ins {
	uint16_t code;
	uint32_t k;
	int jt, jf, ja;
};

struct prule {
	uint32_t action;
	unsigned c0, nc; /* into pcond */
};

struct plan {
	unsigned r0, nr; /* into prules */
	uint32_t els;
	uint8_t present, done;
};

struct segment {
	uint64_t lo, hi;
	int body;
	uint32_t act;
};

struct pool {
	uint32_t act[POOL_MAX];
	int label[POOL_MAX];
	int n;
};

static struct {
	struct asm_ins ins[ASM_MAX];
	int nins;
	int at[LABEL_MAX];
	int nlabels;
	int overflow;

	struct plan plans[NR_MAX];
	struct prule prules[PRULE_MAX];
	unsigned nprules;
	const struct lpl_fcond *pcond[PCOND_MAX];
	unsigned npcond;
	struct segment segs[SEG_MAX];
	unsigned nsegs;
	struct pool tree, body;
	int bodies[NR_MAX];

	struct asm_ins tmp[ASM_MAX];
	int moved[ASM_MAX];
	int tramp_l[ASM_MAX][2]; /* trampolines after ins i: labels, -1 none */
	struct asm_ins tramp_in[ASM_MAX][2];
} C;

/* The assembler (asm.go). */

static int
new_label(void)
{
	if (C.nlabels >= LABEL_MAX) {
		C.overflow = 1;
		return 0;
	}
	C.at[C.nlabels] = -1;
	return C.nlabels++;
}

static void
set_label(int l)
{
	C.at[l] = C.nins;
}

static void
emit(uint16_t code, uint32_t k, int jt, int jf, int ja)
{
	if (C.nins >= ASM_MAX) {
		C.overflow = 1;
		return;
	}
	struct asm_ins *in = &C.ins[C.nins++];
	in->code = code;
	in->k = k;
	in->jt = jt;
	in->jf = jf;
	in->ja = ja;
}

static void stmt(uint16_t code, uint32_t k) { emit(code, k, 0, 0, 0); }
static void ld(uint32_t off) { stmt(BPF_LD | BPF_W | BPF_ABS, off); }
static void jump(uint16_t op, uint32_t k, int jt, int jf) { emit(BPF_JMP | op | BPF_K, k, jt, jf, 0); }
static void ret(uint32_t act) { stmt(BPF_RET | BPF_K, act); }

static int
is_cond_jump(uint16_t code)
{
	return (code & 0x07) == BPF_JMP && (code & 0xf0) != BPF_JA;
}

static uint32_t arg_lo(uint8_t i) { return OFF_ARGS + 8 * (uint32_t)i; }
static uint32_t arg_hi(uint8_t i) { return OFF_ARGS + 8 * (uint32_t)i + 4; }

/* assemble resolves labels, inserting trampolines after conditional jumps
 * whose targets lie more than 255 instructions ahead, until none does. */
static int
assemble(struct lpl_insn *out, unsigned max, unsigned *n)
{
	for (int l = 0; l < C.nlabels; l++) {
		if (C.at[l] >= C.nins)
			return -EINVAL;
		if (C.at[l] < 0 && l != 0)
			return -EINVAL;
	}
	for (;;) {
		int any = 0;
		for (int i = 0; i < C.nins; i++) {
			C.tramp_l[i][0] = C.tramp_l[i][1] = -1;
			if (!is_cond_jump(C.ins[i].code))
				continue;
			int *targets[2] = {&C.ins[i].jt, &C.ins[i].jf};
			int nt = 0;
			for (int t = 0; t < 2; t++) {
				int to = C.at[*targets[t]];
				if (to <= i)
					return -EINVAL;
				if (to - i - 1 <= 0xff)
					continue;
				struct asm_ins tr = {.code = BPF_JMP | BPF_JA, .ja = *targets[t]};
				struct asm_ins dest = C.ins[to];
				if ((dest.code & 0x07) == BPF_RET || dest.code == (BPF_JMP | BPF_JA))
					tr = dest;
				int l = new_label();
				if (C.overflow)
					return -E2BIG;
				*targets[t] = l;
				C.tramp_in[i][nt] = tr;
				C.tramp_l[i][nt] = l;
				nt++;
				any = 1;
			}
		}
		if (!any)
			break;
		int m = 0;
		for (int i = 0; i < C.nins; i++) {
			C.moved[i] = m;
			if (m >= ASM_MAX)
				return -E2BIG;
			C.tmp[m++] = C.ins[i];
			for (int t = 0; t < 2 && C.tramp_l[i][t] >= 0; t++) {
				if (m >= ASM_MAX)
					return -E2BIG;
				C.tmp[m++] = C.tramp_in[i][t];
			}
		}
		for (int l = 0; l < C.nlabels; l++) {
			if (C.at[l] >= 0)
				C.at[l] = C.moved[C.at[l]];
		}
		for (int i = 0; i < C.nins; i++) {
			for (int t = 0; t < 2 && C.tramp_l[i][t] >= 0; t++)
				C.at[C.tramp_l[i][t]] = C.moved[i] + 1 + t;
		}
		memcpy(C.ins, C.tmp, (size_t)m * sizeof C.ins[0]);
		C.nins = m;
	}
	if ((unsigned)C.nins > max)
		return -E2BIG;
	for (int i = 0; i < C.nins; i++) {
		struct asm_ins *in = &C.ins[i];
		out[i].code = in->code;
		out[i].k = in->k;
		out[i].jt = out[i].jf = 0;
		if (is_cond_jump(in->code)) {
			out[i].jt = (uint8_t)(C.at[in->jt] - i - 1);
			out[i].jf = (uint8_t)(C.at[in->jf] - i - 1);
		} else if (in->code == (BPF_JMP | BPF_JA)) {
			int to = C.at[in->ja];
			if (to <= i)
				return -EINVAL;
			out[i].k = (uint32_t)(to - i - 1);
		}
	}
	*n = (unsigned)C.nins;
	return 0;
}

/* Conditions (filter.go's Cond, compile.go's constant). */

static void
effective(const struct lpl_fcond *c, uint64_t *mask, uint64_t *val)
{
	uint64_t m = c->mask, v = c->val;
	if (c->op != LPL_OP_MASKED_EQ && c->op != LPL_OP_MASKED_NE)
		m = ~(uint64_t)0;
	if (c->width == LPL_W32) {
		m &= 0xffffffffu;
		v &= 0xffffffffu;
	}
	*mask = m;
	*val = v;
}

enum { VARIABLE, CONST_TRUE, CONST_FALSE };

static int
constant(const struct lpl_fcond *c)
{
	uint64_t m, v;
	effective(c, &m, &v);
	uint64_t max = c->width == LPL_W32 ? 0xffffffffu : ~(uint64_t)0;
	int eq_never = (v & ~m) != 0;
	int eq_always = m == 0 && v == 0;
	static const struct {
		uint8_t op;
		uint8_t which; /* 0 eq_never, 1 eq_always, 2 v == 0, 3 v == max */
		uint8_t is;
	} table[] = {
		{LPL_OP_EQ, 0, CONST_FALSE}, {LPL_OP_MASKED_EQ, 0, CONST_FALSE},
		{LPL_OP_EQ, 1, CONST_TRUE}, {LPL_OP_MASKED_EQ, 1, CONST_TRUE},
		{LPL_OP_NE, 0, CONST_TRUE}, {LPL_OP_MASKED_NE, 0, CONST_TRUE},
		{LPL_OP_NE, 1, CONST_FALSE}, {LPL_OP_MASKED_NE, 1, CONST_FALSE},
		{LPL_OP_GE, 2, CONST_TRUE}, {LPL_OP_LT, 2, CONST_FALSE},
		{LPL_OP_LE, 3, CONST_TRUE}, {LPL_OP_GT, 3, CONST_FALSE},
	};
	for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) {
		int when = table[i].which == 0 ? eq_never : table[i].which == 1 ? eq_always :
		    table[i].which == 2 ? v == 0 : v == max;
		if (table[i].op == c->op && when)
			return table[i].is;
	}
	return VARIABLE;
}

static int
valid(const struct lpl_fcond *c)
{
	return c->arg <= 5 && (c->width == LPL_W32 || c->width == LPL_W64) &&
	    c->op >= LPL_OP_EQ && c->op <= LPL_OP_MASKED_NE;
}

/* plans groups the rules by number, deciding argument-independent
 * conditions now (Filter.plans). */
static int
make_plans(const struct lpl_filter *f)
{
	const struct lpl_table *a = f->arch;
	if (a->audit_arch == 0 || a->max_nr >= NR_MAX)
		return -EINVAL;
	if (a->x32_bit != 0 && a->max_nr >= a->x32_bit)
		return -EINVAL;
	memset(C.plans, 0, sizeof C.plans);
	C.nprules = 0;
	C.npcond = 0;
	for (unsigned i = 0; i < f->nrules; i++) {
		const struct lpl_frule *r = &f->rules[i];
		if (r->nr > a->max_nr)
			return -EINVAL;
		int never = 0;
		unsigned c0 = C.npcond, nc = 0;
		for (unsigned k = 0; k < r->ncond; k++) {
			const struct lpl_fcond *c = &r->cond[k];
			if (!valid(c))
				return -EINVAL;
			switch (constant(c)) {
			case CONST_FALSE:
				never = 1;
				break;
			case VARIABLE:
				if (C.npcond >= PCOND_MAX)
					return -E2BIG;
				C.pcond[C.npcond++] = c;
				nc++;
				break;
			}
		}
		struct plan *p = &C.plans[r->nr];
		if (!p->present) {
			p->present = 1;
			p->els = f->def;
			p->r0 = C.nprules;
			p->nr = 0;
		}
		if (p->done || never) {
			C.npcond = c0;
			continue;
		}
		if (nc == 0) {
			p->els = r->action;
			p->done = 1;
			continue;
		}
		/* Rules of one number are contiguous in f (grouped by nr). */
		if (C.nprules >= PRULE_MAX || p->r0 + p->nr != C.nprules)
			return -EINVAL;
		struct prule *pr = &C.prules[C.nprules++];
		pr->action = r->action;
		pr->c0 = c0;
		pr->nc = nc;
		p->nr++;
	}
	return 0;
}

static void
add_segment(struct segment s)
{
	unsigned n = C.nsegs;
	if (n > 0 && !s.body && !C.segs[n - 1].body && C.segs[n - 1].act == s.act) {
		C.segs[n - 1].hi = s.hi;
		return;
	}
	C.segs[C.nsegs++] = s;
}

/* segments splits [0, MaxNr] into maximal runs with one outcome. */
static void
make_segments(const struct lpl_filter *f)
{
	C.nsegs = 0;
	uint64_t next = 0;
	for (uint32_t nr = 0; nr <= f->arch->max_nr; nr++) {
		struct plan *p = &C.plans[nr];
		if (!p->present)
			continue;
		if (nr > next)
			add_segment((struct segment){next, (uint64_t)nr - 1, 0, f->def});
		add_segment((struct segment){nr, nr, p->nr > 0, p->els});
		next = (uint64_t)nr + 1;
	}
	if (next <= f->arch->max_nr)
		add_segment((struct segment){next, f->arch->max_nr, 0, f->def});
}

static int
pool_label(struct pool *p, uint32_t act)
{
	for (int i = 0; i < p->n; i++) {
		if (p->act[i] == act)
			return p->label[i];
	}
	if (p->n >= POOL_MAX) {
		C.overflow = 1;
		return 0;
	}
	int l = new_label();
	p->act[p->n] = act;
	p->label[p->n] = l;
	p->n++;
	return l;
}

static int tree_ret(uint32_t act) { return pool_label(&C.tree, act); }
static int body_ret(uint32_t act) { return pool_label(&C.body, act); }

static void
emit_rets(struct pool *p)
{
	for (int i = 0; i < p->n; i++) {
		set_label(p->label[i]);
		ret(p->act[i]);
	}
}

/* child: where the subtree over segs starts. */
static int
child(const struct segment *segs, unsigned n)
{
	if (n > 1)
		return new_label();
	const struct segment *s = &segs[0];
	if (!s->body)
		return tree_ret(s->act);
	int *l = &C.bodies[s->lo];
	if (*l == 0)
		*l = new_label();
	return *l;
}

/* node emits the inner nodes over segs (n > 1) in preorder. */
static void
node(const struct segment *segs, unsigned n, int entry)
{
	set_label(entry);
	unsigned mid = n / 2;
	int ll = child(segs, mid);
	int ul = child(segs + mid, n - mid);
	jump(BPF_JGE, (uint32_t)segs[mid].lo, ul, ll);
	if (mid > 1)
		node(segs, mid, ll);
	if (n - mid > 1)
		node(segs + mid, n - mid, ul);
}

/* switchable: a single 32-bit equality (a request list's shape). */
static int
switchable(const struct prule *r)
{
	return r->nc == 1 && C.pcond[r->c0]->op == LPL_OP_EQ && C.pcond[r->c0]->width == LPL_W32;
}

/* cond emits the test of one variable condition. */
static void
cond(const struct lpl_fcond *cd, int pass, int fail)
{
	uint64_t m, v;
	effective(cd, &m, &v);
	switch (cd->op) {
	case LPL_OP_EQ:
	case LPL_OP_NE:
	case LPL_OP_MASKED_EQ:
	case LPL_OP_MASKED_NE: {
		int eq = pass, ne = fail;
		if (cd->op == LPL_OP_NE || cd->op == LPL_OP_MASKED_NE) {
			eq = fail;
			ne = pass;
		}
		struct {
			uint32_t off, m, v;
		} halves[2];
		int nh = 0;
		if (m >> 32 != 0) {
			halves[nh].off = arg_hi(cd->arg);
			halves[nh].m = (uint32_t)(m >> 32);
			halves[nh].v = (uint32_t)(v >> 32);
			nh++;
		}
		if ((uint32_t)m != 0) {
			halves[nh].off = arg_lo(cd->arg);
			halves[nh].m = (uint32_t)m;
			halves[nh].v = (uint32_t)v;
			nh++;
		}
		for (int i = 0; i < nh; i++) {
			int ok = eq;
			if (i + 1 < nh)
				ok = new_label();
			ld(halves[i].off);
			uint32_t hm = halves[i].m, hv = halves[i].v;
			if (hm == 0xffffffffu) {
				jump(BPF_JEQ, hv, ok, ne);
			} else if (hv == 0) {
				jump(BPF_JSET, hm, ne, ok);
			} else if (hv == hm && (hm & (hm - 1)) == 0) {
				jump(BPF_JSET, hm, ok, ne);
			} else {
				stmt(BPF_ALU | BPF_AND | BPF_K, hm);
				jump(BPF_JEQ, hv, ok, ne);
			}
			if (i + 1 < nh)
				set_label(ok);
		}
		break;
	}
	default: {
		/* Lt is "not Ge" and Le is "not Gt". */
		uint16_t op = BPF_JGT;
		if (cd->op == LPL_OP_GE || cd->op == LPL_OP_LT)
			op = BPF_JGE;
		int yes = pass, no = fail;
		if (cd->op == LPL_OP_LT || cd->op == LPL_OP_LE) {
			yes = fail;
			no = pass;
		}
		if (cd->width == LPL_W64) {
			int hi_eq = new_label(), lo = new_label();
			ld(arg_hi(cd->arg));
			jump(BPF_JGT, (uint32_t)(v >> 32), yes, hi_eq);
			set_label(hi_eq);
			jump(BPF_JEQ, (uint32_t)(v >> 32), lo, no);
			set_label(lo);
		}
		ld(arg_lo(cd->arg));
		jump(op, (uint32_t)v, yes, no);
	}
	}
}

/* rule emits one rule: every condition must pass to return its action. */
static void
rule(const struct prule *r, int fail)
{
	for (unsigned j = 0; j < r->nc; j++) {
		int last = j + 1 == r->nc;
		int pass = last ? body_ret(r->action) : new_label();
		cond(C.pcond[r->c0 + j], pass, fail);
		if (!last)
			set_label(pass);
	}
}

struct swentry {
	uint32_t v;
	uint32_t act;
};

static void
switch_tree(const struct swentry *vals, unsigned n, int fail)
{
	if (n == 1) {
		jump(BPF_JEQ, vals[0].v, body_ret(vals[0].act), fail);
		return;
	}
	unsigned mid = n / 2;
	int lower = new_label(), upper = new_label();
	jump(BPF_JGE, vals[mid].v, upper, lower);
	set_label(lower);
	switch_tree(vals, mid, fail);
	set_label(upper);
	switch_tree(vals + mid, n - mid, fail);
}

/* value_switch: rules that each compare one argument's low 32 bits for
 * equality, as a balanced tree over the values; the first rule for a
 * value wins, as in the chain. */
static void
value_switch(const struct prule *rules, unsigned n, int fail)
{
	static struct swentry vals[PRULE_MAX];
	unsigned nv = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t m, v;
		effective(C.pcond[rules[i].c0], &m, &v);
		int seen = 0;
		for (unsigned k = 0; k < nv && !seen; k++)
			seen = vals[k].v == (uint32_t)v;
		if (!seen) {
			vals[nv].v = (uint32_t)v;
			vals[nv].act = rules[i].action;
			nv++;
		}
	}
	/* Insertion sort: the values are distinct, few, and any order of a
	 * sort gives the same result. */
	for (unsigned i = 1; i < nv; i++) {
		struct swentry e = vals[i];
		unsigned k = i;
		for (; k > 0 && vals[k - 1].v > e.v; k--)
			vals[k] = vals[k - 1];
		vals[k] = e;
	}
	ld(arg_lo(C.pcond[rules[0].c0]->arg));
	switch_tree(vals, nv, fail);
}

/* body emits the argument checks of nr. */
static void
body(uint32_t nr)
{
	const struct plan *p = &C.plans[nr];
	const struct prule *rules = &C.prules[p->r0];
	set_label(C.bodies[nr]);
	for (unsigned i = 0; i < p->nr;) {
		unsigned j = i + 1;
		while (switchable(&rules[i]) && j < p->nr && switchable(&rules[j]) &&
		    C.pcond[rules[j].c0]->arg == C.pcond[rules[i].c0]->arg)
			j++;
		if (j - i < MIN_SWITCH)
			j = i + 1;
		int fail;
		if (j < p->nr)
			fail = new_label();
		else
			fail = body_ret(p->els);
		if (j - i >= MIN_SWITCH)
			value_switch(&rules[i], j - i, fail);
		else
			rule(&rules[i], fail);
		if (j < p->nr)
			set_label(fail);
		i = j;
	}
}

/* hot_prologue: the hot bodies first (compiler.hot in seccomp/compile.go):
 * a number below max_nr compared for equality, which no x32 or unknown
 * number can match, so the checks after it stay right for every other
 * number, and the kernel's constant-action cache is not affected (a jeq on
 * the number alone is constant). Only numbers with argument checks, once
 * each, in the table's order. */
static void
hot_prologue(const struct lpl_table *a)
{
	for (unsigned i = 0; i < a->nhot; i++) {
		uint32_t nr = a->hot[i];
		int dup = 0;
		for (unsigned j = 0; j < i; j++)
			dup |= a->hot[j] == nr;
		if (dup || nr > a->max_nr || C.plans[nr].nr == 0)
			continue;
		int *l = &C.bodies[nr];
		if (*l == 0)
			*l = new_label();
		int next = new_label();
		jump(BPF_JEQ, nr, *l, next);
		set_label(next);
	}
}

int
lpl_compile(const struct lpl_filter *f, struct lpl_insn *out, unsigned max, unsigned *n)
{
	memset(&C.tree, 0, sizeof C.tree);
	memset(&C.body, 0, sizeof C.body);
	memset(C.bodies, 0, sizeof C.bodies);
	C.nins = 0;
	C.nlabels = 0;
	C.overflow = 0;
	new_label(); /* label 0 is never used */

	int err = make_plans(f);
	if (err)
		return err;
	make_segments(f);

	const struct lpl_table *a = f->arch;
	int arch_ok = new_label();
	ld(OFF_ARCH);
	jump(BPF_JEQ, a->audit_arch, arch_ok, tree_ret(f->badarch));
	set_label(arch_ok);
	ld(OFF_NR);
	hot_prologue(a);
	if (a->x32_bit != 0) {
		int not_x32 = new_label();
		jump(BPF_JGE, a->x32_bit, tree_ret(f->badarch), not_x32);
		set_label(not_x32);
	}
	int root = child(C.segs, C.nsegs);
	if (a->max_nr != 0xffffffffu) {
		int unknown = tree_ret(f->unknown);
		jump(BPF_JGT, a->max_nr, unknown, root);
	} else {
		jump(BPF_JGE, 0, root, root);
	}
	if (C.nsegs > 1)
		node(C.segs, C.nsegs, root);
	emit_rets(&C.tree);
	for (unsigned i = 0; i < C.nsegs; i++) {
		if (C.segs[i].body)
			body((uint32_t)C.segs[i].lo);
	}
	emit_rets(&C.body);
	if (C.overflow || C.nins > (int)LPL_MAX_INSNS)
		return -E2BIG;
	return assemble(out, max, n);
}
