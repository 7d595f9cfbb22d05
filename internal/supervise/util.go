package supervise

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

func unsafePtr[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// ProcStatus reads /proc/WHO/status (WHO a pid, a tid or "self") as field
// name -> value, the value trimmed ("Tgid" -> "4242").
func ProcStatus(who string) (map[string]string, error) {
	b, err := os.ReadFile("/proc/" + who + "/status")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out, nil
}

// statusInt is the integer field key of tid's /proc status, 0 when it
// cannot be read.
func statusInt(tid int, key string) int {
	st, err := ProcStatus(strconv.Itoa(tid))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(st[key])
	return n
}

// parseIDs parses a /proc status list of decimal ids ("1000 1000 1000
// 1000", or the groups).
func parseIDs(s string) []uint32 {
	var ids []uint32
	for _, f := range strings.Fields(s) {
		if n, err := strconv.ParseUint(f, 10, 32); err == nil {
			ids = append(ids, uint32(n))
		}
	}
	return ids
}

// NiceOf is pid's nice value (field 19 of /proc/PID/stat).
func NiceOf(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("/proc/PID/stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 17 {
		return 0, errors.New("/proc/PID/stat: too short")
	}
	return strconv.Atoi(f[16]) // field 19, counting from 3 after the name
}

// eventOf is the PTRACE_EVENT_* of a ptrace-stop's wait status, 0 for
// none. (unix.WaitStatus.TrapCause says -1 unless the stop signal is
// SIGTRAP, but a seized tracee's group-stop is a PTRACE_EVENT_STOP with
// the stop signal: ptrace(2), "Group-stop".)
func eventOf(ws unix.WaitStatus) int { return int(uint32(ws)>>16) & 0xff }
