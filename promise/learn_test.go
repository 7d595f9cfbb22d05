//go:build linux && (amd64 || arm64)

package promise

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/seccomp"
)

// atFdcwd is AT_FDCWD as the register holds it.
const atFdcwd = 0xffffff9c

func altNeeds(alts []Alt) []Set {
	var out []Set
	for _, a := range alts {
		if a.Errno == 0 {
			out = append(out, a.Need)
		}
	}
	return out
}

func TestAlternatives(t *testing.T) {
	a := seccomp.AMD64
	nr := func(name string) uint32 { return sysnums[a.Name][name] }
	o := LearnOptions{Pid: testPid, PathLayer: true}
	cases := []struct {
		name string
		args []uint64
		want []Set
	}{
		{"read", nil, []Set{Stdio}},
		{"exit_group", nil, []Set{0}},
		{"getcwd", nil, []Set{Rpath, Wpath, Unveil}},
		{"newfstatat", []uint64{atFdcwd, 0x1000, 0x2000, 0}, []Set{Rpath, Unveil}},
		{"newfstatat", []uint64{3, 0x1000, 0x2000, unix.AT_EMPTY_PATH}, []Set{Stdio, Rpath, Unveil}},
		{"socket", []uint64{unix.AF_INET, unix.SOCK_DGRAM | unix.SOCK_CLOEXEC}, []Set{Inet, DNS}},
		{"socket", []uint64{unix.AF_INET, unix.SOCK_RAW}, nil},
		{"kill", []uint64{testPid, 15}, []Set{Stdio, Proc}},
		{"kill", []uint64{1, 15}, []Set{Proc}},
		{"clone", []uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, []Set{Stdio, Proc}},
		{"clone", []uint64{uint64(unix.SIGCHLD)}, []Set{Proc}},
		{"memfd_create", []uint64{0x1000, 0}, []Set{Stdio}},
		{"ptrace", nil, nil},
		{"openat", []uint64{atFdcwd, 0x1000, unix.O_RDONLY}, []Set{Rpath, Stdio, Cpath, Tmppath}},
		{"openat", []uint64{atFdcwd, 0x1000, unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, 0o644}, []Set{Wpath | Cpath}},
		{"openat", []uint64{atFdcwd, 0x1000, unix.O_RDWR | unix.O_CREAT | unix.O_EXCL, 0o600}, []Set{Cpath, Tmppath}},
	}
	for _, c := range cases {
		var args [6]uint64
		copy(args[:], c.args)
		name, alts := Alternatives(a, nr(c.name), args, o)
		if name != c.name {
			t.Errorf("%s: name %q", c.name, name)
		}
		if got := altNeeds(alts); !slices.Equal(got, c.want) {
			t.Errorf("%s%v: needs %v, want %v", c.name, c.args, got, c.want)
		}
	}
	// memfd_create without the seal is stdio's only without exec.
	_, alts := Alternatives(a, nr("memfd_create"), [6]uint64{0x1000}, o)
	if len(alts) != 1 || alts[0].Holds(Stdio|Exec) || !alts[0].Holds(Stdio) {
		t.Errorf("memfd_create: %+v, want stdio unless exec", alts)
	}
	// The probe fallbacks come last, with their errno.
	_, alts = Alternatives(a, nr("socket"), [6]uint64{unix.AF_UNIX, unix.SOCK_STREAM}, o)
	want := []Alt{{Need: Unix}, {Need: Getpw, Errno: unix.EACCES}, {Need: DNS, Errno: unix.EACCES}}
	if !slices.Equal(alts, want) {
		t.Errorf("socket(AF_UNIX): %+v, want %+v", alts, want)
	}
}

// TestAlternativesMatchFilter: for every call of the filter tests and many
// promise sets, the filter allows a call exactly when one of its
// alternatives holds, and answers a probe's errno when only that holds.
func TestAlternativesMatchFilter(t *testing.T) {
	sets := []string{"stdio", "stdio rpath", "stdio wpath cpath", "stdio rpath wpath cpath", "stdio tmppath",
		"stdio inet", "stdio dns", "stdio unix", "stdio proc", "stdio exec", "stdio proc exec", "stdio getpw",
		"stdio unveil", "stdio id", "stdio rpath proc exec prot_exec", "stdio fattr chown flock tty"}
	for _, a := range testArchs {
		for _, layer := range []bool{false, true} {
			for _, c := range calls_ {
				nr, ok := sysnums[a.Name][c.name]
				if !ok {
					continue
				}
				var d seccomp.Data
				d.Nr, d.Arch = int32(nr), a.AuditArch
				copy(d.Args[:], c.args)
				_, alts := Alternatives(a, nr, d.Args, LearnOptions{Pid: testPid, PathLayer: layer})
				for _, ps := range sets {
					p, _ := Parse(ps)
					got := run(t, a, ps, FilterOptions{Pid: testPid, PathLayer: layer}, d)
					allowed, probe := false, seccomp.Action(0)
					for _, alt := range alts {
						switch {
						case alt.Errno == 0 && alt.Holds(p):
							allowed = true
						case alt.Errno != 0 && alt.Holds(p) && probe == 0:
							probe = seccomp.ActErrno(alt.Errno)
						}
					}
					if allowed != (got == allow) {
						t.Errorf("%s layer=%v %q: %s%v: filter %v, alternatives %+v", a.Name, layer, ps, c.name, c.args, got, alts)
					}
					if !allowed && probe != 0 && got != probe {
						t.Errorf("%s layer=%v %q: %s%v: filter %v, want the probe's %v", a.Name, layer, ps, c.name, c.args, got, probe)
					}
				}
			}
		}
	}
}

// TestLearnFilter: the learn filter lets through without a stop only what
// every stdio pledge allows, answers the always-ENOSYS calls as every
// pledge does, and stops at everything else, foreign ABIs included.
func TestLearnFilter(t *testing.T) {
	trace := seccomp.ActTrace(7)
	for _, a := range testArchs {
		f, err := LearnFilter(a, trace, testPid)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := f.Compile()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range calls_ {
			nr, ok := sysnums[a.Name][c.name]
			if !ok {
				continue
			}
			d := seccomp.Data{Nr: int32(nr), Arch: a.AuditArch}
			copy(d.Args[:], c.args)
			got, _, err := prog.Run(d)
			if err != nil {
				t.Fatal(err)
			}
			stdio := run(t, a, "stdio", FilterOptions{Pid: testPid}, d)
			switch {
			case enosys[c.name] != "":
				if got != actENOSYS {
					t.Errorf("%s: %s = %v, want ENOSYS", a.Name, c.name, got)
				}
			case got == allow && stdio != allow:
				t.Errorf("%s: %s%v allowed without a stop, but stdio gives %v", a.Name, c.name, c.args, stdio)
			case got != allow && got != trace:
				t.Errorf("%s: %s%v = %v, want ALLOW or the trace", a.Name, c.name, c.args, got)
			}
		}
		for _, name := range []string{"read", "write", "close", "futex", "exit_group"} {
			if act, ok := prog.ConstantAction(a, sysnums[a.Name][name]); !ok || act != allow {
				t.Errorf("%s: %s is not a constant ALLOW (%v, %v): it would cost a filter run", a.Name, name, act, ok)
			}
		}
		for _, d := range []seccomp.Data{
			{Nr: int32(sysnums[a.Name]["read"]), Arch: unix.AUDIT_ARCH_I386},
			{Nr: int32(sysnums[a.Name]["ptrace"]), Arch: a.AuditArch},
			{Nr: int32(sysnums[a.Name]["openat"]), Arch: a.AuditArch},
		} {
			if got, _, _ := prog.Run(d); got != trace {
				t.Errorf("%s: nr %d arch %#x = %v, want the trace", a.Name, d.Nr, d.Arch, got)
			}
		}
	}
}
