package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/measure"
)

// defaultMetricsLinger is how long --metrics-addr keeps serving after a run
// that ended normally: one scrape interval of the usual Prometheus
// configuration (15 s), so the final values are scraped at least once.
const defaultMetricsLinger = 15 * time.Second

// liveMetrics exposes a run's figures in the Prometheus text format at
// /metrics, following Prometheus' naming conventions:
//
//   - cumulative counts are counters named *_total, labelled by system (and
//     subscriber where they are per subscriber). They count over the whole
//     run: a finished point's final counts (from its results) plus the
//     running point's live counts, so they only go up from point to point
//     of a sweep; rates come from rate() on them, not from rate gauges.
//   - values that go up and down (in flight, retries waiting, the p99 so
//     far, the scheduled rate as a set point) are gauges of the running
//     point, absent between points.
//   - evbench_run_finished is 1 once results.json is written: the counters
//     then hold the run's final values (see --metrics-linger).
type liveMetrics struct {
	mu       sync.Mutex
	live     *measure.Point
	finished map[counterKey]float64 // final counts of finished points
	reported map[counterKey]float64 // last value served, to never go down
	points   map[[2]string]float64  // points completed by system and status
	done     bool

	sentDesc, delivDesc, deadDesc, retryDesc, pointsDesc *prometheus.Desc
	p99Desc, inFlightDesc, waitingDesc, schedDesc        *prometheus.Desc
	elapsedDesc, infoDesc, finishedDesc                  *prometheus.Desc
}

// counterKey names one counter series.
type counterKey struct {
	metric, system, subscriber string
}

func newLiveMetrics() *liveMetrics {
	sys, sub := []string{"system"}, []string{"system", "subscriber"}
	return &liveMetrics{
		finished:     map[counterKey]float64{},
		reported:     map[counterKey]float64{},
		points:       map[[2]string]float64{},
		sentDesc:     prometheus.NewDesc("evbench_events_sent_total", "Measured events sent to the system (warm-up excluded), over the whole run.", sys, nil),
		delivDesc:    prometheus.NewDesc("evbench_deliveries_total", "Unique measured deliveries to the subscriber, over the whole run.", sub, nil),
		deadDesc:     prometheus.NewDesc("evbench_dead_lettered_total", "Events given up for good for the subscriber, over the whole run.", sub, nil),
		retryDesc:    prometheus.NewDesc("evbench_retries_total", "Delivery retries scheduled for the subscriber, over the whole run.", sub, nil),
		pointsDesc:   prometheus.NewDesc("evbench_points_total", "Points finished, by system and status (complete, interrupted, failed).", []string{"system", "status"}, nil),
		p99Desc:      prometheus.NewDesc("evbench_e2e_latency_p99_seconds", "End-to-end latency p99 of the running point so far, from the intended send time.", sub, nil),
		inFlightDesc: prometheus.NewDesc("evbench_in_flight", "Requests or records in flight in the running point.", sys, nil),
		waitingDesc:  prometheus.NewDesc("evbench_retries_waiting", "Webhook deliveries waiting for a retry in the running point.", sys, nil),
		schedDesc:    prometheus.NewDesc("evbench_scheduled_rate_events_per_second", "The open-loop schedule's rate now (a set point; the achieved rate is rate(evbench_events_sent_total)).", sys, nil),
		elapsedDesc:  prometheus.NewDesc("evbench_point_elapsed_seconds", "Time since the running point's schedule started (warm-up included).", sys, nil),
		infoDesc:     prometheus.NewDesc("evbench_point_info", "1 for the system whose point is running.", sys, nil),
		finishedDesc: prometheus.NewDesc("evbench_run_finished", "1 once the run has ended and results.json is written: the counters hold its final values.", nil, nil),
	}
}

// start is called when a point's measurement begins.
func (m *liveMetrics) start(p *measure.Point) {
	m.mu.Lock()
	m.live = p
	m.mu.Unlock()
}

// pointDone folds a finished point's final counts into the run totals and
// forgets its live measurement, in one step so no scrape counts it twice.
func (m *liveMetrics) pointDone(p *results.Point) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.live = nil
	m.points[[2]string{p.System, p.Status}]++
	if len(p.Subscribers) > 0 {
		m.finished[counterKey{"sent", p.System, ""}] += float64(p.Subscribers[0].Accounting.Sent)
	}
	for _, s := range p.Subscribers {
		a := s.Accounting
		m.finished[counterKey{"delivered", p.System, s.Name}] += float64(a.Delivered)
		m.finished[counterKey{"dead", p.System, s.Name}] += float64(a.DeadLettered)
		m.finished[counterKey{"retries", p.System, s.Name}] += float64(a.Retries)
	}
}

// runDone marks the run as ended.
func (m *liveMetrics) runDone() {
	m.mu.Lock()
	m.done = true
	m.live = nil
	m.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (m *liveMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.sentDesc, m.delivDesc, m.deadDesc, m.retryDesc, m.pointsDesc,
		m.p99Desc, m.inFlightDesc, m.waitingDesc, m.schedDesc, m.elapsedDesc, m.infoDesc, m.finishedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *liveMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := make(map[counterKey]float64, len(m.finished))
	for k, v := range m.finished {
		counts[k] = v
	}
	if mp := m.live; mp != nil {
		snap := mp.Snapshot()
		sys := mp.System
		counts[counterKey{"sent", sys, ""}] += float64(snap.Sent)
		for _, s := range mp.Subs {
			counts[counterKey{"delivered", sys, s.Name}] += float64(s.DeliveredCount())
			counts[counterKey{"dead", sys, s.Name}] += float64(s.DeadLettered())
			counts[counterKey{"retries", sys, s.Name}] += float64(s.RetryCount())
			ch <- prometheus.MustNewConstMetric(m.p99Desc, prometheus.GaugeValue, float64(s.P99US())/1e6, sys, s.Name)
		}
		ch <- prometheus.MustNewConstMetric(m.inFlightDesc, prometheus.GaugeValue, float64(snap.InFlight), sys)
		ch <- prometheus.MustNewConstMetric(m.waitingDesc, prometheus.GaugeValue, float64(snap.RetriesWaiting), sys)
		ch <- prometheus.MustNewConstMetric(m.schedDesc, prometheus.GaugeValue, mp.Gen.Schedule().RateAt(snap.Elapsed), sys)
		ch <- prometheus.MustNewConstMetric(m.elapsedDesc, prometheus.GaugeValue, snap.Elapsed.Seconds(), sys)
		ch <- prometheus.MustNewConstMetric(m.infoDesc, prometheus.GaugeValue, 1, sys)
	}
	descs := map[string]*prometheus.Desc{"sent": m.sentDesc, "delivered": m.delivDesc, "dead": m.deadDesc, "retries": m.retryDesc}
	for k, v := range counts {
		// A finished point's final count is never below what was served
		// live; should it be (a harness bug), the counter holds rather than
		// going down, which Prometheus would read as a restart.
		if v < m.reported[k] {
			v = m.reported[k]
		}
		m.reported[k] = v
		labels := []string{k.system}
		if k.metric != "sent" {
			labels = append(labels, k.subscriber)
		}
		ch <- prometheus.MustNewConstMetric(descs[k.metric], prometheus.CounterValue, v, labels...)
	}
	for k, v := range m.points {
		ch <- prometheus.MustNewConstMetric(m.pointsDesc, prometheus.CounterValue, v, k[0], k[1])
	}
	finished := 0.0
	if m.done {
		finished = 1
	}
	ch <- prometheus.MustNewConstMetric(m.finishedDesc, prometheus.GaugeValue, finished)
}

// serve starts serving m at http://ln/metrics. stop closes the server.
func (m *liveMetrics) serve(ln net.Listener, errOut io.Writer) (url string, stop func()) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(errOut, "evbench: metrics server:", err)
		}
	}()
	return "http://" + ln.Addr().String() + "/metrics", func() { srv.Close() }
}
