//go:build linux

package timer

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/evbench/evbench/runners/internal/deadline"
)

// preciseClock multiplexes every Sleep onto one timerfd: a min-heap of
// deadlines, the timerfd armed for the earliest, and one goroutine that
// blocks reading it through the netpoller and wakes the sleepers that are due.
type preciseClock struct {
	fd    int
	f     *os.File
	mu    sync.Mutex
	h     deadline.Heap[chan struct{}] // sleepers by wake-up time (mono())
	armed int64                        // deadline the timerfd is armed for; 0 when disarmed
	chans sync.Pool                    // chan struct{} (buffered 1)
}

var (
	clockOnce sync.Once
	clock     *preciseClock
	monoBase  = time.Now()
)

// mono is a monotonic clock reading in ns (vDSO-backed, no syscall).
func mono() int64 { return int64(time.Since(monoBase)) }

// precise returns the shared clock, or nil when no timerfd can be made.
func precise() *preciseClock {
	clockOnce.Do(func() {
		fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
		if err != nil {
			return
		}
		c := &preciseClock{fd: fd, f: os.NewFile(uintptr(fd), "evbench-timerfd")}
		c.chans.New = func() any { return make(chan struct{}, 1) }
		go c.loop()
		clock = c
	})
	return clock
}

func (c *preciseClock) sleep(d time.Duration, quit <-chan struct{}) bool {
	ch := c.chans.Get().(chan struct{})
	c.add(mono()+int64(d), ch)
	select {
	case <-ch:
		c.chans.Put(ch)
		return true
	case <-quit:
		// ch stays in the heap and will be signalled later: it must not be
		// reused, so it is left to the garbage collector.
		return false
	}
}

// wake is Wake on the shared clock: the precise timer and a pooled Go timer
// for the same moment, whichever fires first.
func (c *preciseClock) wake(d time.Duration, quit <-chan struct{}) bool {
	ch := c.chans.Get().(chan struct{})
	c.add(mono()+int64(d), ch)
	t := getTimer(d)
	select {
	case <-ch:
		t.Stop()
		timerPool.Put(t)
		c.chans.Put(ch)
		return true
	case <-t.C:
		timerPool.Put(t)
		return true // ch is still in the heap: left to the garbage collector
	case <-quit:
		t.Stop()
		timerPool.Put(t)
		return false
	}
}

// add schedules ch to be signalled at (monotonic ns) and re-arms the
// timerfd when that is the new earliest deadline.
func (c *preciseClock) add(at int64, ch chan struct{}) {
	c.mu.Lock()
	if c.h.Push(at, ch) && (c.armed == 0 || at < c.armed) {
		c.armLocked(at)
	}
	c.mu.Unlock()
}

// armLocked sets the timerfd to fire at (monotonic ns), or disarms it for 0.
func (c *preciseClock) armLocked(at int64) {
	var spec unix.ItimerSpec
	if at != 0 {
		rel := at - mono()
		if rel < 1000 {
			rel = 1000 // already due: fire (almost) at once; 0 would disarm
		}
		spec.Value = unix.NsecToTimespec(rel)
	}
	if err := unix.TimerfdSettime(c.fd, 0, &spec, nil); err != nil {
		// Cannot happen with a valid fd; wake everyone rather than hang.
		at = 0
		for _, ch := range c.h.Drain(nil) {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
	c.armed = at
}

// loop waits for the timerfd and wakes the due sleepers.
func (c *preciseClock) loop() {
	var buf [8]byte
	var due []chan struct{}
	for {
		if _, err := c.f.Read(buf[:]); err != nil && !os.IsTimeout(err) {
			// Reads only fail if the fd is gone; keep sleepers from hanging.
			time.Sleep(time.Millisecond)
		}
		now := mono()
		c.mu.Lock()
		due = c.h.PopDue(now, due)
		if next, ok := c.h.Next(); ok {
			c.armLocked(next)
		} else {
			// A one-shot timerfd that fired is disarmed already: saying so
			// costs no syscall (disarming it did, once per wake-up). Should
			// it still be armed for a deadline whose sleeper add()ed and
			// was popped here, it fires once more and this loop finds
			// nothing due: harmless.
			c.armed = 0
		}
		c.mu.Unlock()
		for i, ch := range due {
			select {
			case ch <- struct{}{}:
			default:
			}
			due[i] = nil
		}
		due = due[:0]
	}
}
