//go:build linux

package landlock

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Domain is a Landlock domain ready to enforce, in the one shape both
// enforcers use: Enforce restricts this process with it, and the
// supervisor (internal/sandbox) injects the same calls into a stopped
// process. It is the three calls' arguments: the handled rights of
// landlock_create_ruleset(2), one landlock_add_rule(2) per rule and the
// flags of landlock_restrict_self(2).
type Domain struct {
	Attr RulesetAttr
	// Rules are LANDLOCK_RULE_PATH_BENEATH rules on open files (O_PATH
	// descriptors), their access already masked the way the kernel
	// accepts it: within Attr.HandledAccessFS, within AccessFSFile on a
	// non-directory, never empty (landlock_add_rule(2) refuses the first
	// two with EINVAL and the last with ENOMSG).
	Rules []PathRule
	// RestrictFlags are the LANDLOCK_RESTRICT_SELF_LOG_* audit bits (ABI
	// 7); the kernel refuses flags it does not know with EINVAL, so they
	// must be within RestrictFlags(abi). TSYNC is the enforcer's to set.
	RestrictFlags uint32
}

// PathRule is one struct landlock_path_beneath_attr: Access on the file or
// the directory tree that Fd refers to. Path names it in messages.
type PathRule struct {
	Fd     int
	Access uint64
	Path   string
}

// Close closes the rules' descriptors; the domain cannot be enforced
// afterwards. A domain already enforced stays in force.
func (d *Domain) Close() {
	for i := range d.Rules {
		if d.Rules[i].Fd >= 0 {
			unix.Close(d.Rules[i].Fd)
			d.Rules[i].Fd = -1
		}
	}
}

// Enforce restricts every thread of this process with d: it creates the
// ruleset, adds each rule and calls RestrictSelf (no_new_privs first, all
// threads). The rule descriptors stay open; the caller closes them (Close).
func (d *Domain) Enforce() error {
	rs, err := d.Ruleset()
	if err != nil {
		return err
	}
	defer rs.Close()
	return rs.RestrictSelf(d.RestrictFlags)
}

// Ruleset creates d's ruleset and adds its rules, without enforcing it:
// its descriptor (Ruleset.Fd) may be passed to another process, which
// then enforces it with landlock_restrict_self(2) alone (the exec
// broker's fresh processes). The caller closes it.
func (d *Domain) Ruleset() (*Ruleset, error) {
	rs, err := NewRuleset(d.Attr)
	if err != nil {
		return nil, err
	}
	for _, r := range d.Rules {
		if err := rs.addPathBeneath(r.Fd, r.Access, r.Path); err != nil {
			rs.Close()
			return nil, err
		}
	}
	return rs, nil
}

// KernelAttr returns struct landlock_ruleset_attr as landlock_create_ruleset
// reads it: AttrSize bytes, up to and including scoped. The kernel accepts
// a struct longer than it knows when the unknown tail is zero, so the same
// bytes work on every ABI when the fields newer than it are zero.
func (a RulesetAttr) KernelAttr() []byte {
	k := unix.LandlockRulesetAttr{
		Handled_access_fs:  a.HandledAccessFS,
		Handled_access_net: a.HandledAccessNet,
		Scoped:             a.Scoped,
	}
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&k)), unsafe.Sizeof(k))[:rulesetAttrSize]...)
}

// PathBeneathSize is sizeof(struct landlock_path_beneath_attr): the struct
// is __attribute__((packed)), __u64 allowed_access then __s32 parent_fd
// (include/uapi/linux/landlock.h).
const PathBeneathSize = 12

// KernelAttr returns struct landlock_path_beneath_attr for r, as
// landlock_add_rule reads it, with r's Fd as parent_fd: valid in the
// process where Fd is open.
func (r PathRule) KernelAttr() []byte {
	b := make([]byte, PathBeneathSize)
	binary.NativeEndian.PutUint64(b[0:], r.Access)
	binary.NativeEndian.PutUint32(b[8:], uint32(int32(r.Fd)))
	return b
}
