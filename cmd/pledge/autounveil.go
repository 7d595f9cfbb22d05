//go:build linux

package main

import (
	"errors"
	"os"
	"sort"
	"strings"

	"github.com/landpledge/landpledge/internal/ldso"
)

// autoUnveil returns what the program at path needs to start, each with
// its reason: the promises' own files are the path layer's, named in the
// promise table (promise/paths.go), not unveiled here. Errors resolving
// libraries are returned with what was found; the caller reports them
// (the loader then fails with its own message, inside the sandbox).
func autoUnveil(path string, env []string) ([]ldso.Need, error) {
	return ldso.ProgramNeeds(path, env)
}

// execNeeds returns what the files unveiled with "x" need to start (their
// #! and ELF interpreters and libraries): a program that may exec
// `-v rx:/usr/bin/ls` must also be able to load ls. Directories are not
// scanned.
func execNeeds(user []unveilArg, env []string) ([]ldso.Need, error) {
	var out []ldso.Need
	var errs []error
	for _, u := range user {
		if !strings.Contains(u.Perm, "x") {
			continue
		}
		if fi, err := os.Stat(u.Path); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		n, err := ldso.ProgramNeeds(u.Path, env)
		errs = append(errs, err)
		for _, x := range n {
			if x.Why != ldso.WhyProgram {
				out = append(out, x)
			}
		}
	}
	return out, errors.Join(errs...)
}

// symlinkTargets follows symlinks the user evidently means to reach: a -v
// path that is itself a symlink, and a program argument naming a symlink
// beneath a -v path (`-v r:/etc cat /etc/os-release`, where os-release
// points into /usr/lib). Landlock checks the file a symlink resolves to,
// not the name used, so without this the unveil of /etc would not cover
// the file the user named. The target gets the covering -v permission.
func symlinkTargets(user []unveilArg, args []string) []ldso.Need {
	var out []ldso.Need
	follow := func(name, perm, why string) {
		fi, err := os.Lstat(name)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return
		}
		if real := ldso.RealPath(name); real != name {
			out = append(out, ldso.Need{Path: real, Perm: perm, Why: why})
		}
	}
	for _, u := range user {
		follow(u.Path, u.Perm, "target of symlink -v "+u.Path)
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "/") {
			continue
		}
		for _, u := range user {
			dir := strings.TrimSuffix(u.Path, "/") + "/"
			if u.Perm != "" && strings.HasPrefix(a, dir) {
				follow(a, u.Perm, "target of symlink "+a+" named in the arguments, under -v "+u.Perm+":"+u.Path)
				break
			}
		}
	}
	return out
}

// unveilPlan merges the user's -v paths and the automatic ones into the
// unveil calls to make, one per file or directory (symlinks resolved:
// /lib64/ld-linux-x86-64.so.2 and the library of the same inode must not
// get two entries where the later narrows the earlier). An automatic path
// that lies under a user path gets the union of both permissions: under
// OpenBSD's rule the most specific unveil wins, so adding "r" for a library
// under a user's "rw" directory must not take "w" away from that file.
func unveilPlan(user []unveilArg, auto []ldso.Need) []unveilArg {
	perms := map[string]string{}
	var order []string
	set := func(path, perm string) {
		if _, ok := perms[path]; !ok {
			order = append(order, path)
		}
		perms[path] = unionPerm(perms[path], perm)
	}
	type resolved struct{ real, perm string }
	var users []resolved
	for _, u := range user {
		real := ldso.RealPath(u.Path)
		if _, err := os.Lstat(u.Path); err != nil {
			real = u.Path // a name to be created: the unveil engine handles it
		}
		if u.Perm == "" {
			perms[real] = "" // "" hides: never merged with anything
			order = append(order, real)
			continue
		}
		set(real, u.Perm)
		users = append(users, resolved{real, u.Perm})
	}
	// Longest user path first, so the closest cover is found first.
	sort.SliceStable(users, func(i, j int) bool { return len(users[i].real) > len(users[j].real) })
	for _, a := range auto {
		perm := a.Perm
		real := ldso.RealPath(a.Path)
		for _, u := range users {
			if real == u.real || strings.HasPrefix(real, strings.TrimSuffix(u.real, "/")+"/") {
				perm = unionPerm(perm, u.perm)
				break
			}
		}
		set(real, perm)
	}
	out := make([]unveilArg, 0, len(order))
	for _, p := range order {
		out = append(out, unveilArg{Perm: perms[p], Path: p})
	}
	return out
}

// unionPerm merges two unveil permission strings in "rwxc" order.
func unionPerm(a, b string) string {
	var out []byte
	for _, c := range []byte("rwxc") {
		if strings.IndexByte(a, c) >= 0 || strings.IndexByte(b, c) >= 0 {
			out = append(out, c)
		}
	}
	return string(out)
}
