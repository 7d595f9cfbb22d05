//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/landpledge/landpledge/internal/sandboxtest"
)

// TestNoFilterArch is Pledge on a Linux architecture without a promise
// table (riscv64, ppc64le, s390x...; haveFilter is false there), simulated
// by taking the table away: Pledge fails with ENOSYS, which matches
// errors.ErrUnsupported, before changing anything (the veil stays
// pending); with best effort it commits the veil (Landlock works there)
// and loads no filter, and CurrentState says the promises are not
// enforced.
func TestNoFilterArch(t *testing.T) {
	sandboxtest.Require(t, "landlock")
	file := readableFile(t)
	outside := readableFile(t) // another directory, not unveiled
	res := sandboxtest.Run(t, func() {
		haveFilter = false
		must("unveil", Unveil(filepath.Dir(file), "r"))
		err := Pledge("stdio rpath", "")
		sandboxtest.Report("strict", err)
		sandboxtest.Report("strict-unsupported", boolError(errors.Is(err, errors.ErrUnsupported)))
		sandboxtest.Report("strict-bad-promise", Pledge("stdio bogus", ""))
		st, veil := CurrentState(), UnveilStatus()
		fmt.Printf("sandboxtest: strict-state=pledged=%v filters=%d enforced=%v veil-enforced=%v locked=%v\n",
			st.Pledged, st.Filters, st.Enforced(), veil.Enforced, veil.Locked)
		sandboxtest.Report("strict-outside", openRead(outside))

		SetBestEffort(true)
		sandboxtest.Report("best-effort", Pledge("stdio rpath", ""))
		st, veil = CurrentState(), UnveilStatus()
		fmt.Printf("sandboxtest: best-effort-state=pledged=%v promises=%q filters=%d enforced=%v veil-enforced=%v locked=%v\n",
			st.Pledged, st.Promises.String(), st.Filters, st.Enforced(), veil.Enforced, veil.Locked)
		sandboxtest.Report("best-effort-inside", openRead(file))
		sandboxtest.Report("best-effort-outside", openRead(outside))
		sandboxtest.Report("best-effort-unfiltered", violate()) // socket: no filter loaded
		sandboxtest.Report("best-effort-wider", Pledge("stdio rpath inet", ""))
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "strict", "ENOSYS")
	res.WantOutcome(t, "strict-unsupported", "ok")
	res.WantOutcome(t, "strict-bad-promise", "EINVAL")
	res.WantOutcome(t, "strict-state", "pledged=false filters=0 enforced=false veil-enforced=false locked=false")
	res.WantOutcome(t, "strict-outside", "ok") // the veil is still pending
	res.WantOutcome(t, "best-effort", "ok")
	res.WantOutcome(t, "best-effort-state", `pledged=true promises="stdio rpath" filters=0 enforced=false veil-enforced=true locked=true`)
	res.WantOutcome(t, "best-effort-inside", "ok")
	res.WantOutcome(t, "best-effort-outside", "EACCES")
	res.WantOutcome(t, "best-effort-unfiltered", "ok")
	res.WantOutcome(t, "best-effort-wider", "EPERM")
}

// TestEnforcedWithFilter: on amd64 and arm64 a pledge loads a filter and
// CurrentState().Enforced() says so.
func TestEnforcedWithFilter(t *testing.T) {
	sandboxtest.Require(t, "seccomp")
	if !haveFilter {
		t.Skip("no promise table on this architecture (TestNoFilterArch)")
	}
	res := sandboxtest.Run(t, func() {
		fmt.Printf("sandboxtest: before=%v\n", CurrentState().Enforced())
		mustPledge("stdio", "")
		st := CurrentState()
		fmt.Printf("sandboxtest: after=%v filters=%d\n", st.Enforced(), st.Filters)
	})
	res.WantExit(t, 0)
	res.WantOutcome(t, "before", "false")
	res.WantOutcome(t, "after", "true filters=1")
}

// boolError is nil for true, an error for false, for Report.
func boolError(ok bool) error {
	if ok {
		return nil
	}
	return errors.New("false")
}
