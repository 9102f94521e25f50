package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evbench/evbench/runners/measure"
)

// serveMetrics exposes the running point's live figures in the Prometheus
// text format at http://addr/metrics, so a long run can be watched in
// Grafana like any other service. The values are the same snapshot the
// progress line shows; the final numbers are in results.json.
func serveMetrics(ln net.Listener, live func() *measure.Point) (url string, stop func()) {
	reg := prometheus.NewRegistry()
	snap := func(f func(measure.Snapshot) float64) func() float64 {
		return func() float64 {
			mp := live()
			if mp == nil {
				return 0
			}
			return f(mp.Snapshot())
		}
	}
	gauges := []struct {
		name, help string
		f          func(measure.Snapshot) float64
	}{
		{"evbench_offered_events_per_second", "Offered rate in the last second (the open-loop schedule).", func(s measure.Snapshot) float64 { return s.OfferedPerS }},
		{"evbench_achieved_events_per_second", "Events sent in the last second.", func(s measure.Snapshot) float64 { return s.AchievedPerS }},
		{"evbench_e2e_p99_seconds", "Worst subscriber's end-to-end p99 so far (from intended send time).", func(s measure.Snapshot) float64 { return s.P99.Seconds() }},
		{"evbench_in_flight", "Requests or records in flight.", func(s measure.Snapshot) float64 { return float64(s.InFlight) }},
		{"evbench_retries_waiting", "Webhook deliveries waiting for a retry.", func(s measure.Snapshot) float64 { return float64(s.RetriesWaiting) }},
		{"evbench_sent_events", "Measured events sent so far in this point.", func(s measure.Snapshot) float64 { return float64(s.Sent) }},
		{"evbench_delivered_events", "Unique deliveries so far, summed over subscribers.", func(s measure.Snapshot) float64 { return float64(s.Delivered) }},
		{"evbench_dead_lettered_events", "Events given up for good so far, summed over subscribers.", func(s measure.Snapshot) float64 { return float64(s.Lost) }},
		{"evbench_elapsed_seconds", "Time since the point's schedule started (warm-up included).", func(s measure.Snapshot) float64 { return s.Elapsed.Seconds() }},
	}
	for _, g := range gauges {
		if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help}, snap(g.f))); err != nil {
			panic(fmt.Sprintf("register %s: %v", g.name, err))
		}
	}
	system := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "evbench_point_info", Help: "1 for the system whose point is running."}, []string{"system"})
	reg.MustRegister(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		system.Reset()
		if mp := live(); mp != nil {
			system.WithLabelValues(mp.System).Set(1)
		}
		system.Collect(ch)
	}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("evbench: metrics server:", err)
		}
	}()
	return "http://" + ln.Addr().String() + "/metrics", func() { srv.Close() }
}
