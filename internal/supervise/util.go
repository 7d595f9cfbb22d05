package supervise

import (
	"bufio"
	"bytes"
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

// eventOf is the PTRACE_EVENT_* of a ptrace-stop's wait status, 0 for
// none. (unix.WaitStatus.TrapCause says -1 unless the stop signal is
// SIGTRAP, but a seized tracee's group-stop is a PTRACE_EVENT_STOP with
// the stop signal: ptrace(2), "Group-stop".)
func eventOf(ws unix.WaitStatus) int { return int(uint32(ws)>>16) & 0xff }
