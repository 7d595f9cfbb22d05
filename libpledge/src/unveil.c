/*
 * unveil(2): the process's one unveil state, as unveil.State keeps it
 * (unveil/state.go): entries accumulate, nothing is enforced until the
 * commit (unveil(NULL, NULL), or the first pledge without "unveil"), which
 * plans the Landlock rules (plan.c), creates a ruleset handling every
 * filesystem right the running ABI knows, adds the rules and restricts
 * every thread (landlock.c). Errors are OpenBSD's: EPERM after the lock,
 * ENAMETOOLONG for permissions longer than 4 characters, EINVAL for an
 * empty path or a bad letter, EFAULT for one NULL argument, ENOENT or
 * ENOTDIR for a missing directory on the way, ENOSYS without Landlock
 * unless LANDPLEDGE_BEST_EFFORT=1. There is no limit on the number of
 * entries (OpenBSD: E2BIG beyond 128). An unveil after a pledge that kept
 * "unveil" is not enforced until the commit: the first one says so on
 * stderr, and with LANDPLEDGE_UNVEIL_STRICT=1 each fails with EPERM
 * (pledge.pendingAfterPledge).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lpl.h"
#include "../pledge.h"
#include "../zcommon.h"

#define PATHBUF 4096

static struct {
	struct lpl_arena arena; /* the entries; kept until exit */
	struct lpl_entry *head, *tail;
	size_t n;
	int locked, enforced;
	int unsent; /* enforced without the exec supervisor being told */
	int best_effort, best_effort_known;
} V;

static char entry_buf[64 * 1024] __attribute__((aligned(16)));
static char commit_buf[256 * 1024] __attribute__((aligned(16)));

int
lpl_best_effort(void)
{
	if (!V.best_effort_known) {
		const char *v = getenv(LPL_ENV_BEST_EFFORT);
		V.best_effort = v && strcmp(v, "1") == 0;
		V.best_effort_known = 1;
	}
	return V.best_effort;
}

int lpl_veil_enforced(void) { return V.enforced; }
int lpl_veil_locked(void) { return V.locked; }
int lpl_veil_unsent(void) { return V.unsent; }
const struct lpl_entry *lpl_veil_entries(void) { return V.head; }

/* pending_after_pledge: an unveil after a pledge, which nothing commits
 * unless the program calls unveil(NULL, NULL) or pledges again: said
 * once, or EPERM under LANDPLEDGE_UNVEIL_STRICT=1. */
static int
pending_after_pledge(const char *path, const char *permissions)
{
	static int warned;
	int pledged = 0;
	lpl_current_promises(&pledged);
	if (!pledged || V.locked)
		return 0;
	const char *strict = getenv(LPL_ENV_UNVEIL_STRICT);
	if (strict && strcmp(strict, "1") == 0)
		return -EPERM;
	if (!warned) {
		warned = 1;
		lpl_warn("libpledge: unveil(\"%s\", \"%s\") after a pledge is not enforced until unveil(NULL, NULL) "
		    "or a pledge without \"unveil\": Linux cannot add to an enforced Landlock domain (%s=1 makes this an error)",
		    path ? path : "(null)", permissions ? permissions : "(null)", LPL_ENV_UNVEIL_STRICT);
	}
	return 0;
}

static int
do_unveil(const char *path, const char *permissions)
{
	int err = pending_after_pledge(path, permissions);
	if (err)
		return err;
	if (V.locked)
		return -EPERM;
	if (permissions == 0)
		return -EFAULT;
	/* Our order, as unveil.State.Unveil's: the permissions' length, the
	 * empty path, the letters. */
	uint8_t perm = 0;
	int perr = lpl_parse_perm(permissions, &perm);
	if (perr == -ENAMETOOLONG)
		return perr;
	if (path == 0)
		return -EFAULT;
	if (path[0] == 0)
		return -EINVAL;
	if (perr)
		return perr;
	int abi = lpl_landlock_abi();
	if (abi < 1 && !lpl_best_effort())
		return -ENOSYS;
	static char resolved[PATHBUF];
	err = lpl_resolve(path, resolved, sizeof resolved);
	if (err)
		return err;
	if (V.arena.buf == 0)
		lpl_arena_init(&V.arena, entry_buf, sizeof entry_buf);
	for (struct lpl_entry *e = V.head; e; e = e->next) {
		if (strcmp(e->path, resolved) == 0) {
			e->perm = perm;
			return 0;
		}
	}
	struct lpl_entry *e = lpl_alloc(&V.arena, sizeof *e);
	char *p = lpl_strdup(&V.arena, resolved);
	if (!e || !p)
		return -ENOMEM;
	memset(e, 0, sizeof *e);
	e->path = p;
	e->perm = perm;
	if (V.tail)
		V.tail->next = e;
	else
		V.head = e;
	V.tail = e;
	V.n++;
	return 0;
}

/* The directory listing of a split directory: an O_DIRECTORY open, which
 * can open nothing but a directory (what the "unveil" promise allows). */
static int
read_dir(void *ctx, struct lpl_arena *a, const char *dir, struct lpl_dirent **ents, size_t *n)
{
	(void)ctx;
	*ents = 0;
	*n = 0;
	long fd = lpl_sys4(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return (int)fd;
	size_t cap = 0;
	char buf[8192] __attribute__((aligned(8)));
	int err = 0;
	for (;;) {
		long got = lpl_sys3(SYS_getdents64, fd, buf, sizeof buf);
		if (got < 0) {
			err = (int)got;
			break;
		}
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);
			off += d->reclen;
			if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
				continue;
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 32;
				struct lpl_dirent *v = lpl_alloc(a, nc * sizeof *v);
				if (!v) {
					err = -ENOMEM;
					goto out;
				}
				if (*n)
					memcpy(v, *ents, *n * sizeof *v);
				*ents = v;
				cap = nc;
			}
			struct lpl_dirent *de = &(*ents)[(*n)++];
			de->name = lpl_strdup(a, d->name);
			if (!de->name) {
				err = -ENOMEM;
				goto out;
			}
			unsigned type = d->type;
			if (type == DT_UNKNOWN) {
				struct stat st;
				if (lpl_sys4(SYS_newfstatat, fd, d->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
					type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
			}
			de->isdir = type == DT_DIR;
			de->issymlink = type == DT_LNK;
		}
	}
out:
	lpl_close(fd);
	return err;
}

/* enforce enforces the veil: its rules and extra, handling every right of
 * ABI abi and scoping abstract unix sockets. */
static int
enforce(struct lpl_arena *a, const struct lpl_lrule *rules, size_t n, const struct lpl_lrule *extra,
    size_t nextra, int abi, char *why, size_t whylen)
{
	struct lpl_lrule *all = lpl_alloc(a, (n + nextra + 1) * sizeof *all);
	if (!all)
		return -ENOMEM;
	if (n)
		memcpy(all, rules, n * sizeof *all);
	if (nextra)
		memcpy(all + n, extra, nextra * sizeof *all);
	struct lpl_layer l = {lpl_abis[abi].fs, LPL_SCOPE_ABSTRACT_UNIX_SOCKET, all, n + nextra};
	int err = lpl_enforce(&l, abi, why, whylen);
	/* Other threads it cannot reach: OpenBSD's answer for what the
	 * promises do not allow. */
	return err == LPL_UNREACHED ? -EPERM : err;
}

/* perm_at is unveil's permAt: the permission the veil gives path, its own
 * entry's or the nearest directory entry's above it; 0 when nothing
 * covers it. */
static int
perm_at(const struct lpl_entry *head, const char *path, uint8_t *perm)
{
	size_t plen = strlen(path), best = 0;
	int found = 0;
	for (const struct lpl_entry *e = head; e; e = e->next) {
		size_t n = strlen(e->path);
		int covers = strcmp(e->path, path) == 0 || strcmp(e->path, "/") == 0 ||
		    (n < plen && strncmp(path, e->path, n) == 0 && path[n] == '/');
		if (covers && (!found || n > best)) {
			best = n;
			*perm = e->perm;
			found = 1;
		}
	}
	return found;
}

/*
 * with_interpreters is unveil's withInterpreters: each ELF interpreter
 * of the table (glibc's, musl's) that exists and that the veil lets read
 * but not execute gets an entry of its own with "x" added, in place of
 * its own entry: OpenBSD's exec reads ld.so, Linux's open_exec needs
 * Landlock's EXECUTE (see unveil/interp.go; the exec supervisor refuses
 * exec'ing such an interpreter itself, and computes the same entries from
 * the ones it is sent). *headp is the commit's classified list.
 */
static int
with_interpreters(struct lpl_arena *a, struct lpl_entry **headp)
{
	const struct lpl_table *t = lpl_native_table();
	for (const char *const *ip = t ? t->interps : 0; ip && *ip; ip++) {
		char real[PATHBUF];
		struct stat st;
		if (lpl_resolve(*ip, real, sizeof real) != 0 || lpl_sys4(SYS_newfstatat, AT_FDCWD, real, &st, 0) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		uint8_t perm = 0;
		if (!perm_at(V.head, real, &perm) || !(perm & LPL_PERM_READ) || (perm & LPL_PERM_EXEC))
			continue;
		struct lpl_entry **pp = headp;
		while (*pp && strcmp((*pp)->path, real) != 0)
			pp = &(*pp)->next;
		if (*pp) {
			if ((*pp)->perm & LPL_PERM_EXEC)
				continue; /* an interpreter listed twice */
			*pp = (*pp)->next;
		}
		struct lpl_entry *e = lpl_alloc(a, sizeof *e);
		char *path = lpl_strdup(a, real);
		if (!e || !path)
			return -ENOMEM;
		*e = (struct lpl_entry){0, path, (uint8_t)(perm | LPL_PERM_EXEC), LPL_KIND_FILE};
		for (pp = headp; *pp; pp = &(*pp)->next)
			;
		*pp = e;
	}
	return 0;
}

/* lpl_veil_commit is unveil.State.Commit: extra are rules added to the
 * veil's, within its handled rights. why gets the reason of a failure. */
int
lpl_veil_commit(const struct lpl_lrule *extra, size_t nextra, char *why, size_t whylen)
{
	V.locked = 1;
	if (V.enforced || V.n == 0)
		return 0;
	int pledged0 = 0;
	uint64_t cur0 = lpl_current_promises(&pledged0);
	if (pledged0 && !(cur0 & LPL_P_UNVEIL)) {
		/* An earlier commit failed and a filter without "unveil" is
		 * in force: the Landlock calls would be violations now. */
		lpl_msg(why, whylen, "a filter without \"unveil\" is in force: the veil can no longer be committed");
		return -EPERM;
	}
	/* The exec supervisor gives the images exec'd with execpromises the
	 * veil it is told of: it is told first. When it cannot be (a forked
	 * child, which has not the pipes), pledge.c keeps such a process
	 * from exec'ing with execpromises; when telling fails, the veil is
	 * enforced all the same and the error returned. */
	int told = 0;
	if (lpl_sup_pid() != 0) {
		if (lpl_sup_reachable())
			told = lpl_sup_veil(V.head, why, whylen);
		else
			V.unsent = 1;
	}
	int abi = lpl_landlock_abi();
	if (abi < 1) {
		if (lpl_best_effort())
			return told;
		lpl_msg(why, whylen, "no Landlock");
		return -ENOSYS;
	}
	if (abi > LPL_LANDLOCK_MAX_ABI)
		abi = LPL_LANDLOCK_MAX_ABI;
	uint64_t handled = lpl_abis[abi].fs;

	struct lpl_arena a;
	lpl_arena_init(&a, commit_buf, sizeof commit_buf);
	int err = 0;

	/* classify: what each entry is now; a name whose parent has gone is
	 * dropped. The list is rebuilt in the commit's arena. */
	struct lpl_entry *head = 0, *tail = 0;
	for (struct lpl_entry *e = V.head; e; e = e->next) {
		struct stat st;
		struct lpl_entry *c = lpl_alloc(&a, sizeof *c);
		if (!c) {
			err = -ENOMEM;
			goto out;
		}
		*c = *e;
		c->next = 0;
		if (lpl_sys4(SYS_newfstatat, AT_FDCWD, e->path, &st, 0) == 0) {
			c->kind = S_ISDIR(st.st_mode) ? LPL_KIND_DIR : LPL_KIND_FILE;
		} else {
			char parent[PATHBUF];
			lpl_dir(e->path, parent, sizeof parent);
			if (lpl_sys4(SYS_newfstatat, AT_FDCWD, parent, &st, 0) != 0 || !S_ISDIR(st.st_mode))
				continue;
			c->kind = LPL_KIND_MISSING;
		}
		if (tail)
			tail->next = c;
		else
			head = c;
		tail = c;
	}

	/* Not for a veil the exec supervisor was not told of: it could not
	 * refuse exec'ing the interpreter itself. */
	if (!V.unsent && (err = with_interpreters(&a, &head)) != 0)
		goto out;
	struct lpl_plan plan;
	err = lpl_make_plan(&a, head, handled, read_dir, 0, &plan);
	if (err) {
		lpl_msg(why, whylen, "planning the rules: %s", strerror(-err));
		goto out;
	}

	struct lpl_lrule *opened;
	size_t nopened;
	err = lpl_open_rules(&a, plan.rules, plan.nrules, handled, &opened, &nopened, why, whylen);
	if (err == 0)
		err = enforce(&a, opened, nopened, extra, nextra, abi, why, whylen);
	lpl_close_rules(opened, nopened);
	if (err == 0) {
		/* Enforced and locked. The entries stay: an exec supervisor
		 * started later is sent them. */
		V.enforced = 1;
	}
out:
	lpl_arena_reset(&a);
	return err ? err : told;
}

LPL_PUBLIC int
unveil(const char *path, const char *permissions)
{
	int err;
	lpl_lock();
	if (path == 0 && permissions == 0) {
		char why[512] = "";
		err = lpl_veil_commit(0, 0, why, sizeof why);
		if (err && why[0])
			lpl_warn("libpledge: unveil(NULL, NULL): %s", why);
		if (!err && V.enforced && V.unsent)
			err = lpl_unsent_veil_drops_exec();
	} else {
		err = do_unveil(path, permissions);
	}
	lpl_unlock();
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
