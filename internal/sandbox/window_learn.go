package sandbox

import "strconv"

// For the pledge command's learn mode, which must tell the loader's own
// operations (granted by the loader window, needing no promise) from the
// program's: the window's checks, asked without deciding anything.

// Holds reports whether the file at path (such as /proc/PID/fd/N) is one
// of the image's own files, by identity. A nil Image holds none.
func (im *Image) Holds(path string) bool { return im != nil && im.has(path) }

// MapsCover reports whether every page of [addr, addr+length) of process
// pid is a mapping of one of the image's files, as the window checks an
// mprotect(PROT_EXEC).
func (im *Image) MapsCover(pid int, addr, length uint64) bool {
	return im != nil && im.mapsCover("/proc/"+strconv.Itoa(pid), addr, length)
}
