/*
 * lpplan: the plan test's driver. It reads plan cases in the language of
 * internal/plancase (unveil/testdata/plans) from stdin, separated by lines
 * "---", runs libpledge's planner on each with the case's fake directory
 * tree, and writes the plan in the same language (rule, exposed, notes
 * lines), each followed by a line "---".
 */
#include "testlib.h"
#include "src/lpl.h"

struct tree {
	char *dir;
	char *names[64];
	int n;
};

static struct tree trees[64];
static int ntrees;

static int
fake_readdir(void *ctx, struct lpl_arena *a, const char *dir, struct lpl_dirent **ents, size_t *n)
{
	(void)ctx;
	*ents = 0;
	*n = 0;
	for (int i = 0; i < ntrees; i++) {
		if (strcmp(trees[i].dir, dir) != 0)
			continue;
		struct lpl_dirent *v = lpl_alloc(a, (trees[i].n + 1) * sizeof *v);
		for (int k = 0; k < trees[i].n; k++) {
			char *name = lpl_strdup(a, trees[i].names[k]);
			size_t l = strlen(name);
			v[k].isdir = v[k].issymlink = 0;
			if (l > 0 && name[l - 1] == '/') {
				v[k].isdir = 1;
				name[l - 1] = 0;
			} else if (l > 0 && name[l - 1] == '@') {
				v[k].issymlink = 1;
				name[l - 1] = 0;
			}
			v[k].name = name;
		}
		*ents = v;
		*n = (size_t)trees[i].n;
		return 0;
	}
	return -EACCES;
}

static char arena_buf[1 << 20] __attribute__((aligned(16)));

static void
run_case(char *text)
{
	struct lpl_arena a;
	lpl_arena_init(&a, arena_buf, sizeof arena_buf);
	ntrees = 0;
	int abi = 7;
	struct lpl_entry *head = 0, *tail = 0;
	char *save = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(0, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *ws = 0;
		char *kw = strtok_r(line, " \t", &ws);
		if (!kw)
			continue;
		if (strcmp(kw, "abi") == 0) {
			abi = atoi(strtok_r(0, " \t", &ws));
		} else if (strcmp(kw, "tree") == 0) {
			struct tree *t = &trees[ntrees++];
			t->dir = strtok_r(0, " \t", &ws);
			t->n = 0;
			for (char *n; (n = strtok_r(0, " \t", &ws)) && t->n < 64;)
				t->names[t->n++] = n;
		} else if (strcmp(kw, "entry") == 0) {
			char *path = strtok_r(0, " \t", &ws), *perm = strtok_r(0, " \t", &ws), *kind = strtok_r(0, " \t", &ws);
			struct lpl_entry *e = lpl_alloc(&a, sizeof *e);
			memset(e, 0, sizeof *e);
			e->path = lpl_strdup(&a, path);
			uint8_t p = 0;
			if (strcmp(perm, "-") != 0 && lpl_parse_perm(perm, &p) != 0) {
				printf("error bad perm %s\n---\n", perm);
				return;
			}
			e->perm = p;
			e->kind = strcmp(kind, "dir") == 0 ? LPL_KIND_DIR : strcmp(kind, "file") == 0 ? LPL_KIND_FILE : LPL_KIND_MISSING;
			if (tail)
				tail->next = e;
			else
				head = e;
			tail = e;
		}
		/* rule, exposed, notes: the expectation, not ours to read. */
	}
	if (abi < 0)
		abi = 0;
	if (abi > LPL_LANDLOCK_MAX_ABI)
		abi = LPL_LANDLOCK_MAX_ABI;
	struct lpl_plan plan;
	int err = lpl_make_plan(&a, head, lpl_abis[abi].fs, fake_readdir, 0, &plan);
	if (err) {
		printf("error %s\n---\n", errname(-err));
		lpl_arena_reset(&a);
		return;
	}
	char rights[1024];
	for (size_t i = 0; i < plan.nrules; i++) {
		lpl_format_rights(plan.rules[i].access, rights, sizeof rights);
		printf("rule %s %s%s\n", plan.rules[i].path, rights, plan.rules[i].child ? " child" : "");
	}
	for (size_t i = 0; i < plan.nexposed; i++) {
		lpl_format_rights(plan.exposed[i].access, rights, sizeof rights);
		printf("exposed %s %s", plan.exposed[i].dir, rights);
		for (size_t k = 0; k < plan.exposed[i].nnames; k++)
			printf(" %s", plan.exposed[i].names[k]);
		printf("\n");
	}
	printf("notes %zu\n---\n", plan.nnotes);
	lpl_arena_reset(&a);
}

int
main(void)
{
	static char text[1 << 20];
	size_t n = 0;
	char line[8192];
	while (fgets(line, sizeof line, stdin)) {
		if (strcmp(line, "---\n") == 0) {
			text[n] = 0;
			run_case(text);
			n = 0;
			continue;
		}
		size_t l = strlen(line);
		if (n + l + 1 < sizeof text) {
			memcpy(text + n, line, l);
			n += l;
		}
	}
	if (n > 0) {
		text[n] = 0;
		run_case(text);
	}
	fflush(stdout);
	return 0;
}
