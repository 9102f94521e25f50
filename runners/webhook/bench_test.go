package webhook

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

// benchPayload is a 1 KiB JSON order event, like the generator's default.
var benchPayload = func() []byte {
	b := `{"type":"order.created","data":{"order_id":"ord_482913","customer":"cus_77123","city":"Lisbon","items":[{"sku":"sku-laptop","qty":1,"price_cents":129900}],"total_cents":129900,"currency":"EUR","note":"`
	tail := `"}}`
	return []byte(b + strings.Repeat("x", 1024-len(b)-len(tail)) + tail)
}()

// BenchmarkDispatch measures deliveries per second at maximum rate to one
// in-process no-op sink over 64 keep-alive connections, with everything a
// run does per delivery switched on: Standard Webhooks signing (and the
// sink's verification), idempotency bitmaps, e2e and attempt histograms.
// One op is one delivery, so allocs/op (-benchmem) is allocations per
// delivered event, sender and sink together; allocs/delivery reports the
// same figure from runtime.MemStats, over the timed deliveries only.
func BenchmarkDispatch(b *testing.B) {
	sc := testScenario(1000, time.Second, 0, 0)
	gen, err := load.New(sc)
	if err != nil {
		b.Fatal(err)
	}
	mp := measureNewPoint(gen, "noop")
	secret, _ := NewSecret()
	sink, err := NewSink(SinkConfig{Name: "noop", Secret: secret, Recorder: mp.Subs[0]})
	if err != nil {
		b.Fatal(err)
	}
	if err := sink.Start(); err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	cfg := DispatcherConfig{Webhook: *ConfigOf(sc), Secret: secret, AddBytes: mp.AddBytes}
	cfg.Webhook.Connections = scenarios.ConnKeepalive
	cfg.Webhook.MaxInFlight = 64
	d, err := NewDispatcher(cfg, []Target{{Name: "noop", URL: sink.URL(), Sub: mp.Subs[0], Phases: NewPhases()}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()

	var seq uint64
	feed := func(n int) {
		for i := 0; i < n; i++ {
			for d.QueueDepth() > 2048 {
				time.Sleep(100 * time.Microsecond)
			}
			d.Dispatch(load.Event{ID: gen.IDBase() + seq, Seq: seq, Key: int(seq % 16), Intended: load.Now(), Payload: benchPayload})
			seq++
		}
	}
	wait := func(total int64) {
		deadline := time.Now().Add(time.Minute)
		for mp.Subs[0].DeliveredCount() < total && time.Now().Before(deadline) {
			time.Sleep(200 * time.Microsecond)
		}
		if got := mp.Subs[0].DeliveredCount(); got < total {
			b.Fatalf("delivered %d of %d", got, total)
		}
	}
	// Warm the connections and pools.
	feed(2000)
	wait(int64(seq))

	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	feed(b.N)
	wait(int64(seq))
	el := time.Since(t0)
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N), "allocs/delivery")
	if st := sink.Stats(); st.SignatureFailures != 0 || st.Duplicates != 0 {
		b.Fatalf("sink stats %+v: want no signature failures or duplicates", st)
	}
}
