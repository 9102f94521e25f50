package measure

import (
	"syscall"
	"time"
)

type usage struct {
	user, sys float64
	maxRSS    int64
}

func durNs(ns int64) time.Duration { return time.Duration(ns) }

// readUsage reads the harness process's CPU times and max RSS. The max RSS
// is getrusage's high-water mark: the largest resident set the process has
// had since it started, all points and the set-up before them included. It
// never goes down, so in a sweep it is monotone across points.
func readUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return usage{user: tv(ru.Utime), sys: tv(ru.Stime), maxRSS: maxRSSBytes(ru.Maxrss)}
}

// PeakRSS is the process's peak resident set so far, in bytes: getrusage's
// ru_maxrss (a high-water mark that never goes down), 0 when it cannot be
// read. cmd/evbench reads it once more when it writes results.json, so the
// run's figure covers the teardown and the encoding after the last point.
func PeakRSS() int64 { return readUsage().maxRSS }
