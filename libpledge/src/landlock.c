/*
 * Landlock on every thread of the process.
 *
 * landlock_restrict_self(2) restricts only the calling thread before ABI 8
 * (LANDLOCK_RESTRICT_SELF_TSYNC), and threads must not escape the veil. So
 * the library does what glibc does for setuid(2) in a threaded program
 * and what libpsx does for Go: it interrupts every other thread with a
 * signal whose handler calls prctl(PR_SET_NO_NEW_PRIVS) and
 * landlock_restrict_self with the same ruleset, one thread at a time:
 *
 *  - the signal is 33, which glibc (SIGSETXID) and musl (SIGCANCEL) keep
 *    for themselves: sigfillset(3) leaves it out and their sigprocmask(2)
 *    will not block it, so threads that block "all signals" still take
 *    it. The handler is installed with rt_sigaction(2) only for the
 *    round (glibc's sigaction refuses the signal) and chains to the
 *    handler it replaced for signals that are not ours: ours come from
 *    rt_tgsigqueueinfo(2) with SI_QUEUE and a cookie, libc's are
 *    tkill/tgkill (SI_TKILL);
 *  - the handler is async-signal-safe: raw system calls and atomics only;
 *    it keeps the thread in the handler until the round ends, so that a
 *    restricted thread cannot make threads the round would mistake for
 *    unrestricted ones; a thread made by an unrestricted one before that
 *    is found by the next listing of /proc/self/task, and the round ends
 *    after a listing finds nothing new;
 *  - the calling thread is restricted first, so an error of the ruleset
 *    itself (E2BIG, EPERM...) leaves nothing restricted;
 *  - a thread that blocks signal 33 is waited for: neither libc lets a
 *    program block it (their sigprocmask and pthread_sigmask leave it
 *    out), so it is blocked only in libc's short windows (a thread
 *    starting in pthread_create, posix_spawn), and the pending signal
 *    runs as soon as the thread unblocks it; a thread that blocks it with
 *    a raw rt_sigprocmask holds the commit up until it unblocks it (said
 *    once on stderr after a few seconds);
 *  - /proc/self/task is opened once, before the first layer of ours (at
 *    the first pledge), and listed again from that descriptor: a layer
 *    handling READ_DIR would refuse opening it later, never reading an
 *    open directory. A forked child opens its own;
 *  - the threads are counted from the directory's link count (procfs
 *    makes it 2 + the number of threads), which a stat gives ("stdio"
 *    allows one with AT_EMPTY_PATH, "rpath" and "unveil" any); with one
 *    thread there is nothing to signal. Signalling needs "stdio"
 *    (rt_sigaction, rt_tgsigqueueinfo to itself, futex, lseek) and "rpath"
 *    or "unveil" (getdents64) once a filter is loaded, and a filter loaded
 *    by another process (the parent before fork) names that process as
 *    "itself": otherwise only a process with one thread can be restricted
 *    (LPL_UNREACHED, never a kill).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lpl.h"
#include "../zcommon.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LANDLOCK_CREATE_RULESET_VERSION 1u

#define ROUND_SIGNAL 33

/* linux/futex.h, which musl's headers lack. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128

/* struct sigaction as rt_sigaction(2) takes it (x86_64, aarch64). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

#define K_SA_SIGINFO 0x4ul
#define K_SA_RESTART 0x10000000ul
#define K_SA_RESTORER 0x04000000ul

#if defined(__x86_64__)
/* The signal return trampoline glibc would provide (SA_RESTORER). */
__asm__(".text\n"
	".align 16\n"
	"lpl_sigreturn:\n"
	"\tmov $15, %rax\n"
	"\tsyscall\n"
	"\thlt\n");
extern void lpl_sigreturn(void) __asm__("lpl_sigreturn");
#endif

static int abi_known, abi_value;

/* lpl_landlock_abi returns the running Landlock ABI, or -errno without
 * Landlock; asked once, while a filter still allows it. */
int
lpl_landlock_abi(void)
{
	if (!abi_known) {
		long r = lpl_sys3(SYS_landlock_create_ruleset, 0, 0, LANDLOCK_CREATE_RULESET_VERSION);
		abi_value = r < 1 ? (r < 0 ? (int)r : -EOPNOTSUPP) : (int)r;
		abi_known = 1;
	}
	return abi_value;
}

/* lpl_landlock_abi_cached is the ABI asked before, or 0. */
int
lpl_landlock_abi_cached(void)
{
	return abi_known && abi_value > 0 ? abi_value : 0;
}

static struct {
	int active; /* futex word: 1 while a round runs */
	int cookie;
	int fd;
	int done; /* futex word: the target's handler has answered */
	long ret;
	int inside; /* handlers of ours running */
	struct ksigaction old;
} R;

static long
futex(int *word, int op, int val, const struct timespec *ts)
{
	return lpl_sys4(SYS_futex, word, op | FUTEX_PRIVATE_FLAG, val, ts);
}

static void
chain(int sig, siginfo_t *si, void *uc)
{
	void *h = R.old.handler;
	if (h == SIG_DFL || h == SIG_IGN)
		return;
	if (R.old.flags & K_SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h)(sig, si, uc);
	else
		((void (*)(int))h)(sig);
}

static void
handler(int sig, siginfo_t *si, void *uc)
{
	if (si == 0 || si->si_code != SI_QUEUE || si->si_value.sival_int != __atomic_load_n(&R.cookie, __ATOMIC_ACQUIRE) ||
	    !__atomic_load_n(&R.active, __ATOMIC_ACQUIRE)) {
		chain(sig, si, uc);
		return;
	}
	__atomic_add_fetch(&R.inside, 1, __ATOMIC_ACQ_REL);
	long r = lpl_sys5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r == 0)
		r = lpl_sys3(SYS_landlock_restrict_self, R.fd, 0, 0);
	R.ret = r;
	__atomic_store_n(&R.done, 1, __ATOMIC_RELEASE);
	futex(&R.done, FUTEX_WAKE, INT_MAX, 0);
	/* Hold here until the round ends: see the comment at the top. */
	while (__atomic_load_n(&R.active, __ATOMIC_ACQUIRE))
		futex(&R.active, FUTEX_WAIT, 1, 0);
	__atomic_sub_fetch(&R.inside, 1, __ATOMIC_ACQ_REL);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define MAX_TIDS 65536

/* The tids seen in this round, sorted. */
static int tids[MAX_TIDS];
static int ntids;

static int
seen(int tid)
{
	int lo = 0, hi = ntids;
	while (lo < hi) {
		int m = lo + (hi - lo) / 2;
		if (tids[m] < tid)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < ntids && tids[lo] == tid;
}

static int
remember(int tid)
{
	if (ntids >= MAX_TIDS)
		return -E2BIG;
	int k = ntids++;
	for (; k > 0 && tids[k - 1] > tid; k--)
		tids[k] = tids[k - 1];
	tids[k] = tid;
	return 0;
}

/* list_tids calls fn for each tid in /proc/self/task, read from dfd
 * from its start. */
static int
list_tids(int dfd, int (*fn)(int tid, void *ctx), void *ctx)
{
	char buf[4096] __attribute__((aligned(8)));
	long r = lpl_sys3(SYS_lseek, dfd, 0, SEEK_SET);
	if (r < 0)
		return (int)r;
	for (;;) {
		long n = lpl_sys3(SYS_getdents64, dfd, buf, sizeof buf);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			int tid = 0;
			const char *s = d->d_name;
			if (*s < '0' || *s > '9')
				continue;
			for (; *s >= '0' && *s <= '9'; s++)
				tid = tid * 10 + (*s - '0');
			int err = fn(tid, ctx);
			if (err)
				return err;
		}
	}
}

/* blocks_signal reads whether thread tid blocks the round's signal:
 * 1 yes, 0 no, -1 unknown (the status file cannot be read). */
static int
blocks_signal(int tid)
{
	char path[64], buf[2048];
	int n = 0;
	{
		/* "/proc/self/task/<tid>/status" without stdio's snprintf. */
		const char *pre = "/proc/self/task/";
		char digits[16];
		int nd = 0;
		for (int t = tid; t > 0 && nd < 15; t /= 10)
			digits[nd++] = (char)('0' + t % 10);
		for (const char *p = pre; *p; p++)
			path[n++] = *p;
		while (nd > 0)
			path[n++] = digits[--nd];
		for (const char *p = "/status"; *p; p++)
			path[n++] = *p;
		path[n] = 0;
	}
	long fd = lpl_sys4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long got = lpl_sys3(SYS_read, fd, buf, sizeof buf - 1);
	lpl_close(fd);
	if (got <= 0)
		return -1;
	buf[got] = 0;
	const char *p = strstr(buf, "\nSigBlk:");
	if (!p)
		return -1;
	p += 8;
	while (*p == ' ' || *p == '\t')
		p++;
	uint64_t mask = 0;
	for (; *p; p++) {
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else
			break;
		mask = mask << 4 | (uint64_t)v;
	}
	return (mask >> (ROUND_SIGNAL - 1)) & 1;
}

struct round {
	int pid, self;
	int fresh;   /* tids new in this listing */
	char *why;
	size_t whylen;
};

static int
restrict_tid(int tid, void *ctx)
{
	struct round *rd = ctx;
	if (tid == rd->self || seen(tid))
		return 0;
	int err = remember(tid);
	if (err)
		return err;
	rd->fresh++;
	__atomic_store_n(&R.done, 0, __ATOMIC_RELEASE);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = ROUND_SIGNAL;
	si.si_code = SI_QUEUE;
	si.si_pid = rd->pid;
	si.si_value.sival_int = R.cookie;
	long r = lpl_sys4(SYS_rt_tgsigqueueinfo, rd->pid, tid, ROUND_SIGNAL, &si);
	if (r == -ESRCH)
		return 0; /* it has exited */
	if (r < 0) {
		lpl_msg(rd->why, rd->whylen, "signalling thread %d: %s", tid, strerror((int)-r));
		return (int)r;
	}
	for (int polls = 0;; polls++) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		if (__atomic_load_n(&R.done, __ATOMIC_ACQUIRE))
			break;
		futex(&R.done, FUTEX_WAIT, 0, &ts);
		if (__atomic_load_n(&R.done, __ATOMIC_ACQUIRE))
			break;
		/* Still no answer: gone, or busy, or blocking the signal for
		 * now (then it runs the handler as soon as it unblocks). */
		if (lpl_sys3(SYS_tgkill, rd->pid, tid, 0) == -ESRCH)
			return 0;
		if (polls == 250 && blocks_signal(tid) == 1)
			lpl_warn("libpledge: waiting for thread %d, which blocks signal %d, to take the veil", tid, ROUND_SIGNAL);
	}
	if (R.ret < 0) {
		/* A partly restricted process must not go on. */
		lpl_warn("libpledge: landlock_restrict_self failed on thread %d (%s) after it succeeded on another: killing the process",
		    tid, strerror((int)-R.ret));
		lpl_sys2(SYS_kill, rd->pid, SIGKILL);
		for (;;)
			lpl_sys1(SYS_exit_group, 137);
	}
	return 0;
}

/* The process's /proc/self/task, opened before the first layer of ours
 * and kept (close-on-exec): see the top of this file. */
static struct {
	int fd, pid;
	struct lpl_fileid id;
} T = {-1, 0, {0, 0}};

/* task_dir returns the descriptor of /proc/self/task, opening it if this
 * process has none yet (or the program closed ours). */
static int
task_dir(char *why, size_t whylen)
{
	if (T.fd >= 0 && (!lpl_same_file(T.fd, &T.id) ||
	    (lpl_allowed(LPL_P_STDIO) && T.pid != (int)lpl_sys0(SYS_getpid))))
		T.fd = -1; /* not ours any more, or forked without fork handlers */
	if (T.fd >= 0)
		return T.fd;
	long fd = lpl_sys4(SYS_openat, AT_FDCWD, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0) {
		lpl_msg(why, whylen, "listing the threads (/proc/self/task): %s", strerror((int)-fd));
		return (int)fd;
	}
	int err = lpl_file_id((int)fd, &T.id);
	if (err) {
		lpl_close(fd);
		lpl_msg(why, whylen, "fstat /proc/self/task: %s", strerror(-err));
		return err;
	}
	T.fd = (int)fd;
	T.pid = lpl_allowed(LPL_P_STDIO) ? (int)lpl_sys0(SYS_getpid) : 0;
	return T.fd;
}

/* lpl_task_dir_open opens /proc/self/task now, before a layer of ours
 * could refuse it, unless every restriction will be TSYNC. */
void
lpl_task_dir_open(int abi)
{
	if (abi >= 1 && abi <= LPL_LANDLOCK_MAX_ABI && !(lpl_abis[abi].restrict_flags & LPL_RESTRICT_SELF_TSYNC))
		task_dir(0, 0);
}

/* lpl_task_dir_forget: a forked child lists its own threads. The
 * descriptor is closed only if it is still ours. */
void
lpl_task_dir_forget(void)
{
	if (T.fd >= 0 && lpl_same_file(T.fd, &T.id))
		lpl_close(T.fd);
	T.fd = -1;
	T.pid = 0;
}

/* count_threads: how many threads the process has, from the link count
 * of /proc/self/task (procfs makes it 2 + the number of threads; Landlock
 * does not check stat), or -errno, or LPL_UNREACHED when the filters in
 * force allow no stat of it. */
static int
count_threads(char *why, size_t whylen)
{
	/* stdio allows newfstatat with AT_EMPTY_PATH, which stats a
	 * non-empty path as it is; rpath and unveil any stat. */
	int flags = lpl_allowed(LPL_P_STDIO) ? AT_EMPTY_PATH : 0;
	if (!flags && !lpl_allowed(LPL_P_RPATH | LPL_P_UNVEIL)) {
		lpl_msg(why, whylen, "the filters in force do not let it stat /proc/self/task "
		    "(\"stdio\", \"rpath\" or \"unveil\" is needed) to count its threads");
		return LPL_UNREACHED;
	}
	struct stat st;
	long r = lpl_sys4(SYS_newfstatat, AT_FDCWD, "/proc/self/task", &st, flags);
	if (r < 0) {
		lpl_msg(why, whylen, "counting the threads (stat /proc/self/task): %s", strerror((int)-r));
		return (int)r;
	}
	return st.st_nlink > 2 ? (int)(st.st_nlink - 2) : 1;
}

/* may_signal: the filters in force let this process list and signal its
 * own threads (see the top of this file). */
static int
may_signal(void)
{
	int pledged = 0;
	uint64_t cur = lpl_current_promises(&pledged);
	return !pledged || ((cur & LPL_P_STDIO) && (cur & (LPL_P_RPATH | LPL_P_UNVEIL)) &&
	    ((cur & LPL_P_PROC) || lpl_loaded_pid() == (uint32_t)lpl_sys0(SYS_getpid)));
}

/* signal_round restricts every other thread with the ruleset R.fd, the
 * caller being restricted already. */
static int
signal_round(int dfd, char *why, size_t whylen)
{
	struct round rd = {.pid = (int)lpl_sys0(SYS_getpid), .self = (int)lpl_sys0(SYS_gettid), .why = why, .whylen = whylen};
	int err = 0;
	ntids = 0;
	do {
		rd.fresh = 0;
		err = list_tids(dfd, restrict_tid, &rd);
	} while (!err && rd.fresh > 0);
	if (err) {
		/* Threads may be restricted already: fail closed. */
		lpl_warn("libpledge: restricting every thread failed after the first (%s): killing the process",
		    why && why[0] ? why : strerror(-err));
		lpl_sys2(SYS_kill, rd.pid, SIGKILL);
		for (;;)
			lpl_sys1(SYS_exit_group, 137);
	}
	return 0;
}

/*
 * lpl_restrict_all_threads enforces the ruleset on every thread of the
 * process: 0, -errno, or LPL_UNREACHED when the process has other threads
 * that the filters in force do not let it reach (nothing is restricted
 * then).
 */
int
lpl_restrict_all_threads(int fd, int abi, char *why, size_t whylen)
{
	long r = lpl_sys5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r < 0) {
		lpl_msg(why, whylen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror((int)-r));
		return (int)r;
	}
	if (abi >= 0 && abi <= LPL_LANDLOCK_MAX_ABI && (lpl_abis[abi].restrict_flags & LPL_RESTRICT_SELF_TSYNC)) {
		r = lpl_sys3(SYS_landlock_restrict_self, fd, LPL_RESTRICT_SELF_TSYNC, 0);
		if (r == 0)
			return 0;
		if (r != -EPERM && r != -EINVAL) {
			lpl_msg(why, whylen, "landlock_restrict_self(TSYNC): %s", strerror((int)-r));
			return (int)r;
		}
		/* Fall back to the signal round. */
	}
	int n = count_threads(why, whylen);
	if (n < 0)
		return n;
	if (n == 1) {
		/* Only this thread, and nothing to create another meanwhile. */
		r = lpl_sys3(SYS_landlock_restrict_self, fd, 0, 0);
		if (r < 0)
			lpl_msg(why, whylen, "landlock_restrict_self: %s", strerror((int)-r));
		return (int)r;
	}
	if (!may_signal()) {
		lpl_msg(why, whylen, "the process has %d threads and the filters in force do not let it list and signal them "
		    "(\"stdio\" and \"rpath\" or \"unveil\" are needed, and a filter loaded by another process names that one as \"itself\")", n);
		return LPL_UNREACHED;
	}
	int dfd = task_dir(why, whylen);
	if (dfd < 0)
		return dfd;

	struct ksigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.handler = (void *)handler;
	sa.flags = K_SA_SIGINFO | K_SA_RESTART;
	sa.mask = ~(uint64_t)0;
#if defined(__x86_64__)
	sa.flags |= K_SA_RESTORER;
	sa.restorer = (void *)lpl_sigreturn;
#endif
	static int cookie_seq;
	int pid = (int)lpl_sys0(SYS_getpid);
	R.fd = fd;
	R.cookie = (int)(((unsigned)pid << 12) ^ (unsigned)++cookie_seq ^ 0x5a17u);
	__atomic_store_n(&R.active, 1, __ATOMIC_RELEASE);
	r = lpl_sys4(SYS_rt_sigaction, ROUND_SIGNAL, &sa, &R.old, 8);
	if (r < 0) {
		__atomic_store_n(&R.active, 0, __ATOMIC_RELEASE);
		lpl_msg(why, whylen, "rt_sigaction(%d): %s", ROUND_SIGNAL, strerror((int)-r));
		return (int)r;
	}

	int err = 0;
	r = lpl_sys3(SYS_landlock_restrict_self, fd, 0, 0);
	if (r < 0) {
		lpl_msg(why, whylen, "landlock_restrict_self: %s", strerror((int)-r));
		err = (int)r;
	} else {
		err = signal_round(dfd, why, whylen);
	}

	__atomic_store_n(&R.active, 0, __ATOMIC_RELEASE);
	futex(&R.active, FUTEX_WAKE, INT_MAX, 0);
	while (__atomic_load_n(&R.inside, __ATOMIC_ACQUIRE) > 0)
		lpl_sys0(SYS_sched_yield);
	lpl_sys4(SYS_rt_sigaction, ROUND_SIGNAL, &R.old, 0, 8);
	return err;
}

/*
 * lpl_open_rules opens the planned rules as unveil's openRule opens them
 * (O_PATH, O_NOFOLLOW for an entry of a split directory; vanished paths
 * and symlinks skipped; access masked to handled and to the file rights on
 * a non-directory, empty rules dropped) into *out (from the arena).
 */
int
lpl_open_rules(struct lpl_arena *a, const struct lpl_prule *rules, size_t nrules, uint64_t handled,
    struct lpl_lrule **out, size_t *nout, char *why, size_t whylen)
{
	*nout = 0;
	*out = lpl_alloc(a, (nrules ? nrules : 1) * sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < nrules; i++) {
		const struct lpl_prule *r = &rules[i];
		int flags = O_PATH | O_CLOEXEC | (r->child ? O_NOFOLLOW : 0);
		long fd = lpl_sys4(SYS_openat, AT_FDCWD, r->path, flags, 0);
		if (fd == -ENOENT)
			continue; /* vanished since planning: it can only have lost rights */
		if (fd < 0) {
			lpl_msg(why, whylen, "open %s: %s", r->path, strerror((int)-fd));
			return (int)fd;
		}
		struct stat st;
		long sr = lpl_sys4(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH);
		if (sr < 0) {
			lpl_close(fd);
			lpl_msg(why, whylen, "fstat %s: %s", r->path, strerror((int)-sr));
			return (int)sr;
		}
		uint64_t access = r->access & handled;
		if (!S_ISDIR(st.st_mode))
			access &= LPL_ACCESS_FS_FILE;
		if (S_ISLNK(st.st_mode) || access == 0) {
			lpl_close(fd);
			continue;
		}
		(*out)[*nout].fd = (int)fd;
		(*out)[(*nout)++].access = access;
	}
	return 0;
}

void
lpl_close_rules(const struct lpl_lrule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lpl_close(rules[i].fd);
}

/*
 * lpl_enforce enforces layer l on every thread (landlock.Domain.Enforce):
 * a ruleset handling l->handled (within ABI abi) and scoping l->scoped,
 * each rule's access within the handled rights (empty rules skipped),
 * then every thread restricted. The rules' descriptors stay the caller's.
 * It returns 0, -errno, or LPL_UNREACHED (lpl_restrict_all_threads).
 */
int
lpl_enforce(const struct lpl_layer *l, int abi, char *why, size_t whylen)
{
	uint64_t handled = l->handled & lpl_abis[abi].fs;
	/* struct landlock_ruleset_attr up to and including scoped. */
	uint64_t attr[3] = {handled, 0, l->scoped & lpl_abis[abi].scoped};
	long r = lpl_sys3(SYS_landlock_create_ruleset, attr, sizeof attr, 0);
	if (r < 0) {
		lpl_msg(why, whylen, "landlock_create_ruleset: %s", strerror((int)-r));
		return (int)r;
	}
	int rs = (int)r, err = 0;
	for (size_t i = 0; i < l->nrules && !err; i++) {
		struct __attribute__((packed)) {
			uint64_t allowed_access;
			int32_t parent_fd;
		} pb = {l->rules[i].access & handled, l->rules[i].fd};
		if (pb.allowed_access == 0)
			continue;
		r = lpl_sys4(SYS_landlock_add_rule, rs, 1 /* LANDLOCK_RULE_PATH_BENEATH */, &pb, 0);
		if (r < 0) {
			err = (int)r;
			lpl_msg(why, whylen, "landlock_add_rule: %s", strerror(-err));
		}
	}
	if (!err)
		err = lpl_restrict_all_threads(rs, abi, why, whylen);
	lpl_close(rs);
	return err;
}
