package sandbox

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/promise"
	"github.com/landpledge/landpledge/seccomp"
	"github.com/landpledge/landpledge/unveil"
)

// The exec supervisor's protocol, written down in docs/supervisor.md so
// that a client in another language (libpledge's C) speaks it too.
//
// The pledging process P starts the supervisor S (its own program
// re-executed, or the installed helper) with:
//
//   - EnvExecSupervisor = P's pid in the environment (S refuses any other
//     pid than its parent's);
//   - fd 3: the read end of P's request pipe; fd 4: the write end of S's
//     answer pipe; S in P's session (S puts itself in a process group of
//     its own and ignores the terminal's signals);
//
// then names S as its tracer for Yama (prctl(PR_SET_PTRACER, S)) and
// sends requests, one line each, waiting for each answer line, "ok" or
// "err ERRNO TEXT" (ERRNO decimal):
//
//	attach                                  S seizes every thread of P
//	self PROMISES VIOLATION FLAGS PATHLAYER   P is about to load this filter
//	exec PROMISES VIOLATION FLAGS PATHLAYER   execpromises for the images exec'd from now on
//	veil PERMS PATH                         an unveil entry of P's (before commit)
//	commit                                  P enforces its veil of those entries now
//	census                                  "ok FDS CHILDREN": S's open descriptors and children
//
// PROMISES is the promise set as a decimal uint64, bit i being
// promise.Names()[i]; VIOLATION a seccomp action as a decimal uint32, 0 for
// the promises' own (kill, ENOSYS under "error"), else an ERRNO action;
// FLAGS the seccomp(2) flags the filter is loaded with; PATHLAYER 1 when a
// path layer for PROMISES is in force with it (the filter is built with
// promise.FilterOptions.PathLayer), else 0. PERMS are unveil permission
// letters ("-" for none) and PATH the entry's path as P resolved it,
// hex-encoded. S trusts P only as far as P's own rules go: "self" layers
// only add to what S believes P holds (a filter stack only narrows),
// "exec" is reduce-only (EPERM), and the veil is sent once (EPERM after
// commit).
//
// S runs every image P or its descendants exec in a fresh process (the
// exec broker): unpledged and unveiled when no "exec" was sent, exactly
// under the last "exec" filter and the committed veil otherwise.
// P's end of the pipes is close-on-exec: when P execs or exits, S stops
// reading requests and goes on supervising until no process is left.

// EnvExecSupervisor, set to a pid in the environment of a program that
// runs the exec supervisor (a Go program importing package pledge, or the
// helper), makes it serve that process instead of running.
const EnvExecSupervisor = "LANDPLEDGE_EXEC_SUPERVISOR"

// The descriptors of the protocol in S.
const (
	ctlFd = 3
	ackFd = 4
)

// Request kinds.
const (
	reqAttach = "attach"
	reqSelf   = "self"
	reqExec   = "exec"
	reqVeil   = "veil"
	reqCommit = "commit"
	reqCensus = "census"
)

// veilLine is the request line for one unveil entry.
func veilLine(path string, perm unveil.Perm) string {
	perms := perm.String()
	if perms == "" {
		perms = "-"
	}
	return reqVeil + " " + perms + " " + hex.EncodeToString([]byte(path))
}

// parseVeilLine parses a reqVeil line.
func parseVeilLine(line string) (veilEntry, error) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != reqVeil {
		return veilEntry{}, fmt.Errorf("request %q: %w", line, unix.EINVAL)
	}
	perms := f[1]
	if perms == "-" {
		perms = ""
	}
	perm, err := unveil.ParsePerm(perms)
	if err != nil {
		return veilEntry{}, fmt.Errorf("request %q: %w", line, err)
	}
	path, err := hex.DecodeString(f[2])
	if err != nil || len(path) == 0 || path[0] != '/' || bytes.IndexByte(path, 0) >= 0 {
		return veilEntry{}, fmt.Errorf("request %q: the path must be absolute: %w", line, unix.EINVAL)
	}
	return veilEntry{path: string(path), perm: perm}, nil
}

// layerLine is the request line for a filter: kind reqSelf or reqExec.
func layerLine(kind string, p Policy) string {
	layer := 0
	if p.PathLayer {
		layer = 1
	}
	return fmt.Sprintf("%s %d %d %d %d", kind, uint64(p.Promises), uint32(p.Violation), p.Flags, layer)
}

// parseLayerLine parses a reqSelf or reqExec line into its kind and policy.
// Only the violation actions package pledge uses are accepted: zero (the
// promises decide) or an errno.
func parseLayerLine(line string) (string, Policy, error) {
	f := strings.Fields(line)
	if len(f) != 5 || (f[0] != reqSelf && f[0] != reqExec) || (f[4] != "0" && f[4] != "1") {
		return "", Policy{}, fmt.Errorf("request %q: %w", line, unix.EINVAL)
	}
	p, err1 := strconv.ParseUint(f[1], 10, 64)
	v, err2 := strconv.ParseUint(f[2], 10, 32)
	fl, err3 := strconv.ParseUint(f[3], 10, 32)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", Policy{}, fmt.Errorf("request %q: %w: %w", line, unix.EINVAL, err)
	}
	if promise.Set(p)&^promise.All != 0 {
		return "", Policy{}, fmt.Errorf("request %q: unknown promise bits: %w", line, unix.EINVAL)
	}
	act := seccomp.Action(v)
	if act != 0 && act&unix.SECCOMP_RET_ACTION_FULL != seccomp.ActErrno(0) {
		return "", Policy{}, fmt.Errorf("request %q: violation %v: %w", line, act, unix.EINVAL)
	}
	return f[0], Policy{Promises: promise.Set(p), Violation: act, Flags: uint(fl), PathLayer: f[4] == "1"}, nil
}

// answerLine is S's answer to a request.
func answerLine(err error) string {
	if err == nil {
		return "ok"
	}
	if c, ok := err.(censusAnswer); ok {
		return "ok " + c.Error()
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = unix.EINVAL
	}
	return fmt.Sprintf("err %d %s", int(errno), strings.ReplaceAll(err.Error(), "\n", " "))
}

// parseAnswer turns an answer line into nil or an error wrapping its errno.
func parseAnswer(req, answer string) error {
	if answer == "ok" {
		return nil
	}
	f := strings.SplitN(answer, " ", 3)
	if len(f) == 3 && f[0] == "err" {
		n, _ := strconv.Atoi(f[1])
		return fmt.Errorf("exec supervisor: %s: %s: %w", req, f[2], syscall.Errno(n))
	}
	return fmt.Errorf("exec supervisor: %s: answer %q: %w", req, answer, unix.EPROTO)
}
