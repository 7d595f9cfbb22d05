package sandbox

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/unveil"
)

// refuseInterpreter answers an exec whose new image is one of the ELF
// interpreters whose "x" the exec'ing process's veil only implies
// (unveil.ImpliedInterpreters: "r" on ld.so is what OpenBSD's exec of a
// dynamic program needs, "x" what Linux's does). Exec'd directly, ld.so
// runs any file it can read as a program, which OpenBSD's veil would not
// let the process exec (EACCES there); the broker would run it outside
// every sandbox. The image is known from /proc/X/exe (the file X's exec
// opened, X stopped), compared by device and inode.
func (x *execSuper) refuseInterpreter(pid int, p *Proc) error {
	implied := unveil.ImpliedInterpreters(x.veilOf(p))
	if len(implied) == 0 {
		return nil
	}
	var exe unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/exe", &exe); err != nil {
		return fmt.Errorf("its new image: %w", err)
	}
	for _, path := range implied {
		var st unix.Stat_t
		if unix.Stat(path, &st) == nil && st.Dev == exe.Dev && st.Ino == exe.Ino {
			return fmt.Errorf("its new image is the ELF interpreter %s, which the veil lets execute only "+
				"as the interpreter of a program (OpenBSD's veil refuses this exec: EACCES): %w", path, unix.EACCES)
		}
	}
	return nil
}

// veilOf is the veil of a process with Proc p as S knows it: its exec
// rule's (an image under execpromises, or a process that got the rule from
// P), else P's committed veil.
func (x *execSuper) veilOf(p *Proc) []unveil.Entry {
	var veil []veilEntry
	if p.exec != nil {
		veil = p.exec.veil
	} else {
		x.mu.Lock()
		veil = x.veil
		x.mu.Unlock()
	}
	out := make([]unveil.Entry, len(veil))
	for i, e := range veil {
		out[i] = unveil.Entry{Path: e.path, Perm: e.perm}
	}
	return out
}
