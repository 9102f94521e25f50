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

// readUsage reads the harness process's CPU times and max RSS.
func readUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return usage{user: tv(ru.Utime), sys: tv(ru.Stime), maxRSS: int64(ru.Maxrss) * 1024}
}
