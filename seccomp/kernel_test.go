package seccomp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
	"golang.org/x/sys/unix"
)

// These tests load real filters, always in a child process (sandboxtest.Run).

// sys makes a raw syscall and returns its errno as an error (nil for 0).
func sys(nr uintptr, args ...uintptr) (uintptr, error) {
	var a [3]uintptr
	copy(a[:], args)
	r, _, errno := unix.Syscall(nr, a[0], a[1], a[2])
	if errno != 0 {
		return r, errno
	}
	return r, nil
}

func mustCompile(f *Filter) Program {
	p, err := f.Compile()
	if err != nil {
		fmt.Println("compile:", err)
		os.Exit(3)
	}
	return p
}

// TestKernelErrno: argument conditions at both widths, Unknown and BadArch
// as the kernel applies them, on the loading thread and on a thread that
// already existed (TSYNC).
func TestKernelErrno(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	const val = 0x1234567
	res := sandboxtest.Run(t, func() {
		runtime.LockOSThread()
		mainTid := unix.Gettid()
		ready, run, done := make(chan int), make(chan struct{}), make(chan struct{})
		checks := func(prefix string) {
			sandboxtest.Report(prefix+"getppid(7)", second(sys(unix.SYS_GETPPID, 7)))
			sandboxtest.Report(prefix+"getppid(7+2^32)", second(sys(unix.SYS_GETPPID, 7|1<<32)))
			sandboxtest.Report(prefix+"getppid(0)", second(sys(unix.SYS_GETPPID, 0)))
			sandboxtest.Report(prefix+"getpgid(val)", second(sys(unix.SYS_GETPGID, val)))
			sandboxtest.Report(prefix+"getpgid(val+2^32)", second(sys(unix.SYS_GETPGID, val|1<<32)))
			sandboxtest.Report(prefix+"getpgid(0)", second(sys(unix.SYS_GETPGID, 0)))
			sandboxtest.Report(prefix+"nr1000", second(sys(1000)))
			if Native().X32Bit != 0 {
				sandboxtest.Report(prefix+"x32getpid", second(sys(uintptr(Native().X32Bit)|unix.SYS_GETPID)))
			}
		}
		go func() {
			runtime.LockOSThread()
			ready <- unix.Gettid()
			<-run
			checks("other:")
			close(done)
		}()
		if tid := <-ready; tid == mainTid {
			fmt.Println("same thread")
			os.Exit(4)
		}
		f := &Filter{Arch: Native(), Default: ActAllow, Unknown: ActErrno(unix.EDOM), BadArch: ActErrno(unix.EXDEV),
			Rules: []Rule{
				{Nr: unix.SYS_GETPPID, Conds: []Cond{{Arg: 0, Width: Word64, Op: Eq, Val: 7}}, Action: ActErrno(unix.EPERM)},
				{Nr: unix.SYS_GETPGID, Conds: []Cond{{Arg: 0, Width: Word32, Op: Eq, Val: val}}, Action: ActErrno(unix.ENOSYS)},
			}}
		_, err := Load(mustCompile(f), FlagTSync)
		sandboxtest.Report("load", err)
		checks("main:")
		close(run)
		<-done
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "load", "ok")
	want := map[string]string{
		"getppid(7)":        "EPERM",
		"getppid(7+2^32)":   "ok", // Word64: the high half differs
		"getppid(0)":        "ok",
		"getpgid(val)":      "ENOSYS",
		"getpgid(val+2^32)": "ENOSYS", // Word32: the high half is ignored
		"getpgid(0)":        "ok",
		"nr1000":            "EDOM", // Unknown (the kernel alone says ENOSYS)
	}
	if Native().X32Bit != 0 {
		want["x32getpid"] = "EXDEV" // BadArch
	}
	for _, thread := range []string{"main:", "other:"} {
		for k, v := range want {
			res.WantOutcome(t, thread+k, v)
		}
	}
}

func second(_ uintptr, err error) error { return err }

// TestKernelKillProcess: ActKillProcess ends the whole process with SIGSYS.
func TestKernelKillProcess(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	res := sandboxtest.Run(t, func() {
		f := &Filter{Arch: Native(), Default: ActAllow, Unknown: ActAllow, BadArch: ActAllow,
			Rules: []Rule{{Nr: unix.SYS_GETPPID, Action: ActKillProcess}}}
		_, err := Load(mustCompile(f), FlagTSync)
		sandboxtest.Report("load", err)
		sys(unix.SYS_GETPPID)
		fmt.Println("survived")
	})
	res.WantSignal(t, syscall.SIGSYS)
	res.WantOutcome(t, "load", "ok")
	if strings.Contains(res.Stdout, "survived") {
		t.Errorf("getppid returned under KILL_PROCESS:\n%v", res)
	}
}

// TestKernelListener: a notified syscall is received with its data and
// answered with a value, an errno, or "continue".
func TestKernelListener(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	res := sandboxtest.Run(t, func() {
		f := &Filter{Arch: Native(), Default: ActAllow, Unknown: ActAllow, BadArch: ActAllow,
			Rules: []Rule{{Nr: unix.SYS_GETPPID, Conds: []Cond{{Arg: 0, Width: Word64, Op: Eq, Val: 42}}, Action: ActUserNotif}}}
		p := mustCompile(f)
		// TSYNC with a listener needs TSYNC_ESRCH: EINVAL, nothing loaded.
		_, err := Load(p, FlagTSync|FlagNewListener)
		sandboxtest.Report("load-no-esrch", err)
		fd, err := Load(p, FlagTSync|FlagTSyncESRCH|FlagNewListener|FlagWaitKillableRecv)
		sandboxtest.Report("load", err)
		if err != nil {
			return
		}
		type result struct {
			r   uintptr
			err error
		}
		answers := []struct {
			key  string
			resp NotifResp
		}{
			{"value", NotifResp{Val: 4242}},
			{"errno", NotifResp{Error: -int32(unix.EACCES)}},
			{"continue", NotifResp{Flags: NotifFlagContinue}},
		}
		for _, a := range answers {
			got := make(chan result)
			go func() {
				runtime.LockOSThread() // a thread of its own: this one answers
				r, err := sys(unix.SYS_GETPPID, 42)
				got <- result{r, err}
			}()
			n, err := NotifRecv(fd)
			sandboxtest.Report(a.key+":recv", err)
			if err != nil {
				return
			}
			okData := n.Data.Nr == unix.SYS_GETPPID && n.Data.Args[0] == 42 && n.Data.Arch == Native().AuditArch
			sandboxtest.Report(a.key+":data", errIf(!okData, fmt.Sprintf("%+v", n.Data)))
			sandboxtest.Report(a.key+":valid", NotifIDValid(fd, n.ID))
			a.resp.ID = n.ID
			sandboxtest.Report(a.key+":send", NotifSend(fd, &a.resp))
			r := <-got
			sandboxtest.Report(a.key+":result", r.err)
			switch a.key {
			case "value":
				sandboxtest.Report(a.key+":4242", errIf(r.r != 4242, fmt.Sprint(r.r)))
			case "continue":
				sandboxtest.Report(a.key+":ppid", errIf(int(r.r) != os.Getppid(), fmt.Sprint(r.r)))
			}
			sandboxtest.Report(a.key+":valid-after", NotifIDValid(fd, n.ID))
		}
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "load-no-esrch", "EINVAL")
	res.WantOutcome(t, "load", "ok")
	for key, result := range map[string]string{"value": "ok", "errno": "EACCES", "continue": "ok"} {
		for _, step := range []string{"recv", "data", "valid", "send"} {
			res.WantOutcome(t, key+":"+step, "ok")
		}
		res.WantOutcome(t, key+":result", result)
		res.WantOutcome(t, key+":valid-after", "ENOENT")
	}
	res.WantOutcome(t, "value:4242", "ok")
	res.WantOutcome(t, "continue:ppid", "ok")
}

func errIf(bad bool, what string) error {
	if bad {
		return errors.New(what)
	}
	return nil
}

// TestKernelTSyncFailure: a thread with its own filter (loaded without
// TSYNC) makes TSYNC fail with its thread id, or ESRCH with TSYNC_ESRCH.
func TestKernelTSyncFailure(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	res := sandboxtest.Run(t, func() {
		allow := mustCompile(&Filter{Arch: Native(), Default: ActAllow, Unknown: ActAllow, BadArch: ActAllow})
		tid := make(chan int)
		go func() {
			_, err := Load(allow, 0) // this thread only; stays locked to it
			sandboxtest.Report("thread-load", err)
			tid <- unix.Gettid()
			select {}
		}()
		other := <-tid
		_, err := Load(allow, FlagTSync)
		sandboxtest.Report("tsync", err)
		var te *TSyncError
		sandboxtest.Report("tsync-tid", errIf(!errors.As(err, &te) || te.TID != other, fmt.Sprintf("%v, want thread %d", err, other)))
		_, err = Load(allow, FlagTSync|FlagTSyncESRCH)
		sandboxtest.Report("tsync-esrch", err)
		sandboxtest.Report("tsync-esrch-type", errIf(errors.As(err, &te), "TSyncError with TSYNC_ESRCH"))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "thread-load", "ok")
	res.WantOutcome(t, "tsync", "ESRCH")
	res.WantOutcome(t, "tsync-tid", "ok")
	res.WantOutcome(t, "tsync-esrch", "ESRCH")
	res.WantOutcome(t, "tsync-esrch-type", "ok")
}

func TestSupported(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	if err := Supported(); err != nil {
		t.Fatal(err)
	}
	if err := ActionAvailable(Action(0x12340000)); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("unknown action: %v, want EOPNOTSUPP", err)
	}
}

// benchChildEnv selects, in a re-executed test binary, the filter the
// getppid benchmark runs under.
const benchChildEnv = "LANDPLEDGE_SECCOMP_BENCH_FILTER"

var benchFilters = map[string]*Filter{
	// getppid allowed unconditionally: served by the constant-action cache.
	"const": {Arch: Native(), Default: ActAllow, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess,
		Rules: []Rule{{Nr: unix.SYS_GETPPID, Action: ActAllow}, {Nr: unix.SYS_GETPGID, Conds: []Cond{{Arg: 0, Width: Word32, Op: Eq, Val: 1}}, Action: ActErrno(unix.EPERM)}}},
	// getppid checks an argument: the BPF program runs on every call.
	"checked": {Arch: Native(), Default: ActAllow, Unknown: ActErrno(unix.ENOSYS), BadArch: ActKillProcess,
		Rules: []Rule{{Nr: unix.SYS_GETPPID, Conds: []Cond{{Arg: 0, Width: Word64, Op: Ne, Val: 7}}, Action: ActAllow}}},
}

var benchLoad sync.Once

// BenchmarkGetppid compares a syscall with no filter, under a filter that
// allows it constantly, and under one that checks an argument. Filters
// cannot be removed, so the filtered cases run in a child test binary
// whose output is copied here.
func BenchmarkGetppid(b *testing.B) {
	loop := func(b *testing.B) {
		for b.Loop() {
			unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
		}
	}
	if name := os.Getenv(benchChildEnv); name != "" {
		benchLoad.Do(func() {
			flags := FlagTSync
			if strings.HasSuffix(name, "+specallow") {
				flags |= FlagSpecAllow
			}
			if _, err := Load(mustCompile(benchFilters[strings.TrimSuffix(name, "+specallow")]), flags); err != nil {
				b.Fatal(err)
			}
		})
		b.Run(name, loop)
		return
	}
	b.Run("bare", loop)
	// "+specallow" loads with FlagSpecAllow, separating the cost of the
	// Speculative Store Bypass mitigation seccomp otherwise turns on.
	for _, name := range []string{"const", "checked", "const+specallow", "checked+specallow"} {
		exe, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^BenchmarkGetppid$", "-test.benchmem=false")
		cmd.Env = append(os.Environ(), benchChildEnv+"="+name)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child benchmark %s: %v\n%s", name, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "BenchmarkGetppid/") {
				fmt.Println(line)
			}
		}
	}
}
