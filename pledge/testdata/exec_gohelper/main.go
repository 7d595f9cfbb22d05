// Command exec_gohelper is the static Go program of exec_test.go: started
// by a process pledged with execpromises, it says it started, then maps
// anonymous memory PROT_EXEC, which execpromises "stdio" do not allow.
package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	fmt.Println("started")
	_, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, 4096, syscall.PROT_READ|syscall.PROT_EXEC,
		syscall.MAP_PRIVATE|syscall.MAP_ANON, ^uintptr(0), 0)
	if e != 0 {
		fmt.Printf("mmap: %v\n", e)
		os.Exit(0)
	}
	fmt.Println("mmap: ok")
}
