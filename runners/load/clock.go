package load

import (
	"sync/atomic"
	"time"

	"github.com/evbench/evbench/runners/timer"
)

// base anchors Now: a wall-clock reading taken once, advanced by the
// monotonic clock, so timestamps are comparable across goroutines and can
// travel in headers, yet never jump when the system clock is stepped.
var base = time.Now()

// Now returns the current time as Unix nanoseconds on the process's
// monotonic timeline. Every intended and completion time in evbench uses it.
func Now() int64 { return base.UnixNano() + int64(time.Since(base)) + shift.Load() }

// shift is added to Now (ShiftClock).
var shift atomic.Int64

// ShiftClock moves this process's clock (Now) by d, as if the host's clock
// were d ahead (negative: behind). It is a drill for the clock-offset
// checks of sharded runs (--clock-shift, docs/kubernetes.md): it is set
// once, before anything runs, and results say it was set.
func ShiftClock(d time.Duration) { shift.Store(int64(d)) }

// ClockShift returns the shift set by ShiftClock.
func ClockShift() time.Duration { return time.Duration(shift.Load()) }

// ToTime converts a Now-style timestamp to a time.Time.
func ToTime(ns int64) time.Time { return time.Unix(0, ns) }

// spinWindow is the last stretch before an intended time that waitUntil
// busy-waits instead of sleeping. A timer wake-up is late by tens of
// microseconds on an idle machine (more when every core is busy: the
// netpoller that delivers it is polled only between goroutines), so the
// timer is aimed this far ahead and the rest is spun. The spin keeps the P
// (no runtime.Gosched): yielding would put the pacer behind every runnable
// goroutine, which under load costs far more than the 20 us it holds.
const spinWindow = 20 * time.Microsecond

// spinGap and minSleep decide how Run waits for an event (issue 15 item 3).
// Each wait is a timer wake-up, and a wake-up costs the pacer far more
// CPU than handing out an event: a timerfd arm (a syscall), a Go timer,
// the netpoller and two goroutine switches: 20-35 us of CPU on the 2-core
// VM this was measured on, under load (BenchmarkGeneratorPaced's
// cpu-us/event at 10k/s, about one wake-up per event). Below one wake-up
// per event nothing is gained in precision that the generator-lag SLO
// (p99 < 1 ms) can see:
//
//   - an event at least spinGap away (rates up to 1,000/s) is awaited
//     precisely: sleep, then spin the last spinWindow. The spin costs at
//     most spinWindow/spinGap = 2 % of a core.
//   - a closer event is slept for without a spin, and for at least
//     minSleep: at rates above 1/minSleep (10,000/s) one wake-up hands out
//     every event that fell due meanwhile, so wake-ups are at most
//     10,000/s whatever the rate. That adds at most minSleep to an event's
//     lag, which is recorded as it is (intended times never move).
//
// Before, every event more than spinWindow away was awaited with a sleep
// and a spin, and each event closer than that with a sleep of its own: at
// 50,000/s the pacer alone used 12-16 us of CPU per event (60-80 % of a
// core); now 3.5-9 us (BenchmarkGeneratorPaced, load 18-22). In a profile
// of `evbench run` at 30,000/s the pacer went from 17 % of the process's
// CPU samples (mostly the spin) to 2 %.
const (
	spinGap  = time.Millisecond
	minSleep = 100 * time.Microsecond
)

// waitUntil blocks until Now() >= t or done is closed; it returns false when
// done is closed (also when t has already passed). It sleeps with
// timer.Wake (the precise timer backed by a Go timer, so a process whose Ps
// are all busy, e.g. with 100 consumer groups, still wakes the pacer on
// time) until spinWindow before t, then spins on the clock: the event
// leaves within a clock read of t unless the OS holds the thread back.
//
// With spin false it only sleeps (and may wake a few tens of microseconds
// late). Run passes false when the next event is less than spinGap away:
// at such rates spinning would burn a large share of a core for precision
// the lag SLO cannot see, and on a shared machine the kernel then preempts
// the pacer for whole time slices (milliseconds of lag), while a sleeper
// is woken promptly. The events that fell due meanwhile are handed out
// together in the next pass, each with its exact intended time.
func waitUntil(t int64, done <-chan struct{}, spin bool) bool {
	for {
		d := time.Duration(t - Now())
		if d <= 0 {
			// Check done even when the event is already due, so a closed
			// done always wins.
			return !isDone(done)
		}
		if !spin || d > spinWindow {
			s := d
			if spin {
				s -= spinWindow
			}
			if !timer.Wake(s, done) {
				return false
			}
			if !spin {
				return !isDone(done)
			}
			continue
		}
		for n := 0; Now() < t; n++ {
			if n&1023 == 1023 && isDone(done) {
				return false
			}
		}
	}
}

// isDone reports whether done is closed, without blocking.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
