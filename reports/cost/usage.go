package cost

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// Usage is one system's measured resource use, fitted from the points of a
// results document. CPU is the harness process's user+system CPU seconds
// (senders, in-process subscribers, consumers and, on the embedded
// default, the in-memory broker).
type Usage struct {
	System string `json:"system"`
	// Family is the design the system is priced as, from its points
	// (results.Point.Family); Rank where it goes in tables (its points'
	// results.Point.Rank).
	Family results.CostFamily `json:"cost_family"`
	Rank   int                `json:"-"`
	// Points is the number of complete points used; Subscribers the
	// distinct subscriber counts among them.
	Points      int   `json:"points"`
	Subscribers []int `json:"subscribers"`
	// Events is the measured events sent; Work the units of per-subscriber
	// work: delivery attempts (webhook) or records consumed including
	// redeliveries (kafka, bridge).
	Events int64 `json:"events"`
	Work   int64 `json:"work"`
	// CPUSeconds and BytesSent are totals over the points used.
	CPUSeconds float64 `json:"cpu_s"`
	BytesSent  int64   `json:"bytes_sent"`

	// The CPU model fitted to the points by non-negative least squares:
	// cpu = IdleCPUPerS*duration + CPUPerEvent*events + CPUPerWork*work.
	// IdleCPUPerS is harness overhead that does not grow with load and is
	// left out of the cost; CPUPerEvent is per event whatever the number
	// of subscribers (producing, ingress, broker); CPUPerWork is per
	// delivery attempt or consumed record.
	IdleCPUPerS float64 `json:"idle_cpu_per_s"`
	CPUPerEvent float64 `json:"cpu_s_per_event"`
	CPUPerWork  float64 `json:"cpu_s_per_work"`
	// Fit says which terms could be separated and why.
	Fit string `json:"fit"`
	// FitError is the RMS residual of the fit relative to the mean CPU.
	FitError float64 `json:"fit_error"`

	// Amplification is work per event per subscriber: attempts per
	// delivery for webhooks (retry amplification), consumed records per
	// event for Kafka (redeliveries).
	Amplification float64 `json:"amplification"`
	// BytesPerEvent is bytes sent per event; BytesPerAttempt bytes per
	// delivery attempt (webhook).
	BytesPerEvent   float64 `json:"bytes_per_event"`
	BytesPerAttempt float64 `json:"bytes_per_attempt,omitempty"`
	// BytesMeasured is false when the runner recorded no bytes and the
	// scenario's mean event size was used instead.
	BytesMeasured bool `json:"bytes_measured"`
	// Embedded is true for kafka/bridge measured on the in-memory broker.
	Embedded bool `json:"broker_embedded,omitempty"`

	// AttemptLatencyS is the mean per-attempt latency (webhook; the
	// end-to-end latency when attempts were not recorded) and E2ELatencyS
	// the mean end-to-end latency, both weighted by count over the points
	// used: Little's law turns them into connections held open and
	// records awaiting consumption.
	AttemptLatencyS float64 `json:"attempt_latency_s,omitempty"`
	E2ELatencyS     float64 `json:"e2e_latency_s,omitempty"`
	// DeadLetterFraction is dead-lettered events per (event x subscriber).
	DeadLetterFraction float64 `json:"dead_letter_fraction,omitempty"`
	// MemPerInFlightBytes is the webhook sender's measured memory per
	// delivery in flight and MemPerConnectionBytes per connection, from
	// the points' sender_memory (memory.go; 0: not measured, the
	// profile's assumptions are used). When MemPerConnectionBytes is 0 and
	// MemPerInFlightBytes is not, the in-flight figure includes the
	// connection each delivery holds. MemFit says how they were obtained
	// or why not.
	MemPerInFlightBytes   float64 `json:"mem_per_inflight_bytes,omitempty"`
	MemPerConnectionBytes float64 `json:"mem_per_connection_bytes,omitempty"`
	MemFit                string  `json:"mem_fit,omitempty"`
	// Hops is where the system's bytes travelled, from the links the
	// points used recorded (hops.go); nil when they recorded none.
	Hops *Hops `json:"hops,omitempty"`
	// Measured lists the (events/hour, subscribers) of the points used,
	// so charts can mark them and draw beyond them as extrapolation.
	Measured []MeasuredPoint `json:"measured,omitempty"`
}

// MeasuredPoint is one point of the run in the cost model's coordinates.
type MeasuredPoint struct {
	EventsPerHour float64 `json:"events_per_hour"`
	Subscribers   int     `json:"subscribers"`
}

// CPUPerDelivery is the CPU seconds per event per subscriber at n
// subscribers, the quantity the cost model scales.
func (u Usage) CPUPerDelivery(n int) float64 {
	return u.CPUPerEvent/float64(n) + u.CPUPerWork*u.Amplification
}

// defaultEventBytes is the scenario default event size (1 KiB).
const defaultEventBytes = 1024

// scenarioEventBytes reads the mean event size from the resolved scenario
// stored in the results.
func scenarioEventBytes(r *results.Results) (float64, bool) {
	if len(r.Scenario) == 0 {
		return 0, false
	}
	var sc struct {
		Event struct {
			Size scenarios.Dist `json:"size"`
		} `json:"event"`
	}
	if err := json.Unmarshal(r.Scenario, &sc); err != nil {
		return 0, false
	}
	if m := sc.Event.Size.MeanValue(); m > 0 {
		return m, true
	}
	return 0, false
}

// scenarioWarmup reads the warm-up (seconds) from the resolved scenario
// stored in the results.
func scenarioWarmup(r *results.Results) (float64, bool) {
	if len(r.Scenario) == 0 {
		return 0, false
	}
	var sc struct {
		Load struct {
			WarmupNS *int64 `json:"warmup_ns"`
		} `json:"load"`
	}
	if err := json.Unmarshal(r.Scenario, &sc); err != nil || sc.Load.WarmupNS == nil {
		return 0, false
	}
	return float64(*sc.Load.WarmupNS) / 1e9, true
}

// perAttempt reports whether p's per-subscriber work is a delivery
// attempt (capability Attempts: the sender delivers to each subscriber
// itself), rather than a record consumed.
func perAttempt(p *results.Point) bool { return p.Caps().Attempts }

// MeasuredUsage fits each system's resource use from the complete points
// of r. Systems without a usable point are absent; it is an error when no
// system has one.
func MeasuredUsage(r *results.Results) (map[string]Usage, error) {
	if r == nil {
		return nil, fmt.Errorf("cost: nil results")
	}
	warmup, haveWarmup := scenarioWarmup(r)
	type obs struct {
		events, work   int64   // measured period
		evRes, workRes float64 // over the resource window (warm-up included)
		dur, cpu       float64
		bytes          int64
		subs           int
		saturated      bool
		attUS, attN    float64 // sum of mean*count, count
		e2eUS, e2eN    float64
		deadLettered   int64
		pt             *results.Point
	}
	bySys := map[string][]obs{}
	var systems []string
	for i := range r.Points {
		p := &r.Points[i]
		if p.Status != results.StatusComplete || p.DurationS <= 0 || len(p.Subscribers) == 0 {
			continue
		}
		events := p.Subscribers[0].Accounting.Sent
		if events <= 0 {
			continue
		}
		var work, backlog, dl int64
		var attUS, attN, e2eUS, e2eN float64
		for _, s := range p.Subscribers {
			a := s.Accounting
			dl += a.DeadLettered
			if s.Attempt != nil && s.Attempt.LatencyUS.Count > 0 {
				attUS += s.Attempt.LatencyUS.Mean * float64(s.Attempt.LatencyUS.Count)
				attN += float64(s.Attempt.LatencyUS.Count)
			}
			if s.E2E.LatencyUS.Count > 0 {
				e2eUS += s.E2E.LatencyUS.Mean * float64(s.E2E.LatencyUS.Count)
				e2eN += float64(s.E2E.LatencyUS.Count)
			}
			switch {
			case perAttempt(p) && s.Attempt != nil && s.Attempt.LatencyUS.Count > 0:
				work += s.Attempt.LatencyUS.Count
			case perAttempt(p):
				work += a.Delivered + a.DeadLettered + a.Retries
			default:
				work += a.Delivered + a.Duplicates
			}
			backlog += a.Lost - a.DeadLettered
		}
		// runners/measure reads CPU and bytes from the start of the
		// warm-up, while the accounting covers the measured period only:
		// scale events and work to the warm-up too (warm-up runs at the
		// point's initial rate), so per-event figures are not inflated.
		f := 1.0
		if haveWarmup {
			f = (float64(events) + p.OfferedPerS*warmup) / float64(events)
		}
		if _, ok := bySys[p.System]; !ok {
			systems = append(systems, p.System)
		}
		bySys[p.System] = append(bySys[p.System], obs{
			events: events, work: work, evRes: float64(events) * f, workRes: float64(work) * f,
			dur: p.DurationS + warmup, cpu: p.Resources.CPUUserS + p.Resources.CPUSysS,
			bytes: p.Resources.BytesSent, subs: len(p.Subscribers),
			// Events still undelivered after the drain (not given up):
			// the system did not keep up, so per-event use is distorted.
			saturated: backlog > 0,
			attUS:     attUS, attN: attN, e2eUS: e2eUS, e2eN: e2eN, deadLettered: dl,
			pt: p,
		})
	}
	if len(bySys) == 0 {
		return nil, fmt.Errorf("cost: no complete point with events to measure usage from")
	}
	fallbackBytes, haveScenarioBytes := scenarioEventBytes(r)
	out := map[string]Usage{}
	for _, sys := range systems {
		all := bySys[sys]
		var use []obs
		for _, o := range all {
			if !o.saturated {
				use = append(use, o)
			}
		}
		var notes []string
		if len(use) == 0 {
			use = all
			notes = append(notes, "every point left a backlog after the drain (saturated); used anyway")
		} else if n := len(all) - len(use); n > 0 {
			notes = append(notes, fmt.Sprintf("%d saturated point(s) (backlog after the drain) left out", n))
		}
		if !haveWarmup {
			notes = append(notes, "scenario warm-up unknown: per-event figures include warm-up use")
		}
		first := all[0].pt
		attempts := perAttempt(first)
		u := &Usage{System: sys, Family: first.Family(), Rank: first.Rank()}
		var c cols
		var evRes, workRes, denom, attUS, attN, e2eUS, e2eN, dl float64
		subsSeen := map[int]bool{}
		pts := make([]*results.Point, 0, len(use))
		for _, o := range use {
			pts = append(pts, o.pt)
			if _, emb := o.pt.Broker(r.Environment); emb {
				u.Embedded = true
			}
			u.Points++
			u.Events += o.events
			u.Work += o.work
			u.CPUSeconds += o.cpu
			u.BytesSent += o.bytes
			evRes += o.evRes
			workRes += o.workRes
			denom += float64(o.events) * float64(o.subs)
			subsSeen[o.subs] = true
			c.dur = append(c.dur, o.dur)
			c.events = append(c.events, o.evRes)
			c.work = append(c.work, o.workRes)
			c.cpu = append(c.cpu, o.cpu)
			c.subs = append(c.subs, o.subs)
			attUS += o.attUS
			attN += o.attN
			e2eUS += o.e2eUS
			e2eN += o.e2eN
			dl += float64(o.deadLettered)
			u.Measured = append(u.Measured, MeasuredPoint{EventsPerHour: float64(o.events) / (o.dur - warmup) * 3600, Subscribers: o.subs})
		}
		u.Hops = measuredHops(pts)
		if e2eN > 0 {
			u.E2ELatencyS = e2eUS / e2eN / 1e6
		}
		u.AttemptLatencyS = u.E2ELatencyS
		if attN > 0 {
			u.AttemptLatencyS = attUS / attN / 1e6
		}
		if denom > 0 {
			u.DeadLetterFraction = dl / denom
		}
		if u.Family == results.FamilyPush {
			measuredMemory(u, pts) // memory.go: the push sender's memory
		}
		// Amplification: work per (event x subscriber).
		u.Amplification = float64(u.Work) / denom
		for n := range subsSeen {
			u.Subscribers = append(u.Subscribers, n)
		}
		sort.Ints(u.Subscribers)

		// Bytes.
		if u.BytesSent > 0 {
			u.BytesMeasured = true
			u.BytesPerEvent = float64(u.BytesSent) / evRes
			if attempts && workRes > 0 {
				u.BytesPerAttempt = float64(u.BytesSent) / workRes
			}
		} else {
			b := float64(defaultEventBytes)
			if haveScenarioBytes {
				b = fallbackBytes
			}
			u.BytesPerEvent = b
			if attempts {
				u.BytesPerAttempt = b
			}
		}

		// CPU fit.
		fitCPU(u, c, notes)
		out[sys] = *u
	}
	return out, nil
}

// cols are the regression data: duration, events, work and the CPU.
type cols struct {
	dur, events, work, cpu []float64
	subs                   []int
}

// fitCPU fits cpu = c0*dur + a*events + b*work with non-negative
// coefficients. Terms the data cannot separate are left out, and Fit says
// so: the per-event term needs at least two subscriber counts (otherwise
// events and work are proportional and everything is attributed to work),
// the idle term needs rates that differ by at least 20%.
func fitCPU(u *Usage, c cols, notes []string) {
	n := len(c.cpu)
	if n == 0 {
		return
	}
	subsSet := map[int]bool{}
	minRate, maxRate := math.Inf(1), 0.0
	for i := range c.cpu {
		subsSet[c.subs[i]] = true
		r := c.events[i] / c.dur[i]
		minRate = math.Min(minRate, r)
		maxRate = math.Max(maxRate, r)
	}
	useA := len(subsSet) >= 2
	useC0 := maxRate >= 1.2*minRate
	if !useA {
		notes = append(notes, "one subscriber count, so all load-dependent CPU is attributed per delivery")
	}
	if !useC0 {
		notes = append(notes, "one rate, so harness idle CPU is not separated (per-event CPU is overstated at low rates)")
	}
	type subset struct {
		c0, a, b bool
	}
	subsets := []subset{{true, true, true}, {false, true, true}, {true, false, true}, {true, true, false}, {false, false, true}, {false, true, false}, {true, false, false}}
	bestRSS := math.Inf(1)
	var best subset
	var bestCoef [3]float64
	for _, s := range subsets {
		if (s.a && !useA) || (s.c0 && !useC0) {
			continue
		}
		var X [][]float64
		if s.c0 {
			X = append(X, c.dur)
		}
		if s.a {
			X = append(X, c.events)
		}
		if s.b {
			X = append(X, c.work)
		}
		coef, ok := leastSquares(X, c.cpu)
		if !ok {
			continue
		}
		feasible := true
		for _, v := range coef {
			if v < 0 {
				feasible = false
			}
		}
		if !feasible {
			continue
		}
		var full [3]float64
		k := 0
		if s.c0 {
			full[0] = coef[k]
			k++
		}
		if s.a {
			full[1] = coef[k]
			k++
		}
		if s.b {
			full[2] = coef[k]
		}
		var rss float64
		for i := range c.cpu {
			e := c.cpu[i] - full[0]*c.dur[i] - full[1]*c.events[i] - full[2]*c.work[i]
			rss += e * e
		}
		// Keep the earlier (richer, preferred) subset unless a later one
		// fits clearly better.
		if rss < bestRSS*(1-1e-9) || math.IsInf(bestRSS, 1) {
			bestRSS, best, bestCoef = rss, s, full
		}
	}
	if math.IsInf(bestRSS, 1) {
		// Nothing feasible (cannot happen with non-negative CPU, kept for
		// safety): attribute everything per unit of work.
		var cpu, work float64
		for i := range c.cpu {
			cpu += c.cpu[i]
			work += c.work[i]
		}
		if work > 0 {
			bestCoef = [3]float64{0, 0, cpu / work}
		}
		best = subset{b: true}
		bestRSS = 0
		notes = append(notes, "no non-negative fit; ratio of totals used")
	}
	u.IdleCPUPerS, u.CPUPerEvent, u.CPUPerWork = bestCoef[0], bestCoef[1], bestCoef[2]
	var terms []string
	if best.c0 {
		terms = append(terms, "idle")
	}
	if best.a {
		terms = append(terms, "per event")
	}
	if best.b {
		terms = append(terms, "per delivery")
	}
	var mean float64
	for _, v := range c.cpu {
		mean += v
	}
	mean /= float64(n)
	if mean > 0 {
		u.FitError = math.Sqrt(bestRSS/float64(n)) / mean
	}
	u.Fit = fmt.Sprintf("non-negative least squares over %d point(s), terms: %s", n, strings.Join(terms, " + "))
	if len(notes) > 0 {
		u.Fit += "; " + strings.Join(notes, "; ")
	}
}

// leastSquares solves min ||X^T coef - y|| for up to a few columns via the
// normal equations on unit-norm columns; ok is false when the columns are
// (nearly) linearly dependent.
func leastSquares(X [][]float64, y []float64) ([]float64, bool) {
	k := len(X)
	if k == 0 || k > len(y) {
		return nil, false
	}
	norms := make([]float64, k)
	for j := range X {
		for _, v := range X[j] {
			norms[j] += v * v
		}
		norms[j] = math.Sqrt(norms[j])
		if norms[j] == 0 {
			return nil, false
		}
	}
	// Gram matrix G and right-hand side h of the scaled problem.
	G := make([][]float64, k)
	h := make([]float64, k)
	for i := 0; i < k; i++ {
		G[i] = make([]float64, k+1)
		for j := 0; j < k; j++ {
			var s float64
			for r := range y {
				s += X[i][r] / norms[i] * X[j][r] / norms[j]
			}
			G[i][j] = s
		}
		for r := range y {
			h[i] += X[i][r] / norms[i] * y[r]
		}
		G[i][k] = h[i]
	}
	// Gaussian elimination with partial pivoting.
	for col := 0; col < k; col++ {
		piv := col
		for r := col + 1; r < k; r++ {
			if math.Abs(G[r][col]) > math.Abs(G[piv][col]) {
				piv = r
			}
		}
		if math.Abs(G[piv][col]) < 1e-9 {
			return nil, false
		}
		G[col], G[piv] = G[piv], G[col]
		for r := 0; r < k; r++ {
			if r == col {
				continue
			}
			f := G[r][col] / G[col][col]
			for c := col; c <= k; c++ {
				G[r][c] -= f * G[col][c]
			}
		}
	}
	coef := make([]float64, k)
	for i := 0; i < k; i++ {
		coef[i] = G[i][k] / G[i][i] / norms[i]
	}
	return coef, true
}
