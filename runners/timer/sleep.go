// Package timer sleeps precisely. The load generator paces events with it
// and subscribers simulate processing time with it, so neither adds the Go
// runtime's up-to-a-millisecond timer lateness to the measurements.
package timer

import (
	"sync"
	"time"
)

// Sleep waits for d and reports whether it ran to the end (false when quit
// closed first; quit may be nil). Use it wherever a subscriber's processing
// time is simulated or an event's intended send time is awaited.
//
// Why not time.Sleep or a plain timer: when the process is mostly idle,
// the Go runtime waits for its timers in epoll with a millisecond timeout,
// so they fire up to ~1 ms late. That inflates a 10 ms processing time by
// 3-10 % and would make systems differ by how they sleep rather than how
// they deliver. On Linux, Sleep waits on a shared timerfd instead: the
// netpoller wakes as soon as the kernel's high-resolution timer fires
// (~0.1 ms), and no goroutine holds an OS thread or a P while it waits, so
// thousands of concurrent sleeps cost no more than timers do. Elsewhere (or
// if the timerfd cannot be made) it falls back to a Go timer. It does not
// allocate in steady state.
func Sleep(d time.Duration, quit <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-quit:
			return false
		default:
			return true
		}
	}
	if c := precise(); c != nil {
		return c.sleep(d, quit)
	}
	return timerSleep(d, quit)
}

var timerPool sync.Pool

// Coarse waits like Sleep on a pooled Go timer: no allocation per call, but
// up to ~1 ms late on Linux. It suits waits whose precision does not reach
// a measurement (fault windows, Retry-After), and is Sleep's fallback where
// no timerfd exists.
func Coarse(d time.Duration, quit <-chan struct{}) bool { return timerSleep(d, quit) }

// timerSleep is the portable fallback: a pooled Go timer.
func timerSleep(d time.Duration, quit <-chan struct{}) bool {
	t := getTimer(d)
	select {
	case <-t.C:
		timerPool.Put(t)
		return true
	case <-quit:
		t.Stop()
		timerPool.Put(t)
		return false
	}
}

// Wake waits like Sleep, for a waiter whose lateness is itself measured
// (the load generator's pacer): it arms the precise timer and a Go timer
// for the same moment and returns at whichever fires first.
//
// Why both: the precise timer is delivered by the netpoller, which the Go
// scheduler consults only when a P runs out of work, or from sysmon, which
// polls it at most every 10 ms. When every P always has runnable goroutines
// (hundreds of consumer-group goroutines, a busy dispatcher), a timerfd
// wake-up can wait milliseconds in the kernel. Go's own timers are run by
// every P on each scheduling round, so under exactly that load they fire
// on time, while on an idle process they can be up to ~1 ms late, where the
// timerfd is not. It allocates only when the Go timer wins (the precise
// timer's channel cannot be reused then).
func Wake(d time.Duration, quit <-chan struct{}) bool {
	if d <= 0 {
		select {
		case <-quit:
			return false
		default:
			return true
		}
	}
	c := precise()
	if c == nil {
		return timerSleep(d, quit)
	}
	return c.wake(d, quit)
}

// getTimer returns a pooled Go timer set to fire after d.
func getTimer(d time.Duration) *time.Timer {
	if v := timerPool.Get(); v != nil {
		t := v.(*time.Timer)
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}
