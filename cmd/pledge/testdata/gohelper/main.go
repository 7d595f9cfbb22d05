// Command gohelper is a statically linked test target for the pledge
// command: it performs the operation named by its first argument once and
// prints "sandboxtest: <op>=<OUTCOME>" (OUTCOME "ok" or the errno name).
package main

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

var ops = map[string]func(arg string) error{
	"open": func(arg string) error {
		fd, err := unix.Open(arg, unix.O_RDONLY, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	},
	"mmapexec": func(string) error {
		b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err == nil {
			unix.Munmap(b)
		}
		return err
	},
	"exec": func(arg string) error { return syscall.Exec(arg, []string{arg}, nil) },
	"socket": func(string) error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err == nil {
			unix.Close(fd)
		}
		return err
	},
}

func main() {
	if len(os.Args) < 2 || ops[os.Args[1]] == nil {
		os.Exit(2)
	}
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	outcome := "ok"
	if err := ops[os.Args[1]](arg); err != nil {
		outcome = unix.ErrnoName(err.(syscall.Errno))
	}
	fmt.Printf("sandboxtest: %s=%s\n", os.Args[1], outcome)
}
