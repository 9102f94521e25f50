package timer

import (
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
