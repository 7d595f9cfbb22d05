/*
 * pledge(2), as package pledge does it (pledge/pledge.go, pledge/exec.go):
 *
 *   - both strings are parsed first (EINVAL, ENAMETOOLONG);
 *   - promises may only shrink: adding one is EPERM, except under "error",
 *     where the addition is dropped silently; execpromises, once set,
 *     only shrink (EPERM even under "error");
 *   - with "exec" the exec supervisor starts before the first filter (so
 *     that exec'd programs start: their loader gets a window for their own
 *     files, and with execpromises they run under promises ∩ execpromises)
 *     and is told of every filter before it is loaded; when it cannot
 *     start, "exec" is dropped, the rest enforced and the call fails with
 *     ENOTSUP (see pledge.h), unless LANDPLEDGE_BEST_EFFORT=1;
 *   - the first pledge without "unveil" commits the veil, with the named
 *     paths of its promises as rules of their own (they bypass it, as on
 *     OpenBSD); when the commit fails the path promises are dropped and the
 *     call fails with ENOTSUP;
 *   - each pledge whose path rights differ from the last stacks a path
 *     layer (pathlayer.c) and its filter lets the opens a named path may
 *     need through; when no layer decides (no Landlock, threads it cannot
 *     reach) the flags decide, and when one cannot be stacked the call
 *     also fails with ENOTSUP;
 *   - the filter (filter.c, compile.c) is loaded on every thread with
 *     SECCOMP_FILTER_FLAG_TSYNC after no_new_privs; a later pledge stacks
 *     only the syscalls whose rules changed;
 *   - LANDPLEDGE_ERRNO=NAME makes violations fail with that errno,
 *     LANDPLEDGE_LOG=1 loads filters with SECCOMP_FILTER_FLAG_LOG.
 *
 * The library has no threads of its own and allocates nothing it does not
 * give back; its state is static, behind one lock that fork(2) takes and
 * releases (pthread_atfork), so a freshly forked child pledges its own way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lpl.h"
#include "../pledge.h"
#include "../zcommon.h"

#define ACT_ERRNO(e) (LPL_RET_ERRNO | ((uint32_t)(e) & LPL_RET_DATA))
#define NOT_ENFORCED ENOTSUP

/* The promises that open, create or execute files: without the veil they
 * were given with, none of them may stay (pledge.pathPromises). */
#define PATH_PROMISES (LPL_P_RPATH | LPL_P_WPATH | LPL_P_CPATH | LPL_P_DPATH | \
    LPL_P_TMPPATH | LPL_P_EXEC | LPL_P_UNIX | LPL_P_UNVEIL)

static struct {
	int pledged;
	uint64_t promises;
	int exec_set;
	uint64_t execpromises;
	int filters;
	int path_layer; /* a path layer decides the promises' opens */
	int exec_errno;
	int forked; /* a child forked from the process that started the supervisor */
	/* The full filter the current promises compile to: later pledges
	 * stack only what differs from it. */
	int have_loaded;
	uint64_t loaded_set;
	struct lpl_filter_opts loaded_opts;
	uint32_t filters_pid; /* the pid every loaded filter names, ~0 if they differ */
	/* The execpromises policy the supervisor has. */
	int sup_exec_sent;
	struct lpl_policy sup_exec;
	int not_enforced_errno;
	char not_enforced[768];
} P = {.filters_pid = 0};

static struct lpl_filter f_old, f_next, f_delta;
static struct lpl_insn prog[LPL_MAX_INSNS];

/* The lock: a spin lock, so that nothing in the library needs more than
 * the promises it holds; fork(2) takes it and both sides release it. */
static int lock_word;

void
lpl_lock(void)
{
	for (unsigned spins = 0; __atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE); spins++) {
		while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED)) {
#if defined(__x86_64__)
			__builtin_ia32_pause();
#elif defined(__aarch64__)
			__asm__ volatile("yield");
#endif
			/* sched_yield needs "stdio" once pledged. */
			if (++spins > 1000 && (!P.pledged || (P.promises & LPL_P_STDIO)))
				lpl_sys0(SYS_sched_yield);
		}
	}
}

void
lpl_unlock(void)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

static void fork_prepare(void) { lpl_lock(); }
static void fork_parent(void) { lpl_unlock(); }

static void
fork_child(void)
{
	lpl_task_dir_forget();
	if (lpl_sup_pid() != 0) {
		/* The parent's supervisor traces this child too, but its
		 * pipes are the parent's. */
		P.forked = 1;
		lpl_sup_forget();
	}
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void
lpl_init(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

uint64_t
lpl_current_promises(int *pledged)
{
	*pledged = P.pledged;
	return P.promises;
}

int
lpl_stdio_denied(void)
{
	return !lpl_allowed(LPL_P_STDIO);
}

int
lpl_allowed(uint64_t promises)
{
	return !P.pledged || (P.promises & promises) != 0;
}

void
lpl_close(long fd)
{
	if (fd >= 0 && !lpl_stdio_denied())
		lpl_sys1(SYS_close, fd);
}

uint32_t
lpl_loaded_pid(void)
{
	return P.filters_pid;
}

/* from_env reads LANDPLEDGE_ERRNO and LANDPLEDGE_LOG (pledge.fromEnv). */
static int
from_env(uint32_t *violation, uint32_t *flags)
{
	*violation = 0;
	*flags = 0;
	const char *name = getenv(LPL_ENV_ERRNO);
	if (name && name[0]) {
		int e = lpl_errno_by_name(name);
		if (e == 0) {
			lpl_warn("libpledge: pledge: %s=\"%s\" is not an errno name", LPL_ENV_ERRNO, name);
			return -EINVAL;
		}
		*violation = ACT_ERRNO(e);
	}
	const char *log = getenv(LPL_ENV_LOG);
	if (log && strcmp(log, "1") == 0)
		*flags |= LPL_FILTER_FLAG_LOG;
	return 0;
}

/*
 * sup_unreachable: a supervisor traces this process but cannot be told
 * of new filters: this is a child forked from the process that started it
 * (the pipes are that process's), or the promises in force deny the
 * writes and reads of the protocol. Such a process's filters are then
 * loaded without the loader tag, so that the kernel decides them alone
 * and the supervisor's older view of it is never asked about them.
 */
static int
sup_unreachable(void)
{
	return lpl_sup_pid() != 0 && (P.forked || lpl_stdio_denied());
}

int
lpl_sup_reachable(void)
{
	return lpl_sup_pid() != 0 && !sup_unreachable();
}

/* unsent_veil: images exec'd with execpromises would get the veil the
 * supervisor knows (another process's, or none) instead of this one's. */
static int
unsent_veil(uint64_t want, int exec_set)
{
	return sup_unreachable() && (want & LPL_P_EXEC) && exec_set && lpl_veil_unsent();
}

#define UNSENT_VEIL_DROPS "promise \"exec\" dropped (the exec supervisor could not be told of the veil, " \
	"which the programs exec'd with execpromises must keep: a forked child's veil)"

/* The exec supervisor exists where internal/supervise does: amd64. */
#if defined(__x86_64__)
#define EXEC_SUPERVISED 1
#else
#define EXEC_SUPERVISED 0
#endif

/* ensure_supervisor starts the supervisor if want needs it and it does
 * not run yet (pledge.ensureSupervisor). */
static int
ensure_supervisor(uint64_t want, char *why, size_t whylen)
{
	if (lpl_sup_pid() != 0 || !(want & LPL_P_EXEC))
		return 0;
	if (!EXEC_SUPERVISED) {
		lpl_msg(why, whylen, "no exec supervisor on this architecture: exec'd programs keep the promises and get no loader window");
		return -ENOSYS;
	}
	if (P.filters > 0) {
		lpl_msg(why, whylen, "\"exec\" needs the exec supervisor, which must start before the first filter (pledge \"exec\" in the first pledge)");
		return -EPERM;
	}
	int err = lpl_sup_start(why, whylen);
	if (err && lpl_veil_enforced()) {
		size_t n = strlen(why);
		lpl_msg(why + n, whylen - n, " (the veil is enforced already: pledge before unveil(NULL, NULL), or unveil the supervisor \"x\")");
	}
	if (!err && lpl_veil_enforced() && lpl_veil_entries()) {
		/* A veil enforced before the supervisor started. */
		err = lpl_sup_veil(lpl_veil_entries(), why, whylen);
	}
	return err;
}

static int
policy_equal(const struct lpl_policy *a, const struct lpl_policy *b)
{
	return a->promises == b->promises && a->violation == b->violation && a->flags == b->flags &&
	    a->pathlayer == b->pathlayer;
}

/* tell_supervisor sends the supervisor the execpromises when they changed
 * and the filter about to be loaded (pledge.tellSupervisor), with whether
 * it has a path layer (the execpromises filter never has one). */
static int
tell_supervisor(const uint64_t *promises, int layered, uint64_t exec, int exec_set, uint32_t violation,
    uint32_t flags, char *why, size_t whylen)
{
	if (lpl_sup_pid() == 0 || sup_unreachable())
		return 0;
	if (exec_set) {
		struct lpl_policy e = {exec, violation, flags, 0};
		if (!P.sup_exec_sent || !policy_equal(&e, &P.sup_exec)) {
			int err = lpl_sup_request("exec", &e, why, whylen);
			if (err)
				return err;
			P.sup_exec = e;
			P.sup_exec_sent = 1;
		}
	}
	if (promises) {
		struct lpl_policy s = {*promises, violation, flags, layered != 0};
		return lpl_sup_request("self", &s, why, whylen);
	}
	return 0;
}

/* stack_filter builds the filter for p, with a path layer or without,
 * and loads it on every thread, stacking only what differs from the
 * filter already loaded (pledge.stackFilter). */
static int
stack_filter(uint64_t p, int layered, uint32_t violation, uint32_t flags, char *why, size_t whylen)
{
	const struct lpl_table *t = lpl_native_table();
	if (!t) {
		lpl_msg(why, whylen, "no syscall table for this architecture");
		return -ENOSYS;
	}
	struct lpl_filter_opts o = {.violation = violation, .pathlayer = layered != 0};
	if (lpl_sup_pid() != 0 && !sup_unreachable()) {
		/* The supervisor decides the loader operations. A forked
		 * child's filters are answered by the kernel alone: the
		 * supervisor knows only its parent's. */
		o.loader = LPL_LOADER_ACTION;
	}
	/* The "to itself" conditions are stdio's; getpid needs stdio once
	 * pledged. */
	if (!P.pledged || (p & LPL_P_STDIO))
		o.pid = (uint32_t)lpl_sys0(SYS_getpid);
	else if (P.have_loaded)
		o.pid = P.loaded_opts.pid;
	int err = lpl_build_filter(&f_next, t, p, &o);
	if (err) {
		lpl_msg(why, whylen, "building the filter: %s", strerror(-err));
		return err;
	}
	const struct lpl_filter *f = &f_next;
	if (P.have_loaded) {
		err = lpl_build_filter(&f_old, t, P.loaded_set, &P.loaded_opts);
		if (!err)
			err = lpl_delta_filter(&f_delta, &f_old, &f_next);
		if (err) {
			lpl_msg(why, whylen, "building the filter: %s", strerror(-err));
			return err;
		}
		f = &f_delta;
	}
	unsigned n = 0;
	err = lpl_compile(f, prog, LPL_MAX_INSNS, &n);
	if (err) {
		lpl_msg(why, whylen, "compiling the filter: %s", strerror(-err));
		return err;
	}
	long r = lpl_sys5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r < 0) {
		lpl_msg(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror((int)-r));
		return (int)r;
	}
	struct {
		unsigned short len;
		const struct lpl_insn *filter;
	} fprog = {(unsigned short)n, prog};
	r = lpl_sys3(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, LPL_FILTER_FLAG_TSYNC | flags, &fprog);
	if (r != 0) {
		if (r > 0) {
			lpl_msg(why, whylen, "seccomp(SET_MODE_FILTER, TSYNC): thread %ld has a diverging filter stack", r);
			return -ESRCH;
		}
		lpl_msg(why, whylen, "seccomp(SET_MODE_FILTER): %s", strerror((int)-r));
		return (int)r;
	}
	if (P.filters == 0)
		P.filters_pid = o.pid;
	else if (P.filters_pid != o.pid)
		P.filters_pid = ~0u;
	P.have_loaded = 1;
	P.loaded_set = p;
	P.loaded_opts = o;
	P.filters++;
	return 0;
}

static void
append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);
	if (n + 2 < len) {
		if (n > 0) {
			buf[n++] = ';';
			buf[n++] = ' ';
			buf[n] = 0;
		}
		strncat(buf, s, len - n - 1);
	}
}

static int
do_pledge(const char *promises, const char *execpromises)
{
	uint64_t want = 0, want_exec = 0;
	int err;
	char why[512] = "";
	if (promises) {
		err = lpl_parse_promises(promises, &want);
		if (err)
			return err;
	}
	if (execpromises) {
		err = lpl_parse_promises(execpromises, &want_exec);
		if (err)
			return err;
	}
	uint32_t violation, flags;
	err = from_env(&violation, &flags);
	if (err)
		return err;
	P.not_enforced[0] = 0;
	P.not_enforced_errno = 0;

	if (promises && P.pledged) {
		uint64_t extra = want & ~P.promises;
		if (extra) {
			if (!(P.promises & LPL_P_ERROR))
				return -EPERM;
			/* Under "error" OpenBSD masks the request to what is held. */
			want &= P.promises;
		}
	}
	if (execpromises && P.exec_set && (want_exec & ~P.execpromises))
		return -EPERM;

	if (promises && P.filters == 0) {
		/* Ask the kernel for the Landlock ABI once, while no filter
		 * forbids it, and open /proc/self/task while no layer does. */
		lpl_task_dir_open(lpl_landlock_abi());
	}
	int exec_set = P.exec_set;
	uint64_t exec = P.execpromises;
	if (execpromises) {
		exec_set = 1;
		exec = want_exec;
	}
	/* From here on a failure is the environment's: what cannot be
	 * enforced is dropped, the rest enforced, and the call says so. */
	char dropped[768] = "";
	int cause = 0;
	if (promises) {
		err = ensure_supervisor(want, why, sizeof why);
		if (err) {
			if (!lpl_best_effort()) {
				want &= ~LPL_P_EXEC;
				char line[700];
				lpl_msg(line, sizeof line, "promise \"exec\" dropped (exec'd programs could not be supervised): %s", why);
				append(dropped, sizeof dropped, line);
				cause = cause ? cause : -err;
			} else {
				P.exec_errno = -err;
			}
		} else if (lpl_sup_pid() != 0) {
			P.exec_errno = 0;
		}
		if (sup_unreachable() && (want & LPL_P_EXEC) && exec_set &&
		    (!P.sup_exec_sent || exec != P.sup_exec.promises || violation != P.sup_exec.violation)) {
			/* The supervisor would give exec'd programs the
			 * execpromises it was told of. */
			want &= ~LPL_P_EXEC;
			append(dropped, sizeof dropped, P.forked ?
			    "promise \"exec\" dropped (a forked child cannot change the execpromises of its parent's exec supervisor)" :
			    "promise \"exec\" dropped (without \"stdio\" the exec supervisor cannot be told new execpromises)");
			cause = cause ? cause : EPERM;
		}
		if (!(want & LPL_P_UNVEIL)) {
			/* The veil must be in force before the filter takes the
			 * Landlock syscalls away. The named paths of this pledge
			 * bypass it, as on OpenBSD. */
			struct lpl_lrule named[LPL_NNAMED_FILES];
			size_t nnamed = lpl_named_extra(want, named);
			why[0] = 0;
			err = lpl_veil_commit(named, nnamed, why, sizeof why);
			if (err) {
				want &= ~PATH_PROMISES;
				char line[700];
				lpl_msg(line, sizeof line, "the path promises dropped (the veil could not be enforced): %s%s%s",
				    why, why[0] ? ": " : "", strerror(-err));
				append(dropped, sizeof dropped, line);
				cause = cause ? cause : -err;
			}
		}
		if (unsent_veil(want, exec_set)) {
			want &= ~LPL_P_EXEC;
			append(dropped, sizeof dropped, UNSENT_VEIL_DROPS);
			cause = cause ? cause : EPERM;
		}
		why[0] = 0;
		int layered = lpl_path_layer(want, why, sizeof why);
		if (layered < 0) {
			char line[700];
			lpl_msg(line, sizeof line, "opens are decided by their flags, not by path (no path layer): %s",
			    why[0] ? why : strerror(-layered));
			append(dropped, sizeof dropped, line);
			cause = cause ? cause : -layered;
			layered = 0;
		}
		uint64_t sent = want;
		why[0] = 0;
		err = tell_supervisor(&sent, layered, exec, exec_set, violation, flags, why, sizeof why);
		if (err) {
			lpl_warn("libpledge: pledge(\"%s\"): %s", promises, why);
			return err;
		}
		if (dropped[0]) {
			/* Said before the filter, which may not allow writing. */
			char enforced[1024];
			lpl_format_promises(want, enforced, sizeof enforced);
			lpl_warn("libpledge: pledge(\"%s\"): enforced as \"%s\": %s", promises, enforced, dropped);
		}
		why[0] = 0;
		err = stack_filter(want, layered, violation, flags, why, sizeof why);
		if (err) {
			lpl_warn("libpledge: pledge(\"%s\"): %s", promises, why);
			return err;
		}
		P.pledged = 1;
		P.promises = want;
		P.path_layer = layered;
	} else {
		if (sup_unreachable() && (!P.pledged || (P.promises & LPL_P_EXEC)) &&
		    (!P.sup_exec_sent || exec != P.sup_exec.promises || violation != P.sup_exec.violation)) {
			lpl_msg(P.not_enforced, sizeof P.not_enforced, "pledge(NULL, \"%s\"): a forked child cannot change the execpromises of its parent's exec supervisor", execpromises);
			lpl_warn("libpledge: %s", P.not_enforced);
			P.not_enforced_errno = EPERM;
			return -NOT_ENFORCED;
		}
		err = tell_supervisor(0, 0, exec, exec_set, violation, flags, why, sizeof why);
		if (err) {
			lpl_warn("libpledge: pledge(NULL, \"%s\"): %s", execpromises, why);
			return err;
		}
	}
	if (execpromises) {
		P.exec_set = 1;
		P.execpromises = want_exec;
	}
	if (dropped[0]) {
		char enforced[1024];
		lpl_format_promises(want, enforced, sizeof enforced);
		lpl_msg(P.not_enforced, sizeof P.not_enforced, "pledge \"%s\": enforced as \"%s\": %s", promises, enforced, dropped);
		P.not_enforced_errno = cause;
		return -NOT_ENFORCED;
	}
	return 0;
}

/* lpl_unsent_veil_drops_exec: unveil(NULL, NULL) committed a veil the
 * supervisor could not be told of while "exec" and execpromises are held:
 * a filter without "exec" is stacked (unveil.c holds the lock). When it
 * cannot be, the error is returned and unveil fails. */
int
lpl_unsent_veil_drops_exec(void)
{
	if (!P.pledged || !unsent_veil(P.promises, P.exec_set))
		return 0;
	uint32_t violation, flags;
	if (from_env(&violation, &flags))
		violation = flags = 0;
	uint64_t want = P.promises & ~LPL_P_EXEC;
	/* Said before the filter, which may not allow writing. */
	lpl_msg(P.not_enforced, sizeof P.not_enforced, "unveil(NULL, NULL): %s", UNSENT_VEIL_DROPS);
	P.not_enforced_errno = EPERM;
	lpl_warn("libpledge: %s", P.not_enforced);
	char why[512] = "";
	int err = stack_filter(want, P.path_layer, violation, flags, why, sizeof why);
	if (err) {
		lpl_warn("libpledge: unveil(NULL, NULL): %s", why);
		return err;
	}
	P.promises = want;
	return 0;
}

LPL_PUBLIC int
pledge(const char *promises, const char *execpromises)
{
	lpl_lock();
	int err = do_pledge(promises, execpromises);
	lpl_unlock();
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

LPL_PUBLIC int
landpledge_state(struct landpledge_state *st)
{
	lpl_lock();
	memset(st, 0, sizeof *st);
	st->pledged = P.pledged;
	if (P.pledged)
		lpl_format_promises(P.promises, st->promises, sizeof st->promises);
	st->exec_set = P.exec_set;
	if (P.exec_set)
		lpl_format_promises(P.execpromises, st->execpromises, sizeof st->execpromises);
	st->filters = P.filters;
	st->exec_supervisor = lpl_sup_pid();
	st->exec_errno = P.exec_errno;
	int abi = lpl_landlock_abi_cached();
	st->landlock_abi = abi > 0 ? abi : 0;
	st->veil_locked = lpl_veil_locked();
	st->veil_enforced = lpl_veil_enforced();
	st->not_enforced_errno = P.not_enforced_errno;
	memcpy(st->not_enforced, P.not_enforced, sizeof st->not_enforced);
	const char *why;
	lpl_path_state(&st->layers, &st->path_errno, &why);
	st->layers += lpl_veil_enforced();
	st->path_layer = P.path_layer;
	if (!P.pledged)
		st->path_errno = 0;
	lpl_msg(st->path_err, sizeof st->path_err, "%s", st->path_errno ? why : "");
	lpl_unlock();
	return 0;
}
