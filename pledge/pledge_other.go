//go:build !linux && !openbsd

package pledge

import (
	"errors"
	"fmt"
	"runtime"
)

// Here there is neither pledge(2) and unveil(2) nor Landlock and seccomp:
// no kernel to pass the calls to.
var kernel *kernelCalls

// errUnsupported is every call's error unless best effort is on; it
// matches errors.ErrUnsupported on every platform.
var errUnsupported = fmt.Errorf("no pledge(2) or unveil(2) on %s/%s (landpledge enforces on OpenBSD and Linux): %w",
	runtime.GOOS, runtime.GOARCH, errors.ErrUnsupported)
