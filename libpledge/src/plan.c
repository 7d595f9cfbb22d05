/*
 * The unveil plan: the Landlock rules that emulate a set of unveil entries,
 * as unveil.MakePlan computes them (unveil/plan.go), step by step:
 * most-specific-wins by splitting a directory that has a narrower entry
 * below it (its own rule keeps the floor, the intersection of what every
 * node below may have; its other entries get the rest), and names with
 * 'c' that are not directories putting their rights on the parent
 * (Exposed). libpledge's plan test runs the same case files as
 * unveil's TestMakePlan through this code and compares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lpl.h"
#include "../zcommon.h"

#define PATHBUF 4096

struct strlist {
	const char **v;
	size_t n, cap;
};

struct node {
	const char *path;
	int is_node;
	int has_dir;
	uint64_t dir_rights;
	int has_file;
	uint8_t file_perm;
	int has_grant;
	uint64_t grant;
	struct strlist names;
	struct strlist children;
};

struct planner {
	struct lpl_arena *a;
	struct node **tab;
	size_t cap, n;
	lpl_readdir_fn readdir;
	void *ctx;
	struct lpl_plan *plan;
	int oom;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct node *
lookup(struct planner *p, const char *path, int create)
{
	if (p->cap == 0 || (create && (p->n + 1) * 2 > p->cap)) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct node **tab = lpl_alloc(p->a, cap * sizeof *tab);
		if (!tab) {
			p->oom = 1;
			return 0;
		}
		memset(tab, 0, cap * sizeof *tab);
		for (size_t i = 0; i < p->cap; i++) {
			if (!p->tab[i])
				continue;
			size_t j = hash(p->tab[i]->path) & (cap - 1);
			while (tab[j])
				j = (j + 1) & (cap - 1);
			tab[j] = p->tab[i];
		}
		p->tab = tab;
		p->cap = cap;
	}
	size_t j = hash(path) & (p->cap - 1);
	while (p->tab[j]) {
		if (strcmp(p->tab[j]->path, path) == 0)
			return p->tab[j];
		j = (j + 1) & (p->cap - 1);
	}
	if (!create)
		return 0;
	struct node *nd = lpl_alloc(p->a, sizeof *nd);
	char *copy = lpl_strdup(p->a, path);
	if (!nd || !copy) {
		p->oom = 1;
		return 0;
	}
	memset(nd, 0, sizeof *nd);
	nd->path = copy;
	p->tab[j] = nd;
	p->n++;
	return nd;
}

static int
push(struct planner *p, struct strlist *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		const char **v = lpl_alloc(p->a, cap * sizeof *v);
		if (!v) {
			p->oom = 1;
			return -1;
		}
		if (l->n)
			memcpy(v, l->v, l->n * sizeof *v);
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

static void
sort_strings(const char **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const char *s = v[i];
		size_t k = i;
		for (; k > 0 && strcmp(v[k - 1], s) > 0; k--)
			v[k] = v[k - 1];
		v[k] = s;
	}
}

static void
dir_of(const char *path, char *out)
{
	lpl_dir(path, out, PATHBUF);
}

static struct node *
add_node(struct planner *p, const char *path)
{
	char cur[PATHBUF], parent[PATHBUF];
	struct node *first = lookup(p, path, 1);
	if (!first)
		return 0;
	snprintf(cur, sizeof cur, "%s", path);
	for (;;) {
		struct node *nd = lookup(p, cur, 1);
		if (!nd || nd->is_node)
			break;
		nd->is_node = 1;
		if (strcmp(cur, "/") == 0)
			break;
		dir_of(cur, parent);
		struct node *pn = lookup(p, parent, 1);
		if (!pn)
			break;
		push(p, &pn->children, nd->path);
		snprintf(cur, sizeof cur, "%s", parent);
	}
	return first;
}

static void
note(struct planner *p, const char *fmt, const char *a, const char *b, const char *c)
{
	char buf[PATHBUF + 256];
	snprintf(buf, sizeof buf, fmt, a, b, c);
	char *s = lpl_strdup(p->a, buf);
	struct lpl_plan *pl = p->plan;
	if (!s) {
		p->oom = 1;
		return;
	}
	if (pl->nnotes == pl->capnotes) {
		size_t cap = pl->capnotes ? pl->capnotes * 2 : 4;
		const char **v = lpl_alloc(p->a, cap * sizeof *v);
		if (!v) {
			p->oom = 1;
			return;
		}
		if (pl->nnotes)
			memcpy(v, pl->notes, pl->nnotes * sizeof *v);
		pl->notes = v;
		pl->capnotes = cap;
	}
	pl->notes[pl->nnotes++] = s;
}

/* cover: the rights of the most specific directory entry at or above
 * path; 0 when nothing covers it. */
static uint64_t
cover(struct planner *p, const char *path)
{
	char cur[PATHBUF], parent[PATHBUF];
	snprintf(cur, sizeof cur, "%s", path);
	for (;;) {
		struct node *nd = lookup(p, cur, 0);
		if (nd && nd->has_dir)
			return nd->dir_rights;
		if (strcmp(cur, "/") == 0)
			return 0;
		dir_of(cur, parent);
		snprintf(cur, sizeof cur, "%s", parent);
	}
}

/* ceiling: the most a rule above node n may carry without giving n more
 * than its entry says. */
static uint64_t
ceiling(struct planner *p, struct node *n, uint64_t handled)
{
	if (!n->has_file)
		return cover(p, n->path);
	uint64_t c = (lpl_perm_rights(n->file_perm) & handled & LPL_ACCESS_FS_FILE) |
	    (handled & ~LPL_ACCESS_FS_FILE);
	if (!(n->file_perm & LPL_PERM_CREATE))
		c &= ~LPL_ACCESS_FS_REMOVE_FILE;
	return c;
}

static uint64_t
floor_of(struct planner *p, struct node *n, uint64_t handled)
{
	uint64_t f = ceiling(p, n, handled);
	for (size_t i = 0; i < n->children.n; i++)
		f &= floor_of(p, lookup(p, n->children.v[i], 0), handled);
	return f;
}

static void
emit(struct planner *p, const char *path, uint64_t access, int child)
{
	if (access == 0)
		return;
	struct lpl_plan *pl = p->plan;
	if (pl->nrules == pl->caprules) {
		size_t cap = pl->caprules ? pl->caprules * 2 : 16;
		struct lpl_prule *v = lpl_alloc(p->a, cap * sizeof *v);
		if (!v) {
			p->oom = 1;
			return;
		}
		if (pl->nrules)
			memcpy(v, pl->rules, pl->nrules * sizeof *v);
		pl->rules = v;
		pl->caprules = cap;
	}
	struct lpl_prule *r = &pl->rules[pl->nrules++];
	r->path = path;
	r->access = access;
	r->child = child;
}

static void
split(struct planner *p, struct node *d, uint64_t rest)
{
	struct lpl_dirent *ents = 0;
	size_t n = 0;
	int err = p->readdir(p->ctx, p->a, d->path, &ents, &n);
	if (err) {
		char why[128], names[512];
		snprintf(why, sizeof why, "%s", strerror(-err));
		lpl_format_rights(cover(p, d->path) & ~rest, names, sizeof names);
		note(p, "%s: cannot list it to split it (%s): its entries get only %s", d->path, why, names);
	}
	for (size_t i = 0; i < n; i++) {
		char joined[PATHBUF], child[PATHBUF];
		snprintf(joined, sizeof joined, "%s/%s", d->path, ents[i].name);
		lpl_clean(joined, child, sizeof child);
		if (ents[i].issymlink)
			continue;
		int kid = 0;
		for (size_t k = 0; k < d->children.n && !kid; k++)
			kid = strcmp(d->children.v[k], child) == 0;
		if (kid)
			continue;
		uint64_t access = rest;
		if (!ents[i].isdir)
			access &= LPL_ACCESS_FS_FILE;
		char *path = lpl_strdup(p->a, child);
		if (!path) {
			p->oom = 1;
			return;
		}
		emit(p, path, access, 1);
	}
}

static void
walk(struct planner *p, struct node *d, uint64_t granted, uint64_t handled)
{
	if (p->oom)
		return;
	if (d->has_file) {
		emit(p, d->path, lpl_perm_rights(d->file_perm) & handled & LPL_ACCESS_FS_FILE & ~granted, 0);
		return;
	}
	uint64_t cv = cover(p, d->path);
	uint64_t fl = floor_of(p, d, handled);
	uint64_t own = (fl | (d->has_grant ? d->grant : 0)) & ~granted;
	emit(p, d->path, own, 0);
	granted |= own;
	if (d->children.n > 0 && (cv & ~granted) != 0)
		split(p, d, cv & ~granted);
	for (size_t i = 0; i < d->children.n; i++)
		walk(p, lookup(p, d->children.v[i], 0), granted, handled);
}

int
lpl_make_plan(struct lpl_arena *a, const struct lpl_entry *entries, uint64_t handled,
    lpl_readdir_fn readdir, void *ctx, struct lpl_plan *out)
{
	struct planner p = {.a = a, .readdir = readdir, .ctx = ctx, .plan = out};
	memset(out, 0, sizeof *out);
	char parent[PATHBUF];
	for (const struct lpl_entry *e = entries; e; e = e->next) {
		uint64_t rights = lpl_perm_rights(e->perm) & handled;
		dir_of(e->path, parent);
		struct node *nd;
		switch (e->kind) {
		case LPL_KIND_DIR:
			nd = add_node(&p, e->path);
			if (!nd)
				return -ENOMEM;
			nd->has_dir = 1;
			nd->dir_rights = rights;
			continue;
		case LPL_KIND_FILE:
			nd = add_node(&p, e->path);
			if (!nd)
				return -ENOMEM;
			nd->has_file = 1;
			nd->file_perm = e->perm;
			break;
		}
		if (!(e->perm & LPL_PERM_CREATE)) {
			if (e->kind == LPL_KIND_MISSING)
				note(&p, "%s: does not exist and has no 'c': nothing is granted for it%s%s", e->path, "", "");
			continue;
		}
		nd = add_node(&p, parent);
		if (!nd)
			return -ENOMEM;
		nd->has_grant = 1;
		nd->grant |= (rights & LPL_ACCESS_FS_FILE) | (LPL_NAME_RIGHTS & handled);
		push(&p, &nd->names, e->path);
	}
	if (p.oom)
		return -ENOMEM;
	for (size_t i = 0; i < p.cap; i++) {
		if (p.tab[i])
			sort_strings(p.tab[i]->children.v, p.tab[i]->children.n);
	}
	struct node *root = lookup(&p, "/", 0);
	if (root && root->is_node)
		walk(&p, root, 0, handled);
	if (p.oom)
		return -ENOMEM;

	/* Exposed, by directory in sorted order. */
	size_t ng = 0;
	for (size_t i = 0; i < p.cap; i++)
		ng += p.tab[i] && p.tab[i]->has_grant;
	if (ng) {
		const char **dirs = lpl_alloc(a, ng * sizeof *dirs);
		out->exposed = lpl_alloc(a, ng * sizeof *out->exposed);
		if (!dirs || !out->exposed)
			return -ENOMEM;
		size_t k = 0;
		for (size_t i = 0; i < p.cap; i++) {
			if (p.tab[i] && p.tab[i]->has_grant)
				dirs[k++] = p.tab[i]->path;
		}
		sort_strings(dirs, ng);
		for (size_t i = 0; i < ng; i++) {
			struct node *nd = lookup(&p, dirs[i], 0);
			out->exposed[i].dir = nd->path;
			out->exposed[i].access = nd->grant;
			out->exposed[i].names = nd->names.v;
			out->exposed[i].nnames = nd->names.n;
		}
		out->nexposed = ng;
	}
	return 0;
}

uint64_t
lpl_perm_rights(uint8_t perm)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < sizeof lpl_perm_letters / sizeof lpl_perm_letters[0]; i++) {
		if (perm & lpl_perm_letters[i].perm)
			r |= lpl_perm_letters[i].rights;
	}
	return r;
}

/* lpl_parse_perm is unveil.ParsePerm: -ENAMETOOLONG beyond 4 bytes,
 * -EINVAL for a character that is not a permission letter. */
int
lpl_parse_perm(const char *s, uint8_t *perm)
{
	if (strnlen(s, LPL_PERM_MAXLEN + 1) > LPL_PERM_MAXLEN)
		return -ENAMETOOLONG;
	uint8_t p = 0;
	for (; *s; s++) {
		int found = 0;
		for (unsigned i = 0; i < sizeof lpl_perm_letters / sizeof lpl_perm_letters[0]; i++) {
			if (*s == lpl_perm_letters[i].letter) {
				p |= lpl_perm_letters[i].perm;
				found = 1;
			}
		}
		if (!found)
			return -EINVAL;
	}
	*perm = p;
	return 0;
}

/* lpl_format_perm is unveil.Perm.String: the letters in canonical order
 * ("rwxc"), "" for none. */
void
lpl_format_perm(uint8_t perm, char *buf, size_t len)
{
	size_t at = 0;
	for (unsigned i = 0; i < sizeof lpl_perm_letters / sizeof lpl_perm_letters[0] && at + 1 < len; i++)
		if (perm & lpl_perm_letters[i].perm)
			buf[at++] = lpl_perm_letters[i].letter;
	buf[at] = 0;
}

void
lpl_format_rights(uint64_t access, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (const struct lpl_right_name *r = lpl_right_names; r->name; r++) {
		if (!(access & r->right))
			continue;
		int n = snprintf(buf + at, len - at, "%s%s", at ? "," : "", r->name);
		if (n < 0 || (size_t)n >= len - at)
			return;
		at += (size_t)n;
	}
}
