package timer

import (
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestSleepPrecision: simulated processing lands close to the asked time
// (a plain Go timer overshoots by up to ~1 ms on Linux).
func TestSleepPrecision(t *testing.T) {
	for _, d := range []time.Duration{300 * time.Microsecond, 10 * time.Millisecond} {
		var over []time.Duration
		for i := 0; i < 30; i++ {
			t0 := time.Now()
			if !Sleep(d, nil) {
				t.Fatal("Sleep reported quit without a quit channel")
			}
			el := time.Since(t0)
			if el < d {
				t.Fatalf("Sleep(%v) returned after %v: early", d, el)
			}
			over = append(over, el-d)
		}
		sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
		t.Logf("Sleep(%v): overshoot p50 %v, max %v", d, over[len(over)/2], over[len(over)-1])
		if over[len(over)/2] > 500*time.Microsecond {
			t.Errorf("Sleep(%v): median overshoot %v, want < 0.5 ms", d, over[len(over)/2])
		}
	}
}

func TestSleepQuit(t *testing.T) {
	quit := make(chan struct{})
	close(quit)
	t0 := time.Now()
	if Sleep(time.Second, quit) {
		t.Fatal("Sleep ignored a closed quit channel")
	}
	if el := time.Since(t0); el > 100*time.Millisecond {
		t.Fatalf("Sleep took %v after quit", el)
	}
}

// TestSleepMany: thousands of concurrent sleeps neither hold threads nor
// serialise: 5000 sleeps of 3 ms started together all end within a few ms
// of each other, each no earlier than asked.
func TestSleepMany(t *testing.T) {
	const n = 5000
	var wg sync.WaitGroup
	early := make(chan time.Duration, n)
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := time.Now()
			Sleep(3*time.Millisecond, nil)
			if el := time.Since(s); el < 3*time.Millisecond {
				early <- el
			}
		}()
	}
	wg.Wait()
	close(early)
	for el := range early {
		t.Fatalf("a sleep of 3 ms returned after %v", el)
	}
	if el := time.Since(t0); el > 500*time.Millisecond {
		t.Fatalf("5000 concurrent 3 ms sleeps took %v, want well under 0.5 s", el)
	}
}

// TestWakeWhenBusy: with every P kept busy by goroutines that yield but
// never block (as hundreds of consumer goroutines do), the netpoller that
// delivers the precise timer is consulted only from sysmon, up to 10 ms
// apart; Wake must still return close to on time (issue 15 item 4: consumer
// work must not delay the load generator's schedule).
func TestWakeWhenBusy(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4*runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for j := 0; j < 1000; j++ {
					_ = j * j
				}
				runtime.Gosched()
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	measure := func(f func(time.Duration, <-chan struct{}) bool) (p50, p90 time.Duration) {
		var over []time.Duration
		for i := 0; i < 40; i++ {
			t0 := time.Now()
			f(2*time.Millisecond, nil)
			el := time.Since(t0)
			if el < 2*time.Millisecond {
				t.Fatalf("woke after %v, before the 2 ms asked", el)
			}
			over = append(over, el-2*time.Millisecond)
		}
		sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
		return over[len(over)/2], over[len(over)*9/10]
	}
	s50, s90 := measure(Sleep)
	w50, w90 := measure(Wake)
	t.Logf("busy Ps: Sleep overshoot p50 %v p90 %v; Wake p50 %v p90 %v", s50, s90, w50, w90)
	// Sleep's median overshoot here is sysmon's ~10 ms netpoll period; Wake
	// must not wait for it. The bound leaves room for a loaded machine.
	if w50 > 5*time.Millisecond {
		t.Errorf("Wake(2ms) with busy Ps: median overshoot %v, want < 5 ms (Sleep: %v)", w50, s50)
	}
}
