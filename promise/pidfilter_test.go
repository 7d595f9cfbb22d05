//go:build linux && (amd64 || arm64)

package promise

import (
	"slices"
	"testing"

	"github.com/landpledge/landpledge/seccomp"
)

// pidFilterCases are the promise sets and options CompilePidFilter is
// checked with: "to itself" rules (stdio), without them (""), with the
// rules that make them redundant (proc), the exec supervisor's loader tag
// and violation actions, and everything.
var pidFilterCases = []struct {
	promises string
	opts     FilterOptions
}{
	{"", FilterOptions{}},
	{"stdio", FilterOptions{}},
	{"stdio error", FilterOptions{}},
	{"stdio proc", FilterOptions{}},
	{"stdio rpath", FilterOptions{Loader: seccomp.ActTrace(2)}},
	{"stdio", FilterOptions{Loader: seccomp.ActTrace(2), Violation: eperm}},
	{"stdio", FilterOptions{Violation: seccomp.ActLog}},
	{"", FilterOptions{Violation: notif}},
}

// pidFilterPids span the pid range (pid_max is at most 2^22) and beyond.
var pidFilterPids = []int{1, 2, 99, 4242, 32768, 65535, 1 << 22, 0x7fffffff}

// TestCompilePidFilter proves the patched program equivalent to a fresh
// compilation for the same pid on both ABIs: the programs are equal
// instruction for instruction, and running both in user space over every
// syscall number with the arguments the "to itself" rules test (the pid,
// its neighbours, 0, the pid with garbage in the high half, NULL and
// non-NULL new_limit) gives the same action, which is also the filter's.
func TestCompilePidFilter(t *testing.T) {
	for _, a := range testArchs {
		for _, c := range pidFilterCases {
			ps, err := Parse(c.promises)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := CompilePidFilter(a, ps, c.opts)
			if err != nil {
				t.Fatalf("%s %q %+v: %v", a.Name, c.promises, c.opts, err)
			}
			if c.promises == "stdio" && len(pp.Slots()) == 0 {
				t.Fatalf("%s %q: no pid slots, but stdio has \"to itself\" rules", a.Name, c.promises)
			}
			for _, pid := range pidFilterPids {
				o := c.opts
				o.Pid = pid
				f, err := BuildFilter(a, ps, o)
				if err != nil {
					t.Fatal(err)
				}
				fresh, err := f.Compile()
				if err != nil {
					t.Fatal(err)
				}
				patched := pp.Program(uint32(pid))
				if !slices.Equal(patched, fresh) {
					t.Fatalf("%s %q %+v pid %d: patched program differs from the fresh one", a.Name, c.promises, c.opts, pid)
				}
				p := uint64(pid)
				argSets := [][6]uint64{
					{p}, {p - 1}, {p + 1}, {0}, {p | hi32}, {p, 0, 0}, {p, 0, 1}, {0, 0, 1},
					{p, p, 0}, {p, uint64(0x21)},
				}
				for nr := uint32(0); nr <= a.MaxNr; nr++ {
					for _, args := range argSets {
						d := seccomp.Data{Nr: int32(nr), Arch: a.AuditArch, Args: args}
						got, _, err := patched.Run(d)
						if err != nil {
							t.Fatal(err)
						}
						want, _, err := fresh.Run(d)
						if err != nil {
							t.Fatal(err)
						}
						if got != want || got != f.Decide(d) {
							t.Fatalf("%s %q pid %d nr %d args %#x: patched %v, fresh %v, filter %v",
								a.Name, c.promises, pid, nr, args[:3], got, want, f.Decide(d))
						}
					}
				}
			}
		}
	}
}

// BenchmarkPidFilter compares what the exec supervisor does per exec'd
// image: building and compiling the execpromises filter for the pid
// (fresh) with patching a program compiled once (patched).
func BenchmarkPidFilter(b *testing.B) {
	ps := Stdio | Rpath
	opts := FilterOptions{Loader: seccomp.ActTrace(2)}
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			opts.Pid = 4242
			f, err := BuildFilter(seccomp.Native(), ps, opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Compile(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("patched", func(b *testing.B) {
		pp, err := CompilePidFilter(seccomp.Native(), ps, opts)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			_ = pp.Program(4242)
		}
	})
}
