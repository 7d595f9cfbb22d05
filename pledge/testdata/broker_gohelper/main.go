// Command broker_gohelper is the Go program of broker_test.go, exec'd by a
// pledged Go child; what it does is os.Args[1]:
//
//	wider FILE     pledges itself wider than the process that exec'd it
//	               ("stdio rpath wpath cpath inet proc exec"), then a TCP
//	               connection to itself over 127.0.0.1, FILE written, and
//	               /bin/true run (by its own exec supervisor)
//	read-net FILE  FILE read, then a TCP socket
//	setuid E PROG  pledges "stdio rpath proc exec" with execpromises E ("-"
//	               for NULL) and runs "PROG euid" (a set-user-ID program)
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"

	"github.com/landpledge/landpledge/pledge"
)

func main() {
	if len(os.Args) < 3 {
		os.Exit(99)
	}
	file := os.Args[len(os.Args)-1]
	switch os.Args[1] {
	case "wider":
		report("pledge", pledge.PledgePromises("stdio rpath wpath cpath inet proc exec"))
		fmt.Printf("supervisor=%v\n", pledge.CurrentState().ExecSupervisor != 0)
		report("net", dial())
		report("file", os.WriteFile(file, []byte("written\n"), 0o644))
		cmd := exec.Command("/bin/true")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		report("exec", cmd.Run())
	case "read-net":
		_, err := os.ReadFile(file)
		report("read", err)
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if err == nil {
			syscall.Close(fd)
		}
		report("socket", err)
	case "setuid":
		var err error
		if e := os.Args[2]; e == "-" {
			err = pledge.PledgePromises("stdio rpath proc exec")
		} else {
			err = pledge.Pledge("stdio rpath proc exec", e)
		}
		report("pledge", err)
		cmd := exec.Command(os.Args[3], "euid")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		report("run", cmd.Run())
	default:
		os.Exit(99)
	}
}

// dial connects to a listener of its own on 127.0.0.1 and sends a byte.
func dial() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		return err
	}
	b := make([]byte, 1)
	_, err = s.Read(b)
	return err
}

func report(what string, err error) {
	if err != nil {
		fmt.Printf("%s=%v\n", what, err)
		return
	}
	fmt.Printf("%s=ok\n", what)
}
