package unveil

// Read-only values of the unveil model for generators of other languages'
// copies of it (libpledge's C data, libpledge/internal/ctable); the
// permission letters' rights are Perm.Rights.

// NameRights is what a name unveiled with 'c' that is not a directory (a
// missing name, or an existing non-directory) puts on its parent
// directory beyond its own file rights (MakePlan, Plan.Exposed).
const NameRights = nameRights

// MaxPermLen is the longest permissions string ParsePerm accepts; longer
// ones are ENAMETOOLONG.
const MaxPermLen = maxPermLen
