/*
 * libpledge: OpenBSD's pledge(2) and unveil(2) for Linux (landpledge's C
 * library: seccomp-BPF for the promises, Landlock for the veil, the
 * landpledge exec supervisor for execpromises). See README.md in this
 * directory and pledge(2), unveil(2) of OpenBSD for the semantics.
 *
 *   cc prog.c $(pkg-config --cflags --libs libpledge)
 *
 * Both functions return 0, or -1 with errno set. Beyond OpenBSD's errnos,
 * pledge() fails with ENOTSUP when the environment kept part of it from
 * being enforced (the exec supervisor could not start, or the veil could
 * not be committed): what could be enforced is in force (never less than
 * asked, so "exec" or the path promises are dropped), a line on stderr
 * says what was dropped and why, and landpledge_state() keeps it.
 */
#ifndef LIBPLEDGE_PLEDGE_H
#define LIBPLEDGE_PLEDGE_H

#ifdef __cplusplus
extern "C" {
#endif

int pledge(const char *promises, const char *execpromises);
int unveil(const char *path, const char *permissions);

/* Extensions of landpledge (not in OpenBSD). */

#define LIBPLEDGE_VERSION_MAJOR 0
#define LIBPLEDGE_VERSION_MINOR 1

/* What landpledge_state() reports of this process. */
struct landpledge_state {
	int pledged;             /* a pledge() with promises succeeded */
	char promises[1024];     /* the promises in force, canonical order */
	int exec_set;            /* execpromises were set */
	char execpromises[1024]; /* and are these */
	int filters;             /* seccomp filters loaded by the library */
	int exec_supervisor;     /* pid of the exec supervisor, 0 if none */
	int exec_errno;          /* why execpromises are not enforced (best effort), 0 */
	int landlock_abi;        /* the running Landlock ABI, 0 without Landlock */
	int veil_locked;         /* unveil() is locked */
	int veil_enforced;       /* a Landlock domain was applied */
	int not_enforced_errno;  /* the last pledge()'s ENOTSUP: the cause's errno */
	char not_enforced[768];  /* and what was dropped and why, "" otherwise */
	int path_layer;          /* a Landlock path layer decides the last pledge's
	                          * opens by path: the named paths open by name */
	int path_errno;          /* why not (the opens are decided by their flags):
	                          * ENOSYS without Landlock, EPERM for threads the
	                          * filters in force cannot reach... 0 otherwise */
	char path_err[512];      /* and the message, "" otherwise */
	int layers;              /* Landlock layers the library stacked: the veil
	                          * and the path layers (the kernel allows 16 in
	                          * all, inherited ones included) */
};

/* landpledge_state fills *st; it returns 0. It makes no system call. */
int landpledge_state(struct landpledge_state *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBPLEDGE_PLEDGE_H */
