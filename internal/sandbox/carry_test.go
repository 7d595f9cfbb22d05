package sandbox

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// carry reads a process's state from the kernel: here a sleep started with
// a known argv, environment, umask, limit, nice value, ignored signal and
// an extra descriptor. Our copy of each descriptor is the same open file.
func TestCarry(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cmd := exec.Command("/bin/sh", "-c", `trap "" USR1; ulimit -n 77; umask 027; exec /bin/sleep 30 0`)
	cmd.Env = []string{"CARRY=1", "EMPTY="}
	cmd.ExtraFiles = []*os.File{w} // fd 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	if err := unix.Setpriority(unix.PRIO_PROCESS, pid, 4); err != nil {
		t.Fatal(err)
	}
	// The shell has exec'd sleep once its comm says so and its new
	// environment is in place: the kernel names the image (begin_new_exec)
	// before it copies argv and the environment to the new stack
	// (create_elf_tables), so /proc/PID/environ is empty in between. The
	// broker reads at the exec stop, after both.
	for {
		b, _ := os.ReadFile("/proc/" + itoa(pid) + "/comm")
		env, _ := os.ReadFile("/proc/" + itoa(pid) + "/environ")
		if strings.TrimSpace(string(b)) == "sleep" && len(env) > 0 {
			break
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 1e6}, nil)
	}
	c, err := carry(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if want := []string{"/bin/sleep", "30", "0"}; !slices.Equal(c.argv, want) {
		t.Errorf("argv %q, want %q", c.argv, want)
	}
	// The shell adds PWD.
	if want := []string{"CARRY=1", "EMPTY="}; len(c.env) < 2 || !slices.Equal(c.env[:2], want) {
		t.Errorf("env %q, want %q", c.env, want)
	}
	if c.comm != "sleep" || c.umask != 0o027 || c.nice != 4 || c.pgid != pid {
		t.Errorf("comm %q umask %o nice %d pgid %d, want sleep 027 4 %d", c.comm, c.umask, c.nice, c.pgid, pid)
	}
	if c.rlimits[unix.RLIMIT_NOFILE].Cur != 77 {
		t.Errorf("RLIMIT_NOFILE %+v, want soft 77", c.rlimits[unix.RLIMIT_NOFILE])
	}
	if c.sigIgn&(1<<(unix.SIGUSR1-1)) == 0 {
		t.Errorf("SigIgn %#x lacks SIGUSR1", c.sigIgn)
	}
	if c.uid != [3]uint32{uint32(os.Getuid()), uint32(os.Geteuid()), uint32(os.Geteuid())} {
		t.Errorf("uid %v", c.uid)
	}
	if len(c.fds) < 4 || c.fds[3] < 0 {
		t.Fatalf("fds %v: no copy of fd 3", c.fds)
	}
	// The copy is the pipe's write end: what we write through it arrives.
	if _, err := unix.Write(c.fds[3], []byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := r.Read(b); err != nil || b[0] != 'x' {
		t.Errorf("read %q, %v through the copied descriptor", b, err)
	}
	var st, exe unix.Stat_t
	unix.Fstat(c.exe, &st)
	unix.Stat("/bin/sleep", &exe)
	if st.Ino != exe.Ino || st.Dev != exe.Dev {
		t.Errorf("exe is not /bin/sleep")
	}
	if c.privileged {
		t.Errorf("/bin/sleep grants privileges?")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// verify refuses a new process whose ids, groups or capabilities are not
// the caller's (no more than its capabilities): here this process checked
// against its own state (accepted) and against a caller with another uid
// or a narrower bounding set (refused with EPERM).
func TestVerify(t *testing.T) {
	self := &carried{caps: map[string]uint64{}}
	if err := self.readStatus(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if err := self.verify(os.Getpid()); err != nil {
		t.Errorf("verify against its own state: %v", err)
	}
	other := *self
	other.uid[1]++
	if err := other.verify(os.Getpid()); !errors.Is(err, unix.EPERM) {
		t.Errorf("another euid: %v, want EPERM", err)
	}
	narrower := *self
	narrower.caps = map[string]uint64{}
	for k, v := range self.caps {
		narrower.caps[k] = v
	}
	narrower.caps["CapBnd"] = 0
	if err := narrower.verify(os.Getpid()); self.caps["CapBnd"] != 0 && !errors.Is(err, unix.EPERM) {
		t.Errorf("a narrower bounding set: %v, want EPERM", err)
	}
}
