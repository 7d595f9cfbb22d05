package main

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/landpledge/landpledge/pledge"
	"github.com/landpledge/landpledge/promise"
)

// exUsage is EX_USAGE from <sysexits.h>: the command line was wrong and
// nothing was run.
const exUsage = 64

// defaultPromises is what the Cosmopolitan command pledges without -p.
const defaultPromises = "stdio rpath"

// rlimitArg is one resource limit asked for on the command line.
type rlimitArg struct {
	Resource int
	Cur, Max uint64
}

// unveilArg is one -v [PERM:]PATH.
type unveilArg struct {
	Perm, Path string
}

// config is everything the command line says, validated by parseArgs.
type config struct {
	Promises   string // canonical, from pledge.Promises.String
	Unveils    []unveilArg
	NoUnveil   bool // -V
	Kill       bool // -k
	Quiet      bool // -q
	Verbose    bool // --verbose
	BestEffort bool // --best-effort
	UID, GID   int  // -u, -g; -1 when not given
	Chroot     string
	Nice       bool // -n
	KeepFds    bool // -N
	Rlimits    []rlimitArg
	Test       string   // -T
	Help       bool     // -h
	Argv       []string // the program and its arguments
	learnFlags          // --learn, -o, --policy (learnflags.go)
}

// usageError is a bad command line: exit 64 with the message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// flagSpec is one option: its short letter, long name, whether it takes an
// argument, and what it does to the config.
type flagSpec struct {
	short byte
	long  string
	arg   string // argument name in -h, "" for none
	help  string
	set   func(c *config, promises *[]string, v string) error
}

// flags is the option table, Cosmopolitan's letters first (REFERENCE §4).
var flags = []flagSpec{
	{'p', "promises", "PROMISES", `promises, space separated, repeatable (default "` + defaultPromises + `")`,
		func(c *config, p *[]string, v string) error { *p = append(*p, v); return nil }},
	{'v', "unveil", "[PERM:]PATH", "unveil PATH with PERM (any of rwxc; default r), repeatable", setUnveil},
	{'V', "no-unveil", "", "no unveiling at all, not even automatic", func(c *config, _ *[]string, _ string) error { c.NoUnveil = true; return nil }},
	{'k', "kill", "", "kill the program on a violation (default: the call fails with EPERM)", func(c *config, _ *[]string, _ string) error { c.Kill = true; return nil }},
	{'q', "quiet", "", "print no violation messages", func(c *config, _ *[]string, _ string) error { c.Quiet = true; return nil }},
	{'u', "uid", "UID", "run as user UID (number or name)", func(c *config, _ *[]string, v string) error { return parseID(&c.UID, v, "-u", lookupUser) }},
	{'g', "gid", "GID", "run as group GID (number or name)", func(c *config, _ *[]string, v string) error { return parseID(&c.GID, v, "-g", lookupGroup) }},
	{'c', "chroot", "DIR", "chroot to DIR first (-v paths are then inside it)", func(c *config, _ *[]string, v string) error { c.Chroot = v; return nil }},
	{'n', "nice", "", "run at the lowest priority", func(c *config, _ *[]string, _ string) error { c.Nice = true; return nil }},
	{'N', "keep-fds", "", "keep open file descriptors (default: close fds >= 3)", func(c *config, _ *[]string, _ string) error { c.KeepFds = true; return nil }},
	{'C', "cpu", "SECS", "limit CPU time (RLIMIT_CPU; SIGXCPU, then SIGKILL a second later)", rlimitSetter(rlimitCPU, false)},
	{'M', "mem", "BYTES", "limit address space (RLIMIT_AS)", rlimitSetter(rlimitAS, true)},
	{'O', "files", "FILES", "limit open files (RLIMIT_NOFILE)", rlimitSetter(rlimitNOFILE, false)},
	{'P', "procs", "PROCS", "limit processes of the user (RLIMIT_NPROC)", rlimitSetter(rlimitNPROC, false)},
	{'F', "fsize", "BYTES", "limit file size (RLIMIT_FSIZE)", rlimitSetter(rlimitFSIZE, true)},
	{'T', "test", "pledge|unveil", "exit 0 if the kernel supports it, else 1", setTest},
	{'h', "help", "", "print this help", func(c *config, _ *[]string, _ string) error { c.Help = true; return nil }},
	{0, "verbose", "", "print what is unveiled automatically and why, and start-up denials", func(c *config, _ *[]string, _ string) error { c.Verbose = true; return nil }},
	{0, "best-effort", "", "run even when the kernel lacks Landlock or seccomp", func(c *config, _ *[]string, _ string) error { c.BestEffort = true; return nil }},
	{0, "learn", "", "run the program once, denying nothing, and print the smallest policy it needs", func(c *config, _ *[]string, _ string) error { c.Learn = true; return nil }},
	{'o', "output", "FILE", "with --learn: also write the policy to FILE", func(c *config, _ *[]string, v string) error { c.Output = v; return nil }},
	{0, "policy", "FILE", "take the promises and unveils from a policy FILE (--learn -o writes one)", func(c *config, _ *[]string, v string) error { c.Policy = v; return nil }},
}

func findFlag(short byte, long string) *flagSpec {
	for i := range flags {
		if (short != 0 && flags[i].short == short) || (long != "" && flags[i].long == long) {
			return &flags[i]
		}
	}
	return nil
}

// parseArgs parses the command line getopt-style: options may be grouped
// (-kq) and take their argument attached (-pstdio) or as the next word;
// "--" ends the options, and so does the first word that is not one (the
// program), so the program's own flags are left alone.
func parseArgs(args []string) (*config, error) {
	c := &config{UID: -1, GID: -1}
	var promises []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			f := findFlag(0, name)
			if f == nil {
				return nil, usagef("unknown option --%s", name)
			}
			if f.arg == "" && hasVal {
				return nil, usagef("option --%s takes no argument", name)
			}
			if f.arg != "" && !hasVal {
				if i+1 >= len(args) {
					return nil, usagef("option --%s needs an argument %s", name, f.arg)
				}
				i++
				val = args[i]
			}
			if err := f.set(c, &promises, val); err != nil {
				return nil, err
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			f := findFlag(a[j], "")
			if f == nil {
				return nil, usagef("unknown option -%c", a[j])
			}
			val := ""
			if f.arg != "" {
				switch {
				case j+1 < len(a):
					val = a[j+1:]
				case i+1 < len(args):
					i++
					val = args[i]
				default:
					return nil, usagef("option -%c needs an argument %s", a[j], f.arg)
				}
				j = len(a)
			}
			if err := f.set(c, &promises, val); err != nil {
				return nil, err
			}
		}
	}
	c.Argv = args[i:]
	if c.Help || c.Test != "" {
		return c, nil
	}
	if len(c.Argv) == 0 {
		return nil, usagef("no program given")
	}
	ps, err := c.promiseString(promises)
	if err != nil {
		return nil, err
	}
	p, err := pledge.ParsePromises(ps)
	if err != nil {
		return nil, usagef("bad promises %q: %v", ps, err)
	}
	c.Promises = p.String()
	for _, u := range c.Unveils {
		if _, err := os.Lstat(u.Path); err != nil && c.Chroot == "" {
			// OpenBSD's unveil accepts a missing last component (for
			// creation) but not a missing directory above it.
			if _, err2 := os.Stat(parentDir(u.Path)); err2 != nil {
				return nil, usagef("-v %s:%s: %v", u.Perm, u.Path, err2)
			}
		}
	}
	return c, nil
}

func parentDir(p string) string {
	i := strings.LastIndexByte(strings.TrimRight(p, "/"), '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}

// setUnveil parses -v [PERM:]PATH. A path that itself contains a colon
// needs an explicit PERM: only the text before the first colon is taken as
// permissions, and only when it is made of unveil(2) permission letters.
func setUnveil(c *config, _ *[]string, v string) error {
	perm, path := "r", v
	if before, after, ok := strings.Cut(v, ":"); ok && validPerm(before) {
		perm, path = before, after
	}
	if path == "" {
		return usagef("-v %q: empty path", v)
	}
	c.Unveils = append(c.Unveils, unveilArg{Perm: perm, Path: path})
	return nil
}

// validPerm reports whether s is an unveil(2) permission string: letters
// from "rwxc" (the empty string hides a path).
func validPerm(s string) bool {
	return len(s) <= 4 && strings.Trim(s, "rwxc") == ""
}

func setTest(c *config, _ *[]string, v string) error {
	if _, ok := kernelFeatures[v]; !ok {
		return usagef("-T %q: want pledge or unveil", v)
	}
	c.Test = v
	return nil
}

func parseID(dst *int, v, flag string, lookup func(string) (int, error)) error {
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		*dst = int(n)
		return nil
	}
	n, err := lookup(v)
	if err != nil {
		return usagef("%s %q: %v", flag, v, err)
	}
	*dst = n
	return nil
}

func lookupUser(name string) (int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(u.Uid)
}

func lookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

// sizeSuffixes are the binary multipliers accepted after a BYTES value.
var sizeSuffixes = map[byte]uint64{'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40}

// rlimitSetter parses a limit; BYTES values accept a k/m/g/t suffix.
// RLIMIT_CPU gets a hard limit one second above the soft one, so that the
// program first receives SIGXCPU (setrlimit(2)), as under Cosmopolitan.
func rlimitSetter(res int, bytes bool) func(*config, *[]string, string) error {
	return func(c *config, _ *[]string, v string) error {
		s, mult := strings.ToLower(v), uint64(1)
		if bytes && s != "" {
			if m, ok := sizeSuffixes[s[len(s)-1]]; ok {
				s, mult = s[:len(s)-1], m
			}
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > ^uint64(0)/mult {
			return usagef("bad limit %q: %v", v, errors.Join(err, errors.New("want a non-negative integer")))
		}
		n *= mult
		hard := n
		if res == rlimitCPU {
			hard = n + 1
		}
		c.Rlimits = append(c.Rlimits, rlimitArg{Resource: res, Cur: n, Max: hard})
		return nil
	}
}

// usage is the -h text: short, with every promise name.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: pledge [-hnNkqV] [-p PROMISES] [-v [PERM:]PATH]... [-u UID] [-g GID] [-c CHROOT]\n" +
		"              [-C SECS] [-M BYTES] [-O FILES] [-P PROCS] [-F BYTES] [-T pledge|unveil] [--] PROG [ARGS...]\n" +
		"Runs PROG pledged (seccomp) and unveiled (Landlock) as OpenBSD's pledge(2)/unveil(2) would.\n\n")
	for _, f := range flags {
		name := "    "
		if f.short != 0 {
			name = "-" + string(f.short) + ", "
		}
		name += "--" + f.long
		if f.arg != "" {
			name += " " + f.arg
		}
		fmt.Fprintf(&b, "  %-30s %s\n", name, f.help)
	}
	b.WriteString("\npromises:")
	line := 9
	for _, n := range promise.Names() {
		if line+len(n)+1 > 78 {
			b.WriteString("\n ")
			line = 1
		}
		b.WriteString(" " + n)
		line += len(n) + 1
	}
	b.WriteString("\nexit status: the program's; 128+N when it died of signal N; 64 bad usage; 126 sandbox set-up failed; 127 not found\n")
	return b.String()
}
