/*
 * The rules of a filter, as promise.BuildFilter makes them from the
 * promise table, and the delta filter pledge.stackFilter stacks on a
 * loaded one. The table is generated data (../ztable_*.h); this file only
 * applies it, and libpledge's differential test checks that the result
 * decides every call as the Go filter does.
 */
#include <errno.h>
#include <string.h>

#include "lpl.h"
#include "../zcommon.h"

#define ACT_ERRNO(e) (LPL_RET_ERRNO | ((uint32_t)(e) & LPL_RET_DATA))

/* isKill: the actions a fallback errno replaces. */
static int
is_kill(uint32_t a)
{
	return a == LPL_RET_KILL_PROCESS || a == LPL_RET_KILL_THREAD;
}

/* in_filter: whether a rule of layer mode m is in a filter built with a
 * path layer (pathlayer 1) or without one (layerMode.applies). */
static const uint8_t in_filter[3][2] = {
	[LPL_LAYER_ANY] = {1, 1},
	[LPL_LAYER_WITH] = {0, 1},
	[LPL_LAYER_NO] = {1, 0},
};

/* denies: the action stops the syscall (a kill, a trap or an errno). */
static int
denies(uint32_t a)
{
	switch (a & LPL_RET_ACTION_FULL) {
	case LPL_RET_KILL_PROCESS:
	case LPL_RET_KILL_THREAD:
	case LPL_RET_TRAP:
	case LPL_RET_ERRNO:
		return 1;
	}
	return 0;
}

static int
conds_equal(const struct lpl_frule *r, const struct lpl_fcond *c, unsigned n)
{
	if (r->ncond != n)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		const struct lpl_fcond *a = &r->cond[i], *b = &c[i];
		if (a->arg != b->arg || a->width != b->width || a->op != b->op ||
		    a->mask != b->mask || a->val != b->val)
			return 0;
	}
	return 1;
}

/*
 * add appends a rule for the number whose rules start at out->rules[first]
 * (builder.add): not when an earlier rule is unconditional or has the
 * same conditions; an unconditional ALLOW drops the earlier conditional
 * ALLOWs, so that the number compiles to a constant action. It returns 1
 * when the rule was appended, 0 when not, or -E2BIG.
 */
static int
add(struct lpl_filter *out, unsigned first, uint32_t nr, const struct lpl_fcond *c,
    unsigned n, uint32_t act)
{
	for (unsigned i = first; i < out->nrules; i++) {
		if (out->rules[i].ncond == 0 || conds_equal(&out->rules[i], c, n))
			return 0;
	}
	if (n == 0 && act == LPL_RET_ALLOW) {
		unsigned k = first;
		for (unsigned i = first; i < out->nrules; i++) {
			if (out->rules[i].action != LPL_RET_ALLOW)
				out->rules[k++] = out->rules[i];
		}
		out->nrules = k;
	}
	if (out->nrules >= LPL_MAX_FRULES)
		return -E2BIG;
	struct lpl_frule *r = &out->rules[out->nrules++];
	r->nr = nr;
	r->action = act;
	r->ncond = (uint16_t)n;
	r->cond = c;
	return 1;
}

int
lpl_build_filter(struct lpl_filter *out, const struct lpl_table *t, uint64_t set,
    const struct lpl_filter_opts *o)
{
	if (set & ~LPL_ALL_PROMISES)
		return -EINVAL;
	uint32_t violation = o->violation;
	if (violation == 0)
		violation = (set & LPL_P_ERROR) ? ACT_ERRNO(ENOSYS) : LPL_RET_KILL_PROCESS;

	out->arch = t;
	out->def = violation;
	out->unknown = ACT_ERRNO(ENOSYS);
	out->badarch = denies(violation) ? violation : LPL_RET_KILL_PROCESS;
	out->nrules = 0;
	out->nconds = 0;

	for (unsigned i = 0; i < t->nrules;) {
		uint32_t nr = t->rules[i].nr;
		unsigned first = out->nrules;
		for (; i < t->nrules && t->rules[i].nr == nr; i++) {
			const struct lpl_rule *r = &t->rules[i];
			if (r->layer > LPL_LAYER_NO)
				return -EINVAL;
			if (!in_filter[r->layer][o->pathlayer != 0])
				continue;
			uint32_t act;
			switch (r->kind) {
			case LPL_ENOSYS:
				act = ACT_ERRNO(ENOSYS);
				break;
			case LPL_GRANT:
				if ((set & r->need) != r->need || (set & r->unless))
					continue;
				act = LPL_RET_ALLOW;
				break;
			case LPL_LOADER:
				if (o->loader == 0)
					continue;
				act = o->loader;
				break;
			case LPL_FALLBACK:
				if (!is_kill(violation) || (set & r->need) != r->need)
					continue;
				act = ACT_ERRNO(r->err);
				break;
			case LPL_NEVER:
				if (denies(violation))
					continue;
				act = ACT_ERRNO(EPERM);
				break;
			default:
				return -EINVAL;
			}
			/* The conditions as compiled for this pid (cond.archCond;
			 * O_DIRECTORY is resolved in the table already). */
			if (out->nconds + r->nconds > LPL_MAX_FCONDS)
				return -E2BIG;
			struct lpl_fcond *c = &out->conds[out->nconds];
			for (unsigned k = 0; k < r->nconds; k++) {
				const struct lpl_cond *tc = &t->conds[r->cond + k];
				c[k].arg = tc->arg;
				c[k].width = tc->width;
				c[k].op = tc->op;
				c[k].mask = tc->mask;
				c[k].val = tc->self ? o->pid : tc->val;
			}
			int added = add(out, first, nr, c, r->nconds, act);
			if (added < 0)
				return added;
			if (added)
				out->nconds += r->nconds;
		}
		/* Rules at the end that answer what the default answers
		 * anyway only lengthen the program. */
		while (out->nrules > first && out->rules[out->nrules - 1].action == violation)
			out->nrules--;
	}
	return 0;
}

/* rules_of finds the rules of nr in f: [*lo, *hi). */
static void
rules_of(const struct lpl_filter *f, uint32_t nr, unsigned *lo, unsigned *hi)
{
	unsigned a = 0, b = f->nrules;
	while (a < b) {
		unsigned m = a + (b - a) / 2;
		if (f->rules[m].nr < nr)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (a < f->nrules && f->rules[a].nr == nr)
		a++;
	*hi = a;
}

/*
 * lpl_delta_filter is deltaFilter of package pledge: stacked on a loaded
 * filter compiled from old, it gives what stacking next would, with rules
 * only for the numbers whose rules differ; next whole when the default,
 * unknown or foreign-arch actions differ. out's rules point into next's
 * conditions.
 */
int
lpl_delta_filter(struct lpl_filter *out, const struct lpl_filter *old, const struct lpl_filter *next)
{
	if (old->arch != next->arch || old->def != next->def ||
	    old->unknown != next->unknown || old->badarch != next->badarch) {
		out->arch = next->arch;
		out->def = next->def;
		out->unknown = next->unknown;
		out->badarch = next->badarch;
		out->nconds = 0;
		out->nrules = next->nrules;
		memcpy(out->rules, next->rules, next->nrules * sizeof next->rules[0]);
		return 0;
	}
	out->arch = next->arch;
	out->def = LPL_RET_ALLOW;
	out->unknown = LPL_RET_ALLOW;
	out->badarch = LPL_RET_ALLOW;
	out->nrules = 0;
	out->nconds = 0;
	for (uint32_t nr = 0; nr <= next->arch->max_nr; nr++) {
		unsigned olo, ohi, nlo, nhi;
		rules_of(old, nr, &olo, &ohi);
		rules_of(next, nr, &nlo, &nhi);
		if (ohi == olo && nhi == nlo)
			continue;
		int same = ohi - olo == nhi - nlo;
		for (unsigned i = 0; same && i < nhi - nlo; i++) {
			const struct lpl_frule *a = &old->rules[olo + i], *b = &next->rules[nlo + i];
			same = a->action == b->action && conds_equal(a, b->cond, b->ncond);
		}
		if (same)
			continue;
		for (unsigned i = nlo; i < nhi; i++) {
			if (out->nrules >= LPL_MAX_FRULES)
				return -E2BIG;
			out->rules[out->nrules++] = next->rules[i];
		}
		/* Where next's rules fall through, next applies its default;
		 * the delta's default is ALLOW, so say it explicitly. */
		if (nhi == nlo || next->rules[nhi - 1].ncond != 0) {
			if (out->nrules >= LPL_MAX_FRULES)
				return -E2BIG;
			struct lpl_frule *r = &out->rules[out->nrules++];
			r->nr = nr;
			r->action = next->def;
			r->ncond = 0;
			r->cond = 0;
		}
	}
	return 0;
}
