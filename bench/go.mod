module github.com/landpledge/landpledge/bench

go 1.26.0

require (
	github.com/landlock-lsm/go-landlock v0.11.2
	github.com/landpledge/landpledge v0.0.0
	golang.org/x/sys v0.50.0
)

require kernel.org/pub/linux/libs/security/libcap/psx v1.2.78 // indirect

replace github.com/landpledge/landpledge => ../
