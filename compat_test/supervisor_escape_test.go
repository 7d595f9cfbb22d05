package compat_test

// Escapes from the ptrace supervisor (the pledge command's, and the
// library's exec supervisor) found by the outside review of issue 8, each
// tried by our own programs (testdata/escape) plainly, where it works, and
// sandboxed, with the exact outcome the supervisor must give:
//
//	A  a start-up constructor stacks a filter that relabels its violations
//	   with the supervisor's loader tag (or any other tag): every attempt
//	   fails with EPERM, silently during start-up, with a line after it;
//	   -k kills at the first attempt
//	B  the start-up window grants the loader only the image's own files:
//	   its interpreter, its DT_NEEDED closure, ld.so.cache and
//	   ld.so.preload; any other open for reading fails with EACCES and any
//	   other map as code with EPERM (SIGSYS under the library), so that an
//	   LD_AUDIT or LD_PRELOAD module from elsewhere is not loaded
//	C  sendmsg with a destination (msg_name) from a datagram socketpair,
//	   which stdio allowed: the datagram socketpair needs "unix"
//	D  clone(CLONE_UNTRACED) makes a child no supervisor sees: refused
//	   under every promise; traced children still die with the command
//
// The command runs as the test's own child and sandboxes only its program;
// the library cases run in sandboxtest children. Everything here runs the
// same as root and as nobody (CI runs the suite as both) except where a
// comment says otherwise.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"github.com/landpledge/landpledge/pledge"
)

func requireSupervisor(t *testing.T) {
	t.Helper()
	sandboxtest.Require(t, "landlock")
	sandboxtest.Require(t, "seccomp")
}

// secretDir is a directory the sandboxed runs unveil "r": it holds a
// secret file (Landlock lets the program read it, so only the start-up
// window's own-files rule can refuse it) and a copy of the audit module.
func secretDir(t *testing.T, dir string, p escapeProgs) (secret string) {
	t.Helper()
	secret = filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("top-secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p.audit)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "audit.so"), b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// ---- A: relabelling -------------------------------------------------------

// relabelTags are the SECCOMP_RET_DATA values the constructor's filter
// answers with: the command's two tags (1 violation, 2 loader), none (0),
// the next one and the largest, i.e. every tag the supervisor could know
// or confuse.
var relabelTags = []string{"0", "1", "2", "3", "0xffff"}

// relabelWorld is what the attempts of esc.h aim at, all outside the
// sandbox: a TCP listener on 127.0.0.1 (and an unconnected socket passed
// in as fd 3 to connect with), a process (the probe, blocked on its
// stdin), two files outside the veil (mode 0644), and a pseudo-terminal
// that is the program's stdin and controlling terminal.
type relabelWorld struct {
	ln              *net.TCPListener
	sock            *os.File
	outside         *exec.Cmd
	outsideIn       *os.File
	veil            string
	chmod, fchmodat string
	ptmx, tty       int
	ttyFile         *os.File
}

func newRelabelWorld(t *testing.T) *relabelWorld {
	t.Helper()
	w := &relabelWorld{veil: t.TempDir()}
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	w.ln = ln
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.sock = os.NewFile(uintptr(fd), "tcp")
	t.Cleanup(func() { w.sock.Close() })

	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.outside = exec.Command(program(t, envProbe), "pause")
	w.outside.Stdin = r
	if err := w.outside.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.outsideIn = pw
	t.Cleanup(func() { pw.Close(); w.outside.Wait() })

	dir := t.TempDir()
	w.chmod, w.fchmodat = filepath.Join(dir, "chmod"), filepath.Join(dir, "fchmodat")
	for _, f := range []string{w.chmod, w.fchmodat} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}

	w.ptmx, err = unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(w.ptmx) })
	if err := unix.IoctlSetPointerInt(w.ptmx, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	s, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(w.ptmx), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if e != 0 {
		t.Fatalf("TIOCGPTPEER: %v", e)
	}
	w.tty = int(s)
	// The *os.File owns the descriptor (its finalizer would close it).
	w.ttyFile = os.NewFile(s, "tty")
	t.Cleanup(func() { w.ttyFile.Close() })
	// Raw: an injected byte is readable at once from the terminal side
	// (TIOCSTI hands it to the line discipline synchronously).
	tio, err := unix.IoctlGetTermios(w.tty, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag = tio.Cflag&^(unix.CSIZE|unix.PARENB) | unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(w.tty, unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	return w
}

// spec runs the victim in mode with the constructor's filter answering
// tag ("none": no filter), under the command's flags (nil: plainly). The
// sandboxed runs pass -N so that the program keeps fd 3, the socket to
// connect with: without it connect would fail on a closed descriptor and
// hide whether the call itself was allowed.
func (w *relabelWorld) spec(flags []string, mode, tag string, p escapeProgs) escSpec {
	return escSpec{
		pledge: flags,
		argv:   []string{p.victim},
		env: []string{
			"ESC_MODE=" + mode, "ESC_TAG=" + tag,
			"ESC_CONNECT=" + strconv.Itoa(w.ln.Addr().(*net.TCPAddr).Port), "ESC_CONNECT_FD=3",
			"ESC_KILL_PID=" + strconv.Itoa(w.outside.Process.Pid),
			"ESC_CHMOD=" + w.chmod, "ESC_FCHMODAT=" + w.fchmodat, "ESC_TTY_FD=0",
		},
		stdin: w.ttyFile,
		extra: []*os.File{w.sock},
		ctty:  true,
	}
}

// effects is what the attempts did outside the sandbox.
type effects struct {
	connected       bool        // the listener accepted a connection
	outside         string      // how the outside process ended: "exit 0" or its signal
	chmod, fchmodat os.FileMode // the files' modes
	injected        string      // what TIOCSTI put into the terminal's input
}

// observe collects the effects once the run is over.
func (w *relabelWorld) observe(t *testing.T, expectConnection bool) effects {
	t.Helper()
	e := effects{connected: accepted(t, w.ln, expectConnection)}
	w.outsideIn.Close() // the probe reads its stdin to EOF, then exits 0
	err := w.outside.Wait()
	ws := w.outside.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled():
		e.outside = unix.SignalName(ws.Signal())
	case err == nil || ws.Exited():
		e.outside = fmt.Sprintf("exit %d", ws.ExitStatus())
	}
	for _, f := range []struct {
		path string
		mode *os.FileMode
	}{{w.chmod, &e.chmod}, {w.fchmodat, &e.fchmodat}} {
		st, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		*f.mode = st.Mode().Perm()
	}
	if err := unix.SetNonblock(w.tty, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := unix.Read(w.tty, buf); err == nil && n > 0 {
		e.injected = string(buf[:n])
	}
	return e
}

// accepted reports whether the listener has a connection. One that is
// expected (the plain runs) is waited for with a generous bound: the
// kernel may queue it on the listener just after connect returned. When
// none is expected (the sandboxed runs, whose own output says whether
// connect failed) the queue is looked at once (accept4 on the listener's
// non-blocking descriptor: EAGAIN when empty).
func accepted(t *testing.T, ln *net.TCPListener, expect bool) bool {
	t.Helper()
	if expect {
		ln.SetDeadline(time.Now().Add(time.Minute))
		c, err := ln.Accept()
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	rc, err := ln.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	got := false
	rc.Control(func(fd uintptr) {
		if nfd, _, err := unix.Accept4(int(fd), unix.SOCK_CLOEXEC); err == nil {
			unix.Close(nfd)
			got = true
		}
	})
	return got
}

// noEffects is what a sandboxed run must leave: nothing.
var noEffects = effects{outside: "exit 0", chmod: 0o644, fchmodat: 0o644}

// tiocstiPlain is TIOCSTI's outcome on the controlling terminal without
// the sandbox. It differs by user and machine: with
// dev.tty.legacy_tiocsti=0 only CAP_SYS_ADMIN may inject (EIO otherwise);
// with 1, anyone may on the controlling terminal (which is why the test
// makes the pty the controlling one: as nobody on another terminal it
// would be EPERM). Root in CI has CAP_SYS_ADMIN.
func tiocstiPlain(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/dev/tty/legacy_tiocsti")
	legacy := err != nil || strings.TrimSpace(string(b)) != "0" // before 6.2 there is no switch: allowed
	if os.Geteuid() == 0 || legacy {
		return ok
	}
	return "EIO"
}

// attemptLines is the victim's output for the six attempts of esc.h.
func attemptLines(who string, results ...string) string {
	var b strings.Builder
	for i, what := range []string{"socket", "connect", "kill", "chmod", "fchmodat", "ioctl"} {
		fmt.Fprintf(&b, "%s %s=%s\n", who, what, results[i])
	}
	return b.String()
}

func plainEffects(t *testing.T) effects {
	e := effects{connected: true, outside: "SIGTERM", chmod: 0o600, fchmodat: 0o600}
	if tiocstiPlain(t) == ok {
		e.injected = "x"
	}
	return e
}

// violationLines are the command's lines for the six attempts made after
// the entry point (cmd/pledge/diag.go renders them).
func (w *relabelWorld) violationLines() []string {
	q := func(s string) string { return regexp.QuoteMeta(strconv.Quote(s)) }
	return []string{
		`pledge: victim\[\d+\] socket\(AF_INET, SOCK_STREAM\) needs promise "inet"`,
		`pledge: victim\[\d+\] connect\(\) needs promise "inet"`,
		`pledge: victim\[\d+\] kill\(` + strconv.Itoa(w.outside.Process.Pid) + `, SIGTERM\) needs promise "proc"`,
		`pledge: victim\[\d+\] chmod\(` + q(w.chmod) + `, 0600\) needs promise "fattr"`,
		`pledge: victim\[\d+\] fchmodat\(` + q(w.fchmodat) + `, 0600\) needs promise "fattr"`,
		`pledge: victim\[\d+\] ioctl\(0, TIOCSTI\) is not allowed by any promise`,
	}
}

func wantEffects(t *testing.T, got, want effects) {
	t.Helper()
	if got != want {
		t.Errorf("effects outside the sandbox: got %+v, want %+v", got, want)
	}
}

// TestSupervisorEscapeRelabel: libevil.so's constructor (run before the
// victim's entry point, in the start-up window) stacks a filter answering
// socket, connect, kill, chmod, fchmodat and ioctl with
// SECCOMP_RET_TRACE|tag. When several filters trace, the kernel reports
// the newest filter's data, so the supervisor sees the program's tag
// instead of its own. Whatever the tag, the calls are violations of
// "stdio": during start-up each fails with EPERM and prints nothing
// without --verbose, and with -k the first kills (SIGSYS, status 159);
// after the entry point (mode relabel-main: main() attempts under the
// constructor's filter) each fails with EPERM and one line. Plainly every
// attempt works and is seen from outside.
func TestSupervisorEscapeRelabel(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	for _, mode := range []string{"relabel", "relabel-main"} {
		t.Run(mode+"/plain", func(t *testing.T) {
			t.Parallel()
			w := newRelabelWorld(t)
			r := runEsc(t, w.spec(nil, mode, "none", p))
			who := "ctor"
			if mode == "relabel-main" {
				who = "main"
			}
			r.want(t, 0, "ctor relabel=none\n"+attemptLines(who, ok, ok, ok, ok, ok, tiocstiPlain(t))+"main ran\n")
			wantEffects(t, w.observe(t, true), plainEffects(t))
		})
	}
	eperm := []string{"EPERM", "EPERM", "EPERM", "EPERM", "EPERM", "EPERM"}
	for _, tag := range relabelTags {
		t.Run("tag="+tag, func(t *testing.T) {
			t.Run("start-up", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-p", "stdio", "-v", "r:" + w.veil}, "relabel", tag, p))
				r.want(t, 0, "ctor relabel=ok\n"+attemptLines("ctor", eperm...)+"main ran\n")
				r.wantLines(t) // start-up denials: only --verbose prints them
				wantEffects(t, w.observe(t, false), noEffects)
			})
			t.Run("start-up-kill", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-k", "-p", "stdio", "-v", "r:" + w.veil}, "relabel", tag, p))
				r.want(t, 128+int(unix.SIGSYS), "ctor relabel=ok\n")
				wantEffects(t, w.observe(t, false), noEffects)
			})
			t.Run("main", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-p", "stdio", "-v", "r:" + w.veil}, "relabel-main", tag, p))
				r.want(t, 0, "ctor relabel=ok\n"+attemptLines("main", eperm...)+"main ran\n")
				r.wantLines(t, w.violationLines()...)
				wantEffects(t, w.observe(t, false), noEffects)
			})
			t.Run("main-kill", func(t *testing.T) {
				t.Parallel()
				w := newRelabelWorld(t)
				r := runEsc(t, w.spec([]string{"-N", "-k", "-p", "stdio", "-v", "r:" + w.veil}, "relabel-main", tag, p))
				r.want(t, 128+int(unix.SIGSYS), "ctor relabel=ok\n")
				r.wantLines(t, w.violationLines()[0])
				wantEffects(t, w.observe(t, false), noEffects)
			})
		})
	}
}

// ---- B: the start-up window ------------------------------------------------

// loaderCase is one attack on the start-up window: the victim in mode,
// plainly and under the command's flags (each with a -v r: veil of the
// secret directory), with the exact output of each.
type loaderCase struct {
	name   string
	flags  []string // the command's flags before -v
	argv   []string // after the victim
	env    func(dir, secret string) []string
	stdin  func(t *testing.T) *os.File
	plain  string
	fixed  string
	stderr string // a line ld.so prints under the command (fixed), if any
	listen bool   // ESC_CONNECT: a listener that must see a connection plainly only
}

func loaderCases(t *testing.T, p escapeProgs) []loaderCase {
	openFile := func(path string) func(t *testing.T) *os.File {
		return func(t *testing.T) *os.File {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}
	}
	chain := func(result string) string {
		var b strings.Builder
		for n := 50; n >= 0; n-- {
			fmt.Fprintf(&b, "image %d open=%s\n", n, result)
		}
		return b.String() + "chain done\n"
	}
	eb := fmt.Sprintf("ESC_ENTRY_BYTE=%#x", entryByte(t, p.victim))
	return []loaderCase{
		// B1: the constructor opens a file that is none of the image's
		// own (Landlock allows it: only the window's rule refuses).
		{name: "open", flags: []string{"-p", "stdio"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=open", "ESC_SECRET=" + s} },
			plain: "ctor open=ok secret=top-secret\nmain ran\n",
			fixed: "ctor open=EACCES\nmain ran\n"},
		// B2: a constructor that never returns keeps the window open:
		// every open is refused all the same.
		{name: "never-returns", flags: []string{"-p", "stdio"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=openloop", "ESC_SECRET=" + s} },
			plain: "ctor open[0]=ok\nctor opens=200\n",
			fixed: "ctor open[0]=EACCES\nctor opens=200\n"},
		// B3: the constructor removes the supervisor's int3 (page made
		// RW, the original byte written back, page made RX again) and
		// runs the program's loop itself: the process never leaves
		// start-up, and still gets only its own files. mprotect RX of
		// the executable's own text page is a map of the image's own file,
		// which the window allows (ld.so does the same for text
		// relocations); mprotect RW is not a loader operation at all.
		{name: "int3-removed", flags: []string{"-p", "stdio"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=int3", "ESC_SECRET=" + s, eb} },
			plain: "ctor entry=clean\nctor open=ok secret=top-secret\n",
			fixed: "ctor entry=int3\nctor mprotect-rw=ok\nctor mprotect-rx=ok\nctor unbreak=ok\nctor open=EACCES\n"},
		// B4: main() re-execs itself with LD_AUDIT naming a module the
		// veil lets it read: ld.so cannot open it, says so and goes on.
		{name: "ld-audit", flags: []string{"-p", "stdio exec"},
			env: func(d, _ string) []string {
				return []string{"ESC_MODE=audit", "ESC_AUDIT=" + filepath.Join(d, "audit.so")}
			},
			plain:  "first image\nAUDIT-MARKER\nsecond image ran\n",
			fixed:  "first image\nsecond image ran\n",
			stderr: "cannot be loaded as audit interface"},
		// B5: with no writable unveil, main() copies attacker bytes
		// (stdin) into a memfd (MFD_NOEXEC_SEAL, allowed under
		// "stdio exec") and re-execs itself with LD_PRELOAD naming it;
		// the preload's constructor would relabel socket and connect and
		// reach the test's listener. It is not loaded.
		{name: "memfd-preload", flags: []string{"-p", "stdio exec"},
			env:    func(_, _ string) []string { return []string{"ESC_MODE=preload", "ESC_SO_FD=0"} },
			stdin:  openFile(p.preload),
			listen: true,
			plain:  "first image memfd=ok\npreload ran\npreload relabel=none\npreload socket=ok\npreload connect=ok\nsecond image ran\n",
			fixed:  "first image memfd=ok\nsecond image ran\n",
			stderr: "from LD_PRELOAD cannot be preloaded"},
		// B6: 50 re-execs, each image's constructor opening the secret:
		// every image gets its own window, none grants the secret, and the
		// chain completes.
		{name: "exec-chain", flags: []string{"-p", "stdio exec"}, argv: []string{"50"},
			env:   func(_, s string) []string { return []string{"ESC_MODE=chain", "ESC_SECRET=" + s} },
			plain: chain("ok secret=top-secret"),
			fixed: chain("EACCES")},
	}
}

// TestSupervisorEscapeLoaderWindow: between an exec and the new image's
// entry point the command's supervisor grants loader operations; code that
// runs there (a DT_NEEDED library's constructor, LD_AUDIT and LD_PRELOAD
// modules) must get only what the image's own loading needs: opens of
// other files fail with EACCES, maps of them as code with EPERM.
func TestSupervisorEscapeLoaderWindow(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	for _, c := range loaderCases(t, p) {
		for _, side := range []string{"plain", "command"} {
			t.Run(c.name+"/"+side, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				secret := secretDir(t, dir, p)
				s := escSpec{argv: append([]string{p.victim}, c.argv...), env: c.env(dir, secret)}
				if side == "command" {
					s.pledge = append(append([]string{}, c.flags...), "-v", "r:"+dir)
				}
				if c.stdin != nil {
					s.stdin = c.stdin(t)
				}
				var ln *net.TCPListener
				if c.listen {
					var err error
					ln, err = net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
					if err != nil {
						t.Fatal(err)
					}
					defer ln.Close()
					tag := "2" // the loader tag, as the preload would pick
					if side == "plain" {
						tag = "none"
					}
					s.env = append(s.env, "ESC_CONNECT="+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), "ESC_TAG="+tag)
				}
				r := runEsc(t, s)
				if side == "plain" {
					r.want(t, 0, c.plain)
				} else {
					r.want(t, 0, c.fixed)
					if c.stderr != "" && !strings.Contains(r.stderr, c.stderr) {
						t.Errorf("ld.so should say %q:\n%s", c.stderr, r)
					}
				}
				if ln != nil {
					if connected := accepted(t, ln, side == "plain"); connected != (side == "plain") {
						t.Errorf("listener connected=%v, want %v", connected, side == "plain")
					}
				}
			})
		}
	}
}

// TestSupervisorEscapeLoaderWindowLibrary: the same window under the
// library's exec supervisor. A child unveils what the victim needs,
// pledges "stdio exec" with execpromises "stdio" and execs it. The
// constructor's open of the secret fails with EACCES (B1), and a preload
// handed in as a memfd is not loaded (B5; here the child itself makes the
// memfd, and the preload would read the secret). Under the library a map
// as code that the window refuses would kill (SIGSYS), as the execpromises
// filter does; a refused open is EACCES.
func TestSupervisorEscapeLoaderWindowLibrary(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	for _, tc := range []struct {
		name         string
		plain, fixed string
	}{
		{"open", "ctor open=ok secret=top-secret\nmain ran\n", "ctor open=EACCES\nmain ran\n"},
		{"memfd-preload", "preload ran\npreload open=ok secret=top-secret\nsecond image ran\n", "second image ran\n"},
	} {
		for _, side := range []string{"plain", "sandboxed"} {
			t.Run(tc.name+"/"+side, func(t *testing.T) {
				t.Parallel()
				// The child gets the directory from the environment
				// (sandboxtest.TempDir's variable is shared by parallel
				// subtests).
				dir := os.Getenv(envLibraryDir)
				if !sandboxtest.InChild() {
					dir = t.TempDir()
					secretDir(t, dir, p)
				}
				secret := filepath.Join(dir, "secret")
				res := sandboxtest.Run(t, func() { libraryVictim(tc.name, side == "sandboxed", p, dir, secret) }, envLibraryDir+"="+dir)
				want := tc.plain
				if side == "sandboxed" {
					want = tc.fixed
				}
				if res.Signal != 0 || res.ExitCode != 0 || res.Stdout != want {
					t.Errorf("want exit 0 and stdout\n%s\ngot %s", want, res)
				}
			})
		}
	}
}

// envLibraryDir passes the secret directory to the child.
const envLibraryDir = "COMPAT_ESCAPE_LIBRARY_DIR"

// libraryVictim is the child of TestSupervisorEscapeLoaderWindowLibrary:
// it sandboxes itself (when sandboxed) and execs the victim.
func libraryVictim(name string, sandboxed bool, p escapeProgs, dir, secret string) {
	fail := func(what string, err error) {
		fmt.Printf("sandboxtest: setup=%s\n", sandboxtest.ErrnoName(err))
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(3)
	}
	so, err := os.ReadFile(p.preload)
	if err != nil {
		fail("read preload", err)
	}
	if sandboxed {
		for _, u := range []struct{ path, perm string }{
			{"/usr", "rx"}, // the interpreter and libc (/lib64 and /lib are links into /usr)
			{"/etc/ld.so.cache", "r"},
			{filepath.Dir(p.victim), "rx"},
			{dir, "r"},
		} {
			if err := pledge.Unveil(u.path, u.perm); err != nil {
				fail("unveil "+u.path, err)
			}
		}
		if err := pledge.Pledge("stdio exec", "stdio"); err != nil {
			fail("pledge", err)
		}
	}
	argv := []string{p.victim}
	env := append(os.Environ(), "ESC_SECRET="+secret)
	switch name {
	case "open":
		env = append(env, "ESC_MODE=open")
	case "memfd-preload":
		// memfd_create needs MFD_NOEXEC_SEAL once exec is promised; not
		// close-on-exec: the victim's ld.so opens it by /proc/self/fd.
		fd, err := unix.MemfdCreate("preload", unix.MFD_NOEXEC_SEAL)
		if err != nil {
			fail("memfd_create", err)
		}
		if _, err := unix.Write(fd, so); err != nil {
			fail("write memfd", err)
		}
		argv = append(argv, "2")
		env = append(env, "ESC_MODE=preload", fmt.Sprintf("LD_PRELOAD=/proc/self/fd/%d", fd))
	}
	os.Stdout.Sync()
	fail("exec", syscall.Exec(p.victim, argv, env))
}

// ---- C: sendmsg with a destination -----------------------------------------

// dgramTarget is a datagram socket the test binds (a path, or "@name" in
// the abstract namespace) and reads without blocking.
type dgramTarget struct {
	name string
	fd   int
}

func newDgramTarget(t *testing.T, name string) *dgramTarget {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		t.Fatalf("bind %s: %v", name, err)
	}
	return &dgramTarget{name, fd}
}

// received is what arrived (sendmsg queues a unix datagram on the
// receiver before it returns, so nothing can be late).
func (d *dgramTarget) received() string {
	buf := make([]byte, 64)
	n, _, err := unix.Recvfrom(d.fd, buf, unix.MSG_DONTWAIT)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// TestSupervisorEscapeSendmsg: a helper makes socketpair(AF_UNIX, TYPE)
// and sendmsg()s from one end with msg_name set to a socket the test
// bound. Under "stdio" a datagram pair is refused (EPERM and a line under
// the command), so nothing arrives; with "unix" it arrives at a path, but
// not at an abstract name bound outside the veil the command always sets
// (Landlock scoping, EPERM), unless -V. Stream and seqpacket pairs stay
// stdio: a stream pair refuses a destination (EISCONN), a seqpacket pair
// ignores it and delivers to its peer. Plainly the datagram arrives.
func TestSupervisorEscapeSendmsg(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	const (
		sent     = "helper socketpair=ok\nhelper sendmsg=ok\nhelper peer=EAGAIN\n"
		refused  = "helper socketpair=EPERM\n"
		scoped   = "helper socketpair=ok\nhelper sendmsg=EPERM\nhelper peer=EAGAIN\n"
		isconn   = "helper socketpair=ok\nhelper sendmsg=EISCONN\nhelper peer=EAGAIN\n"
		toPeer   = "helper socketpair=ok\nhelper sendmsg=ok\nhelper peer=ok\n"
		needUnix = `pledge: helper\[\d+\] socketpair\(AF_UNIX, SOCK_DGRAM\) needs promise "unix"`
	)
	for _, tc := range []struct {
		name, typ string
		abstract  bool
		flags     []string // nil: plain
		stdout    string
		arrives   bool
		lines     []string // nil: not checked (Landlock may add a line as root with audit on)
	}{
		{"dgram-path/plain", "dgram", false, nil, sent, true, nil},
		{"dgram-abstract/plain", "dgram", true, nil, sent, true, nil},
		{"dgram-path/stdio", "dgram", false, []string{"-p", "stdio"}, refused, false, []string{needUnix}},
		{"dgram-abstract/stdio", "dgram", true, []string{"-p", "stdio"}, refused, false, []string{needUnix}},
		{"dgram-path/unix", "dgram", false, []string{"-p", "stdio unix"}, sent, true, []string{}},
		{"dgram-abstract/unix", "dgram", true, []string{"-p", "stdio unix"}, scoped, false, nil},
		{"dgram-abstract/unix-no-veil", "dgram", true, []string{"-V", "-p", "stdio unix"}, sent, true, []string{}},
		{"stream/plain", "stream", false, nil, isconn, false, nil},
		{"stream/stdio", "stream", false, []string{"-p", "stdio"}, isconn, false, []string{}},
		{"seqpacket/plain", "seqpacket", false, nil, toPeer, false, nil},
		{"seqpacket/stdio", "seqpacket", false, []string{"-p", "stdio"}, toPeer, false, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, err := os.MkdirTemp("", "esc") // short: sun_path has 108 bytes
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			name := filepath.Join(dir, "s")
			if tc.abstract {
				name = fmt.Sprintf("@landpledge-compat-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
			}
			target := newDgramTarget(t, name)
			r := runEsc(t, escSpec{pledge: tc.flags, argv: []string{p.helper, "sendmsg", tc.typ, name}})
			r.want(t, 0, tc.stdout)
			if tc.lines != nil {
				r.wantLines(t, tc.lines...)
			}
			got, want := target.received(), ""
			if tc.arrives {
				want = "escaped"
			}
			if got != want {
				t.Errorf("%s received %q, want %q\n%s", name, got, want, r)
			}
		})
	}
}

// ---- D: clone(CLONE_UNTRACED) ----------------------------------------------

// TestSupervisorEscapeCloneUntraced: clone(CLONE_UNTRACED) makes a child
// the supervisor never sees: it would outlive the command (whose traced
// descendants PTRACE_O_EXITKILL kills) and exec unsupervised. The child
// of each case waits until its creator and the command are gone, then
// writes "late" to an inherited pipe, which the test reads until every
// holder is gone: no timing. Refused under "stdio proc" (EPERM and a
// line), also when a constructor relabels clone during start-up (EPERM,
// silently); fork, vfork and clone without the flag still work, and their
// children die with the command. clone3 stays ENOSYS.
func TestSupervisorEscapeCloneUntraced(t *testing.T) {
	requireSupervisor(t)
	p := escapePrograms(t)
	untracedLine := `pledge: helper\[\d+\] clone\(CLONE_UNTRACED\) is not allowed by any promise`
	type cloneCase struct {
		name   string
		argv   []string
		env    []string
		flags  []string // under the command (ESC_WATCH_PARENT=1, -N for the late pipe)
		plain  string
		plainL string // "late" written plainly
		fixed  string
		lines  []string
	}
	probe := program(t, envProbe)
	cases := []cloneCase{
		{name: "untraced", argv: []string{p.helper, "clone-untraced"}, flags: []string{"-p", "stdio proc"},
			plain: "helper clone-untraced=ok\n", plainL: "late\n",
			fixed: "helper clone-untraced=EPERM\n", lines: []string{untracedLine}},
		{name: "untraced-exec", argv: []string{p.helper, "clone-untraced-exec", probe, "exit"}, flags: []string{"-p", "stdio proc exec"},
			plain: "helper clone=ok\nhelper child=exit0\n",
			fixed: "helper clone=EPERM\n", lines: []string{untracedLine}},
		{name: "fork", argv: []string{p.helper, "fork"}, flags: []string{"-p", "stdio proc"},
			plain: "helper fork=ok\n", plainL: "late\n", fixed: "helper fork=ok\n", lines: []string{}},
		{name: "clone", argv: []string{p.helper, "clone"}, flags: []string{"-p", "stdio proc"},
			plain: "helper clone=ok\n", plainL: "late\n", fixed: "helper clone=ok\n", lines: []string{}},
		// The vfork child execs the helper to wait (a vfork child may
		// only exec or exit): "exec" too.
		{name: "vfork", argv: []string{p.helper, "vfork"}, flags: []string{"-p", "stdio proc exec"},
			plain: "helper vfork=ok\n", plainL: "late\n", fixed: "helper vfork=ok\n", lines: []string{}},
		{name: "clone3", argv: []string{p.helper, "clone3"}, flags: []string{"-p", "stdio proc"},
			plain: "helper clone3=ok\n", fixed: "helper clone3=ENOSYS\n", lines: []string{}},
	}
	for _, tag := range relabelTags {
		cases = append(cases, cloneCase{name: "relabelled/tag=" + tag, argv: []string{p.victim},
			env:   []string{"ESC_MODE=relabel-clone", "ESC_TAG=" + tag},
			flags: []string{"-p", "stdio proc"},
			fixed: "ctor relabel=ok\nctor clone=EPERM\nmain ran\n", lines: []string{}})
	}
	cases = append(cases, cloneCase{name: "relabelled/plain", argv: []string{p.victim},
		env:   []string{"ESC_MODE=relabel-clone", "ESC_TAG=none"},
		plain: "ctor relabel=none\nctor clone=ok\nmain ran\n", plainL: "late\n"})
	for _, c := range cases {
		sides := []string{"plain", "command"}
		switch {
		case c.flags == nil:
			sides = sides[:1]
		case c.plain == "":
			sides = sides[1:]
		}
		for _, side := range sides {
			t.Run(c.name+"/"+side, func(t *testing.T) {
				t.Parallel()
				late := newLatePipe(t)
				s := escSpec{argv: c.argv, env: append([]string{"ESC_LATE_FD=3"}, c.env...), extra: []*os.File{late.w}}
				if side == "command" {
					s.pledge = append([]string{"-N"}, c.flags...)
					s.env = append(s.env, "ESC_WATCH_PARENT=1")
				}
				r := runEsc(t, s)
				gotLate := late.read(t)
				if side == "plain" {
					r.want(t, 0, c.plain)
					if gotLate != c.plainL {
						t.Errorf("the child wrote %q after its creator was gone, want %q", gotLate, c.plainL)
					}
					return
				}
				r.want(t, 0, c.fixed)
				r.wantLines(t, c.lines...)
				if gotLate != "" {
					t.Errorf("a child outlived the command and wrote %q", gotLate)
				}
			})
		}
	}
}

// ---- C and D under the library: conformance cases ---------------------------

// sendmsgOp makes socketpair(AF_UNIX, typ) and sendmsg()s "escaped" from
// one end to the datagram socket Pre bound at name (fixture-relative path,
// or "@..." abstract) before the sandbox. It is ok when the data went
// where the socket type sends it: to the named socket for a datagram pair,
// to the pair's peer (the name ignored) for seqpacket; any other arrival
// is an error.
func sendmsgOp(typ int, name string, pairOnly bool) Op {
	var target string
	return Op{
		Name: fmt.Sprintf("socketpair(AF_UNIX, %d); sendmsg to %s", typ, name),
		Pre: func(fx *Fixture) error {
			target = name
			if strings.HasPrefix(name, "@") {
				target = fmt.Sprintf("%s-%d", name, os.Getpid())
			} // else relative to the fixture root, the working directory (sun_path is short)
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
			if err != nil {
				return err
			}
			fx.Fds["target"] = fd
			return unix.Bind(fd, &unix.SockaddrUnix{Name: target})
		},
		Fn: func(fx *Fixture) error {
			sv, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
			if err != nil || pairOnly {
				return err
			}
			if err := unix.Sendmsg(sv[0], []byte("escaped"), nil, &unix.SockaddrUnix{Name: target}, 0); err != nil {
				return err
			}
			buf := make([]byte, 16)
			_, _, terr := unix.Recvfrom(fx.Fds["target"], buf, unix.MSG_DONTWAIT)
			_, _, perr := unix.Recvfrom(sv[1], buf, unix.MSG_DONTWAIT)
			switch {
			case typ == unix.SOCK_DGRAM && terr == nil && perr != nil:
				return nil
			case typ == unix.SOCK_SEQPACKET && terr != nil && perr == nil:
				return nil
			}
			return fmt.Errorf("arrived at the named socket: %v, at the peer: %v", terr == nil, perr == nil)
		},
		C: []string{"sendmsg", strconv.Itoa(typ), name, map[bool]string{false: "0", true: "1"}[pairOnly]},
	}
}

func escapeSendmsgCases() []Case {
	return []Case{
		// OpenBSD: sendmsg with an address under stdio alone is
		// pledge_fail(EPERM, PLEDGE_INET), a kill (kern_pledge.c,
		// pledge_sendit). Here the datagram socketpair is already refused.
		{ID: "escape/sendmsg-name/dgram-path", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_DGRAM, "d/s", false), Plain: ok, OpenBSD: killed},
		{ID: "escape/sendmsg-name/dgram-abstract", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_DGRAM, "@landpledge-compat-sendmsg", false), Plain: ok, OpenBSD: killed},
		{ID: "escape/sendmsg-name/dgram-path-unix", Sandbox: pledged("stdio unix"), Op: sendmsgOp(unix.SOCK_DGRAM, "d/s", false), Plain: ok, OpenBSD: ok},
		{ID: "escape/sendmsg-name/dgram-abstract-unix", Sandbox: pledged("stdio unix"), Op: sendmsgOp(unix.SOCK_DGRAM, "@landpledge-compat-sendmsg", false), Plain: ok, OpenBSD: ok},
		// OpenBSD's socketpair is stdio whatever the type.
		{ID: "escape/socketpair-dgram/stdio", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_DGRAM, "d/s", true), Plain: ok, OpenBSD: ok, Linux: killed},
		{ID: "escape/socketpair-stream/stdio", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_STREAM, "d/s", true), Plain: ok, OpenBSD: ok},
		{ID: "escape/socketpair-seqpacket/stdio", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_SEQPACKET, "d/s", true), Plain: ok, OpenBSD: ok},
		// Connected stream and seqpacket pairs cannot address anything:
		// the kernel refuses the name (EISCONN) or ignores it.
		{ID: "escape/sendmsg-name/stream", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_STREAM, "d/s", false), Plain: "EISCONN", OpenBSD: killed, Linux: "EISCONN"},
		{ID: "escape/sendmsg-name/seqpacket", Sandbox: pledged("stdio"), Op: sendmsgOp(unix.SOCK_SEQPACKET, "d/s", false), Plain: ok, OpenBSD: killed, Linux: ok},
	}
}

// rawForkExit clones with flags (a fork: no CLONE_VM, no new stack); the
// child exits 0 at once, running nothing but raw syscalls (nosplit: it
// must not enter the Go runtime, whose other threads it lacks).
//
//go:nosplit
func rawForkExit(flags uintptr) (int, syscall.Errno) {
	pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, flags, 0, 0, 0, 0, 0)
	if e == 0 && pid == 0 {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
	}
	return int(pid), e
}

// cloneOp clones with flags|SIGCHLD and waits for the child.
func cloneOp(flags uintptr) Op {
	return simple(fmt.Sprintf("clone(%#x|SIGCHLD)", flags), func(*Fixture) error {
		pid, e := rawForkExit(flags | uintptr(unix.SIGCHLD))
		if e != 0 {
			return e
		}
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
			return fmt.Errorf("wait4: %v", err)
		}
		if ws.Signaled() || ws.ExitStatus() != 0 {
			return fmt.Errorf("child: %v", ws)
		}
		return nil
	}).c("clone", strconv.Itoa(int(flags)))
}

// forkExecProbe runs the probe with args (the second one a fixture
// path) through os/exec with extra clone flags (Go forks with
// clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD|flags|SIGCHLD)).
func forkExecProbe(flags uintptr, mode, name string) Op {
	return simple(fmt.Sprintf("clone(%#x) and exec probe %s %s", flags, mode, name), func(fx *Fixture) error {
		cmd := exec.Command(fx.path("d/x"), mode, fx.path(name))
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags}
		return cmd.Run()
	}).c("clone-exec", strconv.Itoa(int(flags)), mode, name)
}

func escapeCloneUntracedCases() []Case {
	execReads := Sandbox{Pledges: []string{"stdio rpath proc exec"}, Exec: str("stdio")}
	return []Case{
		// OpenBSD has no CLONE_UNTRACED; its nearest equivalent, fork,
		// is allowed under proc (and traced like any child).
		{ID: "escape/clone-untraced/proc", Sandbox: pledged("stdio proc"), Op: cloneOp(unix.CLONE_UNTRACED), Plain: ok, OpenBSD: ok, Linux: killed},
		{ID: "escape/clone-traced/proc", Sandbox: pledged("stdio proc"), Op: cloneOp(0), Plain: ok, OpenBSD: ok},
		// Pledge("stdio proc exec", "stdio"): the untraced child's exec
		// would get no execpromises filter (the supervisor injects it at
		// exec stops it never sees).
		{ID: "escape/clone-untraced/exec", Sandbox: Sandbox{Pledges: []string{"stdio proc exec"}, Exec: str("stdio")},
			Op: forkExecProbe(unix.CLONE_UNTRACED, "exit", "d"), Plain: ok, OpenBSD: ok, Linux: killed},
		// With rpath pledged, the untraced child's exec'd image would read
		// under the pledger's promises; OpenBSD's forked child execs under
		// the execpromises, and its open without rpath is killed.
		{ID: "escape/clone-untraced/execpromises", Sandbox: execReads, Op: forkExecProbe(unix.CLONE_UNTRACED, "open", "d/f"),
			Plain: ok, OpenBSD: "child:SIGSYS", Linux: killed},
		// Traced, the exec'd probe runs under the execpromises: its open
		// gets the table's EACCES (COMPAT.md, pledge section).
		{ID: "escape/clone-traced/execpromises", Sandbox: execReads, Op: forkExecProbe(0, "open", "d/f"),
			Plain: ok, OpenBSD: "child:SIGSYS", Linux: "child:EACCES"},
	}
}

func TestEscapeSendmsgName(t *testing.T) { runCases(t, escapeSendmsgCases()) }

func TestEscapeCloneUntraced(t *testing.T) { runCases(t, escapeCloneUntracedCases()) }
