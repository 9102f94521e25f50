package behave

import (
	"sync"
	"syscall"
	"time"
)

// PreciseTail is the last stretch of a Sleep that is slept with
// nanosleep(2) instead of a Go timer.
const PreciseTail = 2 * time.Millisecond

var timerPool sync.Pool

// Sleep simulates d of processing and reports whether it ran to the end
// (false when quit closed first). Use it wherever a subscriber's processing
// time is simulated, so every system's subscribers take the same time.
//
// Why not a plain timer: on Linux the Go runtime's timers wake up to ~1 ms
// late (epoll's millisecond timeout), which inflates a 10 ms processing
// time by 3-10 % and would make one system look slower than another merely
// by how it sleeps. The bulk of d is a pooled Go timer (cheap, interruptible
// by quit); the last PreciseTail is a nanosleep on the goroutine's own
// thread, which lands within ~0.1 ms. Only the tail holds a thread, so the
// threads in use stay near rate x 2 ms. It does not allocate in steady state.
func Sleep(d time.Duration, quit <-chan struct{}) bool {
	deadline := time.Now().Add(d)
	if d > PreciseTail {
		var t *time.Timer
		if v := timerPool.Get(); v != nil {
			t = v.(*time.Timer)
			t.Reset(d - PreciseTail)
		} else {
			t = time.NewTimer(d - PreciseTail)
		}
		select {
		case <-t.C:
			timerPool.Put(t)
		case <-quit:
			t.Stop()
			timerPool.Put(t)
			return false
		}
	}
	nanosleep(time.Until(deadline))
	select {
	case <-quit:
		return false
	default:
		return true
	}
}

// nanosleep blocks the calling thread for d (no-op for d <= 0).
func nanosleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for i := 0; i < 100; i++ { // EINTR restarts with the remainder; bounded
		var rem syscall.Timespec
		if err := syscall.Nanosleep(&ts, &rem); err != syscall.EINTR {
			return
		}
		ts = rem
	}
}
