package main

import "golang.org/x/sys/unix"

// The resources of -C -M -O -P -F (flags.go).
const (
	rlimitCPU    = unix.RLIMIT_CPU
	rlimitAS     = unix.RLIMIT_AS
	rlimitNOFILE = unix.RLIMIT_NOFILE
	rlimitNPROC  = unix.RLIMIT_NPROC
	rlimitFSIZE  = unix.RLIMIT_FSIZE
)
