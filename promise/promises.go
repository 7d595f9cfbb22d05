package promise

import (
	"fmt"
	"math/bits"
	"strings"
	"syscall"
)

// Set is a set of pledge promises, one bit per name OpenBSD's kernel
// accepts (sys/kern/kern_pledge.c pledgenames). The zero value is the empty
// set: pledge("") allows nothing but exiting.
type Set uint64

// The 36 promises of OpenBSD's pledge(2), in canonical order (the order
// String prints). What each one allows on Linux is the promise table in
// table.go, rendered into docs/promises.md.
const (
	Stdio Set = 1 << iota
	Rpath
	Wpath
	Cpath
	Dpath
	Tmppath
	Inet
	Mcast
	Fattr
	Chown
	Flock
	Unix
	DNS
	Getpw
	Sendfd
	Recvfd
	Tape
	Tty
	Proc
	Exec
	ProtExec
	Settime
	Ps
	Vminfo
	ID
	Pf
	Route
	Wroute
	Audio
	Video
	Bpf
	Unveil
	Error
	Disklabel
	Drm
	Vmm

	numPromises = iota
)

// promiseNames are the OpenBSD spellings, indexed by bit number.
var promiseNames = [numPromises]string{
	"stdio", "rpath", "wpath", "cpath", "dpath", "tmppath", "inet", "mcast",
	"fattr", "chown", "flock", "unix", "dns", "getpw", "sendfd", "recvfd",
	"tape", "tty", "proc", "exec", "prot_exec", "settime", "ps", "vminfo",
	"id", "pf", "route", "wroute", "audio", "video", "bpf", "unveil",
	"error", "disklabel", "drm", "vmm",
}

// maxPromiseLen is the longest promise string OpenBSD accepts: the kernel
// copies it with copyinstr(..., MAXPATHLEN) (1024 bytes with the NUL), so
// 1024 or more characters fail with ENAMETOOLONG.
const maxPromiseLen = 1023

// Names returns the 36 promise names OpenBSD accepts, in canonical
// order.
func Names() []string {
	return append([]string(nil), promiseNames[:]...)
}

// Parse parses a promise string by OpenBSD's rules
// (kern_pledge.c parsepledges): words separated by spaces; runs of spaces
// and trailing spaces are fine, a leading space makes an empty word; an
// empty or unknown word fails with EINVAL; duplicates are fine; "" is the
// empty set. A string longer than 1023 bytes fails with ENAMETOOLONG before
// any word is looked at, as copyinstr fails first in the kernel. Errors wrap
// the errno and name the bad word.
func Parse(s string) (Set, error) {
	if len(s) > maxPromiseLen {
		return 0, fmt.Errorf("promises of %d bytes (at most %d): %w", len(s), maxPromiseLen, syscall.ENAMETOOLONG)
	}
	var p Set
	for rest := s; rest != ""; {
		word, after, _ := strings.Cut(rest, " ")
		rest = strings.TrimLeft(after, " ")
		q, ok := promiseByName(word)
		if !ok {
			return 0, fmt.Errorf("promise %q: %w", word, syscall.EINVAL)
		}
		p |= q
	}
	return p, nil
}

// promiseByName looks up one word; "" is not a promise.
func promiseByName(word string) (Set, bool) {
	for i, n := range promiseNames {
		if n == word {
			return 1 << i, true
		}
	}
	return 0, false
}

// String lists the promises in p, space-separated, in canonical order: a
// string Parse turns back into p. Bits beyond the 36 promises are
// not printed.
func (p Set) String() string {
	var b strings.Builder
	for q := p & All; q != 0; q &= q - 1 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(promiseNames[bits.TrailingZeros64(uint64(q))])
	}
	return b.String()
}

// Has reports whether p holds every promise of q.
func (p Set) Has(q Set) bool { return p&q == q }

// All is the set of all 36 promises.
const All Set = 1<<numPromises - 1
