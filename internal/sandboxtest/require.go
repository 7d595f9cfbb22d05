package sandboxtest

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A test that needs something of the machine (a kernel feature, a
// compiler, a capability) skips, saying why, when the machine lacks it. CI
// knows what its machine has and lists it in LANDPLEDGE_REQUIRE
// (comma-separated feature names, as in features, and "landlock-abi=N"
// for Landlock ABI N or newer): a listed feature that is missing fails the
// test instead, so that nothing CI is meant to check passes by skipping.
// A name LANDPLEDGE_REQUIRE does not know fails every check: a typo there
// would otherwise turn a requirement back into a silent skip.

// requireEnv names the environment variable listing required features.
const requireEnv = "LANDPLEDGE_REQUIRE"

// abiFeature is the requirement with a value: "landlock-abi=7" says the
// machine's Landlock ABI is 7 or newer.
const abiFeature = "landlock-abi"

// features probe the machine: "" when the feature is there, else why not.
var features = map[string]func() string{
	"landlock": func() string {
		_, why := landlockABI()
		return why
	},
	"seccomp": func() string {
		// seccomp(SECCOMP_SET_MODE_STRICT, 1, NULL) is EINVAL exactly when
		// the syscall exists (strict mode takes no flags).
		_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_STRICT, 1, 0)
		if errno != unix.EINVAL {
			return fmt.Sprintf("seccomp probe: %v", errno)
		}
		return ""
	},
	// The C test programs: gcc for glibc builds, musl-gcc for musl ones
	// (.ci/run installs gcc, libc6-dev and musl-tools).
	"cc":   lookPath("gcc"),
	"musl": lookPath("musl-gcc"),
	// Node.js runs js/wasm builds: compat_test's TestUnsupportedPlatform
	// runs the code for systems without pledge(2) or Landlock under it
	// (.ci/run installs nodejs).
	"node": func() string {
		if _, err := exec.LookPath("node"); err != nil {
			return fmt.Sprintf("%v (apt-get install nodejs)", err)
		}
		return ""
	},
	// The programs cmd/pledge's learn tests learn and rerun (.ci/run
	// installs git and python3; the others are in every Debian).
	"learn-programs": func() string {
		for _, p := range LearnPrograms {
			if _, err := exec.LookPath(p); err != nil {
				return fmt.Sprintf("%v (.ci/run installs it)", err)
			}
		}
		return ""
	},
	// libpledge's install and header tests: pkg-config and a C++
	// compiler (.ci/run installs pkg-config and g++).
	"pkg-config": lookPath("pkg-config"),
	"c++":        lookPath("c++"),
	// Reading the kernel's audit records: joining NETLINK_AUDIT's
	// AUDIT_NLGRP_READLOG group needs CAP_AUDIT_READ (root, not nobody).
	"audit": func() string {
		fd, err := joinAuditLog()
		if err != nil {
			return fmt.Sprintf("joining the audit log group (needs CAP_AUDIT_READ): %v", err)
		}
		unix.Close(fd)
		return ""
	},
}

// LearnPrograms are the programs of the feature "learn-programs" (python3
// is the system's, not a version manager's shim on PATH).
var LearnPrograms = []string{"cat", "find", "gcc", "git", "gzip", "ls", "make", "sh", "sleep", "sort", "tar", "wc", "/usr/bin/python3"}

func lookPath(prog string) func() string {
	return func() string {
		if _, err := exec.LookPath(prog); err != nil {
			return fmt.Sprintf("%v (apt-get install gcc libc6-dev musl-tools)", err)
		}
		return ""
	}
}

// landlockABI returns the running kernel's Landlock ABI, or why there is
// none. A variable, so that this package's tests can fake an old kernel.
var landlockABI = func() (int, string) {
	// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
	abi, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0, fmt.Sprintf("landlock_create_ruleset: %v", errno)
	}
	if abi < 1 {
		return 0, fmt.Sprintf("landlock ABI %d", abi)
	}
	return int(abi), ""
}

// Require skips t when the machine lacks feature (a key of features),
// saying why, or fails t when LANDPLEDGE_REQUIRE lists the feature.
func Require(t testing.TB, feature string) {
	t.Helper()
	if why := missing(t, feature); why != "" {
		t.Skipf("machine lacks %s: %s", feature, why)
	}
}

// Have reports whether the machine has feature, for a test that checks
// something either way; it fails t when the feature is missing although
// LANDPLEDGE_REQUIRE lists it, and logs why it is missing otherwise.
func Have(t testing.TB, feature string) bool {
	t.Helper()
	why := missing(t, feature)
	if why != "" {
		t.Logf("machine lacks %s: %s", feature, why)
	}
	return why == ""
}

// RequireABI skips t unless the kernel has Landlock ABI min or newer, or
// fails t when LANDPLEDGE_REQUIRE says landlock-abi=N with N >= min. It
// returns the running ABI.
func RequireABI(t testing.TB, min int) int {
	t.Helper()
	Require(t, "landlock")
	abi, _ := landlockABI()
	if abi >= min {
		return abi
	}
	if n := required(t)[abiFeature]; n >= min {
		t.Fatalf("Landlock ABI %d is required (%s=%s) but the kernel has ABI %d", n, requireEnv, os.Getenv(requireEnv), abi)
	}
	t.Skipf("kernel has Landlock ABI %d; this test needs ABI %d", abi, min)
	return abi
}

// missing probes feature: "" when the machine has it, else why not. It
// fails t when the feature is unknown, or missing and required.
func missing(t testing.TB, feature string) string {
	t.Helper()
	probe, ok := features[feature]
	if !ok {
		t.Fatalf("sandboxtest: unknown feature %q", feature)
	}
	req := required(t)
	why := probe()
	if _, must := req[feature]; must && why != "" {
		t.Fatalf("%s is required (%s=%s) but unavailable: %s", feature, requireEnv, os.Getenv(requireEnv), why)
	}
	return why
}

// required parses LANDPLEDGE_REQUIRE into feature -> value (0 for the
// features without one), failing t on any name or value it does not know.
func required(t testing.TB) map[string]int {
	t.Helper()
	req, err := parseRequire(os.Getenv(requireEnv))
	if err != nil {
		t.Fatalf("sandboxtest: %s=%s: %v", requireEnv, os.Getenv(requireEnv), err)
	}
	return req
}

func parseRequire(s string) (map[string]int, error) {
	req := map[string]int{}
	for _, f := range strings.Split(s, ",") {
		name, val, hasVal := strings.Cut(strings.TrimSpace(f), "=")
		switch {
		case name == "" && !hasVal:
			continue
		case name == abiFeature:
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s wants an ABI number >= 1, as in %s=7; got %q", abiFeature, abiFeature, val)
			}
			req[name] = n
		case features[name] == nil:
			return nil, fmt.Errorf("unknown feature %q (known: %s, %s=N)", name, strings.Join(knownFeatures(), ", "), abiFeature)
		case hasVal:
			return nil, fmt.Errorf("feature %q takes no value, got %q", name, f)
		default:
			req[name] = 0
		}
	}
	return req, nil
}

func knownFeatures() []string {
	var names []string
	for f := range features {
		names = append(names, f)
	}
	slices.Sort(names)
	return names
}
