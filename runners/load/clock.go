package load

import (
	"time"

	"github.com/evbench/evbench/runners/timer"
)

// base anchors Now: a wall-clock reading taken once, advanced by the
// monotonic clock, so timestamps are comparable across goroutines and can
// travel in headers, yet never jump when the system clock is stepped.
var base = time.Now()

// Now returns the current time as Unix nanoseconds on the process's
// monotonic timeline. Every intended and completion time in evbench uses it.
func Now() int64 { return base.UnixNano() + int64(time.Since(base)) }

// ToTime converts a Now-style timestamp to a time.Time.
func ToTime(ns int64) time.Time { return time.Unix(0, ns) }

// sleepUntil blocks until Now() >= t or done is closed; it returns false when
// done is closed (also when t has already passed). It uses the precise timer, so events leave within about
// 0.1 ms of their intended time instead of the ~1 ms a Go timer can be late.
func sleepUntil(t int64, done <-chan struct{}) bool {
	for {
		d := time.Duration(t - Now())
		if d <= 0 {
			// Check done even when the event is already due: a generator
			// running behind schedule never sleeps, and would otherwise
			// ignore cancellation until it caught up (or the schedule ended).
			select {
			case <-done:
				return false
			default:
				return true
			}
		}
		if !timer.Sleep(d, done) {
			return false
		}
	}
}
