/*
 * Paths as package unveil handles them: lexical cleaning and Dir as
 * path/filepath does it, and the resolution unveil.resolve makes of an
 * unveiled path (filepath.EvalSymlinks, then the rules for a missing final
 * name and a dangling final symlink). Only lstat, readlink and getcwd are
 * used, which the "unveil" promise allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lpl.h"

#define PATHBUF 4096

/* lpl_clean is filepath.Clean. */
int
lpl_clean(const char *path, char *out, size_t len)
{
	size_t n = strlen(path);
	if (n == 0) {
		if (len < 2)
			return -ENAMETOOLONG;
		strcpy(out, ".");
		return 0;
	}
	if (len < n + 2)
		return -ENAMETOOLONG;
	int rooted = path[0] == '/';
	size_t r = 0, w = 0, dotdot = 0;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (path[r] == '/') {
			r++;
		} else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
			r++;
		} else if (path[r] == '.' && r + 1 < n && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && path[r] != '/'; r++)
				out[w++] = path[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = 0;
	return 0;
}

/* lpl_dir is filepath.Dir. */
void
lpl_dir(const char *path, char *out, size_t len)
{
	char tmp[PATHBUF];
	size_t n = strlen(path);
	size_t i = n;
	while (i > 0 && path[i - 1] != '/')
		i--;
	if (i >= sizeof tmp)
		i = sizeof tmp - 1;
	memcpy(tmp, path, i);
	tmp[i] = 0;
	if (lpl_clean(tmp, out, len) < 0 && len > 0)
		out[0] = 0;
}

static int
lstat_mode(const char *path, unsigned *mode)
{
	struct stat st;
	long r = lpl_sys4(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return (int)r;
	*mode = st.st_mode;
	return 0;
}

static int
stat_mode(const char *path, unsigned *mode)
{
	struct stat st;
	long r = lpl_sys4(SYS_newfstatat, AT_FDCWD, path, &st, 0);
	if (r < 0)
		return (int)r;
	*mode = st.st_mode;
	return 0;
}

static int
read_link(const char *path, char *buf, size_t len)
{
	long r = lpl_sys4(SYS_readlinkat, AT_FDCWD, path, buf, len - 1);
	if (r < 0)
		return (int)r;
	if ((size_t)r >= len - 1)
		return -ENAMETOOLONG;
	buf[r] = 0;
	return 0;
}

/* eval_symlinks is filepath.EvalSymlinks (walkSymlinks) for absolute or
 * relative paths on Unix. */
static int
eval_symlinks(const char *in, char *result, size_t rlen)
{
	/* Static scratch: the library's lock is held. */
	static char path[PATHBUF], dest[PATHBUF], link[PATHBUF];
	if (strlen(in) >= sizeof path)
		return -ENAMETOOLONG;
	strcpy(path, in);
	size_t vol_len = 0;
	if (path[0] == '/')
		vol_len = 1;
	char vol[2] = {0, 0};
	if (vol_len)
		vol[0] = '/';
	strcpy(dest, vol);
	int links = 0;
	size_t start = vol_len, end = vol_len;
	for (; start < strlen(path); start = end) {
		size_t plen = strlen(path);
		while (start < plen && path[start] == '/')
			start++;
		end = start;
		while (end < plen && path[end] != '/')
			end++;
		if (end == start)
			break;
		size_t clen = end - start;
		if (clen == 1 && path[start] == '.')
			continue;
		if (clen == 2 && path[start] == '.' && path[start + 1] == '.') {
			size_t dl = strlen(dest);
			long r;
			for (r = (long)dl - 1; r >= (long)vol_len; r--) {
				if (dest[r] == '/')
					break;
			}
			if (r < (long)vol_len || strcmp(dest + r + 1, "..") == 0) {
				if (dl + 4 >= sizeof dest)
					return -ENAMETOOLONG;
				if (dl > vol_len)
					strcat(dest, "/");
				strcat(dest, "..");
			} else {
				dest[r] = 0;
			}
			continue;
		}
		size_t dl = strlen(dest);
		if (dl + clen + 2 >= sizeof dest)
			return -ENAMETOOLONG;
		if (dl > 0 && dest[dl - 1] != '/')
			dest[dl++] = '/';
		memcpy(dest + dl, path + start, clen);
		dest[dl + clen] = 0;

		unsigned mode;
		int err = lstat_mode(dest, &mode);
		if (err)
			return err;
		if (!S_ISLNK(mode)) {
			if (!S_ISDIR(mode) && end < plen)
				return -ENOTDIR;
			continue;
		}
		if (++links > 255)
			return -ELOOP;
		err = read_link(dest, link, sizeof link);
		if (err)
			return err;
		/* path = link + path[end:] */
		size_t ll = strlen(link), rest = plen - end;
		if (ll + rest + 1 > sizeof path)
			return -ENAMETOOLONG;
		memmove(path + ll, path + end, rest + 1);
		memcpy(path, link, ll);
		if (ll > 0 && link[0] == '/') {
			strcpy(dest, "/");
			end = 1;
			strcpy(vol, "/");
			vol_len = 1;
		} else {
			long r;
			size_t dl2 = strlen(dest);
			for (r = (long)dl2 - 1; r >= (long)vol_len; r--) {
				if (dest[r] == '/')
					break;
			}
			if (r < (long)vol_len)
				strcpy(dest, vol);
			else
				dest[r] = 0;
			end = 0;
		}
	}
	return lpl_clean(dest, result, rlen);
}

/*
 * lpl_resolve is unveil.resolve: the path made absolute against the
 * current directory and its symlinks resolved; every directory on the way
 * must exist, the final name may be missing, and a final symlink is
 * followed even when its target does not exist yet.
 */
int
lpl_resolve(const char *in, char *out, size_t len)
{
	static char path[PATHBUF], cwd[PATHBUF];
	static char trimmed[PATHBUF], dir[PATHBUF], rdir[PATHBUF], full[PATHBUF], target[PATHBUF], joined[PATHBUF];
	if (in[0] != '/') {
		long r = lpl_sys2(SYS_getcwd, cwd, sizeof cwd);
		if (r < 0)
			return (int)r;
		/* No cleaning: the kernel resolves ".." after following a
		 * link, and so does eval_symlinks. */
		if (strlen(cwd) + 1 + strlen(in) + 1 > sizeof path)
			return -ENAMETOOLONG;
		strcpy(path, cwd);
		strcat(path, "/");
		strcat(path, in);
	} else {
		if (strlen(in) + 1 > sizeof path)
			return -ENAMETOOLONG;
		strcpy(path, in);
	}
	for (int i = 0; i < 40; i++) {
		int err = eval_symlinks(path, out, len);
		if (err == 0)
			return 0;
		if (err != -ENOENT)
			return err;
		strcpy(trimmed, path);
		size_t tl = strlen(trimmed);
		while (tl > 0 && trimmed[tl - 1] == '/')
			trimmed[--tl] = 0;
		size_t k = tl;
		while (k > 0 && trimmed[k - 1] != '/')
			k--;
		const char *name = trimmed + k;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == 0)
			return -ENOENT;
		memcpy(dir, trimmed, k);
		dir[k] = 0;
		err = eval_symlinks(dir, rdir, sizeof rdir);
		if (err)
			return err;
		unsigned mode;
		err = stat_mode(rdir, &mode);
		if (err)
			return err;
		if (!S_ISDIR(mode))
			return -ENOTDIR;
		if (strlen(rdir) + 1 + strlen(name) + 1 > sizeof full)
			return -ENAMETOOLONG;
		strcpy(joined, rdir);
		strcat(joined, "/");
		strcat(joined, name);
		lpl_clean(joined, full, sizeof full);
		if (lstat_mode(full, &mode) != 0 || !S_ISLNK(mode)) {
			if (strlen(full) + 1 > len)
				return -ENAMETOOLONG;
			strcpy(out, full);
			return 0;
		}
		err = read_link(full, target, sizeof target);
		if (err)
			return err;
		if (target[0] != '/') {
			if (strlen(rdir) + 1 + strlen(target) + 1 > sizeof path)
				return -ENAMETOOLONG;
			strcpy(path, rdir);
			strcat(path, "/");
			strcat(path, target);
		} else {
			strcpy(path, target);
		}
	}
	return -ELOOP;
}
