//go:build linux && (amd64 || arm64)

package promise

import (
	"fmt"
	"os"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/seccomp"
)

// sysnums are the syscall tables by GOARCH name (zsysnum.go).
var sysnums = map[string]map[string]uint32{
	"amd64": sysnumAMD64,
	"arm64": sysnumARM64,
}

//go:generate go run ./internal/mksysnum -o zsysnum.go

// BuildFilter compiles the promise table for promises p into a seccomp
// filter for arch (which need not be the running one):
//
//   - rules from every grant of the table whose promises p holds; a syscall
//     with an unconditional ALLOW gets only that rule, so the compiled
//     program returns ALLOW without loading an argument and the kernel's
//     constant-action cache serves it;
//   - the always-ENOSYS list (clone3, openat2, io_uring, removed calls);
//   - with opts.Loader, the loader operations;
//   - the fallbacks (EACCES for opens OpenBSD may allow by path, ENOSYS
//     for pidfd_open) where the violation would kill, and the probes
//     among them where a supervisor traces violations;
//   - with a violation action that lets calls run (LOG, TRACE,
//     USER_NOTIF), EPERM for the never list, and foreign ABIs killed;
//   - Default: the violation action; Unknown (numbers above arch.MaxNr,
//     newer than the table): ENOSYS so libc falls back; BadArch (foreign
//     audit arch, x32 numbers): the violation action.
//
// Syscalls of the table that arch lacks are skipped, and so are numbers
// above arch.MaxNr (the Unknown action answers them).
//
// Rules come out grouped by syscall number in ascending order, in table
// order within a number, so equal inputs give equal filters.
func BuildFilter(arch seccomp.Arch, p Set, opts FilterOptions) (*seccomp.Filter, error) {
	nums, ok := sysnums[arch.Name]
	if !ok {
		return nil, fmt.Errorf("promise: no syscall table for arch %q: %w", arch.Name, unix.EINVAL)
	}
	if extra := p &^ All; extra != 0 {
		return nil, fmt.Errorf("promise: bits %#x unknown: %w", uint64(extra), unix.EINVAL)
	}
	violation := opts.Violation
	if violation == 0 {
		violation = seccomp.ActKillProcess
		if p.Has(Error) {
			violation = seccomp.ActErrno(unix.ENOSYS)
		}
	}
	pid := opts.Pid
	if pid == 0 {
		pid = os.Getpid()
	}

	b := newBuilder(arch, nums, pid)
	for name := range enosys {
		b.add(sysRule{name: name}, seccomp.ActErrno(unix.ENOSYS))
	}
	for _, g := range promiseTable {
		if p.Has(g.need) && p&g.unless == 0 && g.mode.applies(opts.PathLayer) && !(g.layerReads && opts.SupervisedReads) {
			act := seccomp.ActAllow
			if g.mode == withLayer && opts.LayerAction != 0 {
				act = opts.LayerAction
			}
			for _, r := range g.rules {
				b.add(r, act)
			}
		}
	}
	if opts.Loader != 0 {
		for _, r := range loaderRules {
			b.add(r, opts.Loader)
		}
	}
	traced := violation&unix.SECCOMP_RET_ACTION_FULL == seccomp.ActTrace(0)
	if isKill(violation) || traced {
		for _, f := range fallbacks {
			if p.Has(f.need) && f.mode.applies(opts.PathLayer) && (f.probe || !traced) {
				b.add(f.rule, seccomp.ActErrno(f.errno))
			}
		}
	}
	// A violation action that lets the call run (LOG while porting, or a
	// tracer/supervisor deciding) must still not open what no promise
	// allows: the never list gets EPERM and foreign ABIs are killed.
	badArch := violation
	if !denies(violation) {
		for name := range never {
			b.add(sysRule{name: name}, seccomp.ActErrno(unix.EPERM))
		}
		badArch = seccomp.ActKillProcess
	}
	f := &seccomp.Filter{
		Arch:    arch,
		Default: violation,
		Unknown: seccomp.ActErrno(unix.ENOSYS),
		BadArch: badArch,
	}
	for _, name := range hotSyscalls {
		if nr, ok := nums[name]; ok {
			f.Hot = append(f.Hot, nr)
		}
	}
	for _, rules := range b.byNr {
		// Rules at the end that answer what the default answers anyway
		// only lengthen the program.
		for len(rules) > 0 && rules[len(rules)-1].Action == violation {
			rules = rules[:len(rules)-1]
		}
		f.Rules = append(f.Rules, rules...)
	}
	return f, nil
}

// isKill reports whether a is one of the kill actions, the ones a fallback
// errno replaces.
func isKill(a seccomp.Action) bool {
	return a == seccomp.ActKillProcess || a == seccomp.ActKillThread
}

// denies reports whether a stops the syscall: a kill, a trap or an errno
// (and not ALLOW, LOG, TRACE or USER_NOTIF, which may let it run).
func denies(a seccomp.Action) bool {
	switch a & unix.SECCOMP_RET_ACTION_FULL {
	case seccomp.ActKillProcess, seccomp.ActKillThread, seccomp.ActTrap, seccomp.ActErrno(0):
		return true
	}
	return false
}

// builder collects the rules per syscall number.
type builder struct {
	arch  string // seccomp.Arch.Name
	nums  map[string]uint32
	maxNr uint32
	pid   uint64
	byNr  [][]seccomp.Rule // indexed by syscall number: the rules in order
}

func newBuilder(arch seccomp.Arch, nums map[string]uint32, pid int) *builder {
	return &builder{arch: arch.Name, nums: nums, maxNr: arch.MaxNr, pid: uint64(uint32(pid)),
		byNr: make([][]seccomp.Rule, arch.MaxNr+1)}
}

// add appends r with action act to its syscall's rules, unless the syscall
// does not exist on this arch (or lies above the table), an earlier
// unconditional rule already decides every call, or the same conditions
// are already there. An unconditional rule replaces nothing: the earlier
// conditional rules keep their (first-match) priority.
func (b *builder) add(r sysRule, act seccomp.Action) {
	nr, ok := b.nums[r.name]
	if !ok || nr > b.maxNr {
		return
	}
	conds := make([]seccomp.Cond, len(r.conds))
	for i, c := range r.conds {
		conds[i] = c.archCond(b.arch, b.pid)
	}
	if len(conds) == 0 {
		conds = nil
	}
	rules := b.byNr[nr]
	for _, old := range rules {
		if len(old.Conds) == 0 || slices.Equal(old.Conds, conds) {
			return
		}
	}
	if conds == nil && act == seccomp.ActAllow {
		// An unconditional ALLOW makes the conditional ALLOWs before it
		// redundant; dropping them lets the compiled program return
		// without loading an argument (constant-action cache).
		kept := rules[:0]
		for _, old := range rules {
			if old.Action != seccomp.ActAllow {
				kept = append(kept, old)
			}
		}
		rules = kept
	}
	b.byNr[nr] = append(rules, seccomp.Rule{Nr: nr, Conds: conds, Action: act})
}

// Explain says which promises would allow syscall nr of arch with these
// arguments, for violation messages: the syscall's name ("" when the
// number is not in the table) and the promises of the first grant of the
// promise table whose rule matches, space-separated ("rpath wpath" when a
// call needs both), or "" when no promise allows it (always-allowed calls
// also give ""). The "to itself" conditions cannot be decided without the
// violating process's pid, so kill/tgkill/prlimit64 of a specific pid
// explain as "proc" (or "id").
func Explain(arch seccomp.Arch, nr uint32, args [6]uint64) (syscall string, promise string) {
	name := syscallName(arch, nr)
	if name == "" {
		return "", ""
	}
	for _, g := range promiseTable {
		for _, r := range g.rules {
			if r.name == name && holds(arch.Name, r.conds, args) {
				return name, g.need.String()
			}
		}
	}
	return name, ""
}

// holds evaluates conditions on concrete arguments; "itself" conditions
// never hold (the pid is unknown here).
func holds(arch string, cs []cond, args [6]uint64) bool {
	for _, c := range cs {
		if c.self || !c.archCond(arch, 0).Holds(args[c.Arg]) {
			return false
		}
	}
	return true
}

var (
	namesOnce sync.Once
	names     map[string]map[uint32]string
)

// SyscallName returns the kernel's name of syscall nr on arch (the
// lower-case SYS_ suffix of golang.org/x/sys: "openat"), "" when unknown.
func SyscallName(arch seccomp.Arch, nr uint32) string { return syscallName(arch, nr) }

// SyscallNumber returns the number of the syscall the kernel names name on
// arch; ok is false when arch has no such syscall (arm64 has no open).
func SyscallNumber(arch seccomp.Arch, name string) (nr uint32, ok bool) {
	nr, ok = sysnums[arch.Name][name]
	return nr, ok
}

func syscallName(arch seccomp.Arch, nr uint32) string {
	namesOnce.Do(func() {
		names = map[string]map[uint32]string{}
		for a, m := range sysnums {
			names[a] = map[uint32]string{}
			for n, nr := range m {
				names[a][nr] = n
			}
		}
	})
	return names[arch.Name][nr]
}

// CompilePidFilter compiles BuildFilter(arch, p, opts) once for every pid:
// the result's Program(uint32(pid)) is the program BuildFilter with
// opts.Pid = pid compiles to, with only the K of the "to itself"
// comparisons rewritten (seccomp.CompileParam proves from the program that
// they are plain equalities nothing else depends on). The exec supervisor
// compiles a filter for each new image's pid; this moves the compilation
// off that path. opts.Pid is ignored.
func CompilePidFilter(arch seccomp.Arch, p Set, opts FilterOptions) (*seccomp.ParamProgram, error) {
	return seccomp.CompileParam(func(pid uint32) (*seccomp.Filter, error) {
		o := opts
		o.Pid = int(pid)
		return BuildFilter(arch, p, o)
	})
}
