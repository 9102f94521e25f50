package load

import "time"

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
// done closed first. Long waits use a timer; the last stretch is short so
// wake-up lateness stays near the runtime's timer resolution.
func sleepUntil(t int64, done <-chan struct{}) bool {
	for {
		d := time.Duration(t - Now())
		if d <= 0 {
			return true
		}
		if d > 2*time.Millisecond {
			timer := time.NewTimer(d - time.Millisecond)
			select {
			case <-done:
				timer.Stop()
				return false
			case <-timer.C:
			}
			continue
		}
		select {
		case <-done:
			return false
		default:
		}
		time.Sleep(d)
	}
}
