package sandbox

import (
	"golang.org/x/sys/unix"

	"github.com/landpledge/landpledge/landlock"
	"github.com/landpledge/landpledge/unveil"
)

// The Landlock domain of an image exec'd with execpromises. OpenBSD keeps
// the unveil state across an exec with execpromises; the fresh process
// the broker starts inherits nothing of the caller's Landlock domain, so
// the supervisor builds it again: the pledging process sends its unveil
// entries (resolved as its Unveil resolved them) right before it commits
// its veil (protocol: veil, commit), and at each such exec the supervisor
// plans them with package unveil's own engine (unveil.State.Prepare: the
// plan, ruleset and rule opening of the commit). The image's domain is
// that veil and the path layer of the execpromises in one
// (ImageDomain, as the pledge command gives its program): the named
// paths open by name, bypassing the veil, and the image's loader files
// (package ldso's resolution of the file exec'd) keep their reads. The
// supervisor builds the ruleset with rule descriptors of its own and
// passes the new process the ruleset's descriptor, which it enforces and
// closes before its image runs.

// veilEntry is one unveil entry of the pledging process.
type veilEntry struct {
	path string
	perm unveil.Perm
}

// execRule is what the images a process execs get: exactly the
// execpromises filter, and the veil the process had when it got the rule.
// A nil rule runs them unpledged and unveiled.
type execRule struct {
	filter *Compiled
	veil   []veilEntry // none: no veil
	// named are the named paths of the execpromises, opened when S got
	// them (nil without a path layer).
	named *NamedFiles
}

// domain is the Landlock domain of an image exec'd under r, whose own
// files are img's, on ABI abi, and a func closing the rule descriptors it
// opened (its named paths' stay r's). It is nil when the execpromises
// filter has no path layer (no Landlock) and there is no veil to keep.
func (r *execRule) domain(img *Image, abi int) (*landlock.Domain, func(), error) {
	p := r.filter.Policy
	if abi < 1 || (!p.PathLayer && len(r.veil) == 0) {
		return nil, func() {}, nil
	}
	var prep *unveil.Prepared
	if len(r.veil) > 0 {
		st := unveil.New()
		for _, e := range r.veil {
			// An entry whose directory is gone since gives nothing:
			// fewer rights, as the commit's own classification would.
			st.Unveil(e.path, e.perm.String())
		}
		var err error
		if prep, err = st.Prepare(); err != nil {
			return nil, nil, err
		}
	}
	named := r.named
	if named == nil {
		named = &NamedFiles{}
	}
	loader := OpenLoader(img.paths)
	closeAll := func() {
		if prep != nil {
			prep.Close()
		}
		for _, r := range loader {
			unix.Close(r.Fd)
		}
	}
	d, _ := ImageDomain(prep, p.Promises, abi, named, loader, p.SupervisedReads)
	return d, closeAll, nil
}
