/*
 * Path layers, as package pledge stacks them (pledge/paths.go,
 * internal/sandbox/pathlayer.go): each pledge whose path rights differ
 * from the last layer's stacks a Landlock layer that handles what its
 * promises do not allow everywhere (lpl_layer_handled_by) and grants
 * OpenBSD's named paths (lpl_named), and its filter lets through the
 * opens a named path may need (the rows of mode LPL_LAYER_WITH): Landlock
 * decides the path. Both tables are generated from the promise table;
 * nothing here says what a promise allows.
 *
 * The named files are opened O_PATH at the first pledge, before any
 * filter or layer of ours could refuse it (missing ones skipped); later
 * pledges only narrow and use those descriptors. The veil committed by a
 * pledge gets that pledge's named paths as rules of its own, so that they
 * bypass it as on OpenBSD. Without Landlock, and when a layer cannot be
 * stacked, the filter decides opens by their flags (stricter, never
 * weaker), and landpledge_state() says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lpl.h"
#include "../zcommon.h"

/* What a layer enforces (sandbox.LayerKey): its handled rights and the
 * access of each named file's rule (0: none). */
struct key {
	uint64_t handled;
	uint64_t access[LPL_NNAMED_FILES];
};

static struct {
	int opened; /* the named files were opened */
	int fd[LPL_NNAMED_FILES];
	uint8_t dir[LPL_NNAMED_FILES];
	struct lpl_fileid id[LPL_NNAMED_FILES];
	int have_last;
	struct key last; /* the last layer stacked */
	int layers;      /* path layers stacked */
	int err;         /* why the last pledge has none: an errno, with the message */
	char why[512];
} N;

/* lpl_named_open opens the named files of p, once (sandbox.OpenNamed). */
void
lpl_named_open(uint64_t p)
{
	if (N.opened)
		return;
	N.opened = 1;
	for (int i = 0; i < LPL_NNAMED_FILES; i++)
		N.fd[i] = -1;
	for (int k = 0; k < LPL_NNAMED; k++) {
		const struct lpl_named *np = &lpl_named[k];
		if ((p & np->need) != np->need || N.fd[np->file] >= 0)
			continue;
		long fd = lpl_sys4(SYS_openat, AT_FDCWD, lpl_named_files[np->file], O_PATH | O_CLOEXEC, 0);
		if (fd < 0)
			continue;
		struct stat st;
		if (lpl_sys4(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) < 0) {
			lpl_close(fd);
			continue;
		}
		N.fd[np->file] = (int)fd;
		N.dir[np->file] = S_ISDIR(st.st_mode);
		N.id[np->file].dev = st.st_dev;
		N.id[np->file].ino = st.st_ino;
	}
}

/* lpl_named_access gives, per named file, the access of its rule for
 * promises p within handled (NamedFiles.Rules): the rights of the entries
 * p may use, only file rights on a non-directory, 0 for a file that was
 * not opened, or whose descriptor the program closed (a rule on whatever
 * it reused the number for would grant the wrong file). */
void
lpl_named_access(uint64_t p, uint64_t handled, uint64_t access[])
{
	memset(access, 0, LPL_NNAMED_FILES * sizeof access[0]);
	for (int i = 0; i < LPL_NNAMED; i++) {
		const struct lpl_named *np = &lpl_named[i];
		if ((p & np->need) == np->need)
			access[np->file] |= np->rights & handled;
	}
	for (int i = 0; i < LPL_NNAMED_FILES; i++) {
		if (!N.opened || access[i] == 0 || !lpl_same_file(N.fd[i], &N.id[i]))
			access[i] = 0;
		else if (!N.dir[i])
			access[i] &= LPL_ACCESS_FS_FILE;
	}
}

/* rules_of are the rules of the named files' access. */
static size_t
rules_of(const uint64_t access[], struct lpl_lrule *out)
{
	size_t n = 0;
	for (int i = 0; i < LPL_NNAMED_FILES; i++) {
		if (access[i] != 0) {
			out[n].fd = N.fd[i];
			out[n++].access = access[i];
		}
	}
	return n;
}

/* lpl_named_extra: the named paths of p as rules for the veil that a
 * pledge of p commits (within every right; the veil masks them). */
size_t
lpl_named_extra(uint64_t p, struct lpl_lrule *out)
{
	if (lpl_landlock_abi() < 1)
		return 0;
	lpl_named_open(p);
	uint64_t access[LPL_NNAMED_FILES];
	lpl_named_access(p, ~(uint64_t)0, access);
	return rules_of(access, out);
}

/* lpl_layer_handled is sandbox.LayerHandled(p, abi). */
uint64_t
lpl_layer_handled(uint64_t p, int abi)
{
	uint64_t h = LPL_LAYER_HANDLED_NONE;
	for (int i = 0; i < LPL_NPROMISES; i++) {
		if (p & (1ull << i))
			h &= lpl_layer_handled_by[i];
	}
	return h & lpl_abis[abi].fs;
}

/* decided records the outcome of a pledge's layer: 1 a path layer
 * decides its opens, 0 the flags do, for errno e (0) and the message in
 * N.why. */
static int
decided(int layer, int e)
{
	N.err = e;
	if (e == 0)
		N.why[0] = 0;
	return layer;
}

/*
 * lpl_path_layer stacks the path layer of a pledge of p, unless it would
 * enforce what the last one does (applyPathLayer). It returns 1 when a
 * path layer decides p's opens, 0 when the flags do (no Landlock, or the
 * other threads cannot be reached: stricter, and the state says why), or
 * -errno when the layer could not be stacked (the flags decide; the
 * caller says so). why gets the message.
 */
int
lpl_path_layer(uint64_t p, char *why, size_t whylen)
{
	int abi = lpl_landlock_abi();
	if (abi < 1) {
		lpl_msg(N.why, sizeof N.why, "no Landlock (landlock_create_ruleset: %s)", strerror(-abi));
		return decided(0, ENOSYS);
	}
	if (abi > LPL_LANDLOCK_MAX_ABI)
		abi = LPL_LANDLOCK_MAX_ABI;
	lpl_named_open(p);
	struct key k;
	k.handled = lpl_layer_handled(p, abi);
	if (k.handled == 0)
		return decided(1, 0); /* p allows everything by path */
	lpl_named_access(p, k.handled, k.access);
	if (N.have_last && memcmp(&k, &N.last, sizeof k) == 0)
		return decided(1, 0);
	struct lpl_lrule rules[LPL_NNAMED_FILES];
	struct lpl_layer l = {k.handled, 0, rules, rules_of(k.access, rules)};
	N.why[0] = 0;
	int err = lpl_enforce(&l, abi, N.why, sizeof N.why);
	if (err == LPL_UNREACHED)
		return decided(0, EPERM);
	if (err == -E2BIG)
		lpl_msg(N.why, sizeof N.why, "Landlock allows at most 16 layers, inherited ones included: %s", strerror(E2BIG));
	if (err) {
		decided(0, -err);
		lpl_msg(why, whylen, "%s", N.why);
		return err;
	}
	N.last = k;
	N.have_last = 1;
	N.layers++;
	return decided(1, 0);
}

/* lpl_path_state: the path layers stacked, and why the last pledge has
 * none (an errno, 0 when it has one, and the message). */
void
lpl_path_state(int *layers, int *err, const char **why)
{
	*layers = N.layers;
	*err = N.err;
	*why = N.why;
}
