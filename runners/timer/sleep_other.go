//go:build !linux

package timer

import "time"

type preciseClock struct{}

func (*preciseClock) sleep(d time.Duration, quit <-chan struct{}) bool { return timerSleep(d, quit) }

func (*preciseClock) wake(d time.Duration, quit <-chan struct{}) bool { return timerSleep(d, quit) }

// precise returns nil: no timerfd outside Linux, Sleep uses Go timers.
func precise() *preciseClock { return nil }
