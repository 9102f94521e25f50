package compare

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/evbench/evbench/reports/results"
)

// ErrMismatch is returned by Merge for documents that are not parts of the
// same run: different schemas, or different scenario names without Force.
var ErrMismatch = errors.New("documents do not belong together")

// MergedNote starts the note Merge adds to every point it combined from
// several documents.
const MergedNote = "merged from "

// MergeOptions adjust Merge.
type MergeOptions struct {
	// Force merges documents whose scenario names differ. It does not
	// override a schema difference: fields of another schema would be
	// lost silently.
	Force bool
	// Names label the documents in errors (file paths); default
	// "document N".
	Names []string
	// Thresholds, when set, re-evaluates the scenario's thresholds on a
	// merged point (the CLI passes the engine's evaluator, which this
	// package may not import). When nil, a point merged from several
	// documents has no thresholds: the inputs' pass/fail marks describe
	// the parts, not the whole, and are not kept.
	Thresholds func(p *results.Point) []results.Threshold
}

// Merge combines results documents of the same scenario measured at the
// same time on several load-generator hosts into one document, as if one
// generator had offered the sum of their loads. It is MergeWith with zero
// options.
func Merge(docs ...*results.Results) (*results.Results, error) {
	return MergeWith(MergeOptions{}, docs...)
}

// MergeWith merges docs (see Merge). Points with the same (system, params,
// repeat) are combined:
//
//   - histograms (e2e, per-attempt, attempts per delivery, publish,
//     ingress) are added exactly and the summaries recomputed from them;
//   - accounting counters, error counts and publish errors are added, so
//     sent == delivered + lost still holds;
//   - offered_per_s and achieved_per_s are added (the generators ran at the
//     same time); params are kept as they are, so the merged document still
//     matches single-host documents in compare;
//   - generator lag: the largest p99 and max (a p99 cannot be combined
//     without its histogram; the largest is an upper bound);
//   - resources: cpu seconds and bytes sent add, max_rss_bytes is the
//     largest (processes on different hosts do not share memory);
//   - time series are added second by second (the i-th sample of every
//     document): rates, deliveries, in-flight, queue depth and lag add; the
//     per-second p50/p99 are the largest of the inputs, an upper bound,
//     since per-second histograms are not stored;
//   - started_at is the earliest, duration_s spans to the latest end;
//     status is the worst (failed, interrupted, complete); notes are kept
//     once each, plus a note saying the point was merged.
//
// Points that match nothing are appended as they are, subscribers that
// match nothing are appended to their point. The environment is the first
// document's, with started_at the earliest and finished_at the latest; the
// scenario and command are the first document's; saturation results are
// kept once each. Documents must have the same schema and, unless
// opts.Force, the same scenario name. The result is validated. The inputs
// are not modified.
func MergeWith(opts MergeOptions, docs ...*results.Results) (*results.Results, error) {
	if len(docs) == 0 {
		return nil, errors.New("merge: no documents")
	}
	name := func(i int) string {
		if i < len(opts.Names) && opts.Names[i] != "" {
			return opts.Names[i]
		}
		return fmt.Sprintf("document %d", i+1)
	}
	docs, opts.Names = producersFirst(docs, opts.Names) // mergeconsumer.go
	first := docs[0]
	for i, d := range docs {
		if d == nil {
			return nil, fmt.Errorf("merge: %s is nil", name(i))
		}
		if d.Schema != first.Schema {
			return nil, fmt.Errorf("%w: %s has schema %q, %s has %q (--force does not apply: fields of another schema would be lost)",
				ErrMismatch, name(i), d.Schema, name(0), first.Schema)
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name(i), err)
		}
		if err := checkHistogramCounts(d); err != nil {
			return nil, fmt.Errorf("%s: %w", name(i), err)
		}
		if err := checkIDSets(d); err != nil {
			return nil, fmt.Errorf("%s: %w", name(i), err)
		}
		if a, b := ScenarioName(first), ScenarioName(d); a != b && !opts.Force {
			return nil, fmt.Errorf("%w: %s is scenario %q, %s is scenario %q; merge only parts of one run (use --force to merge anyway)",
				ErrMismatch, name(0), a, name(i), b)
		}
	}

	out := &results.Results{
		Schema:      first.Schema,
		Status:      first.Status,
		Scenario:    slices.Clone(first.Scenario),
		Command:     first.Command,
		Environment: first.Environment,
		Points:      []results.Point{},
	}
	var errs []string
	index := map[string]int{}
	sources := map[int]int{}
	shards := map[int][]results.Shard{} // mergeids.go
	consumers := map[int][]string{}     // mergeconsumer.go
	clocks := map[int][]clockEst{}      // mergeclock.go
	for i, d := range docs {
		out.Status = worse(out.Status, d.Status)
		if d.Error != "" && !slices.Contains(errs, d.Error) {
			errs = append(errs, d.Error)
		}
		env := d.Environment
		if !env.StartedAt.IsZero() && (out.Environment.StartedAt.IsZero() || env.StartedAt.Before(out.Environment.StartedAt)) {
			out.Environment.StartedAt = env.StartedAt
		}
		if env.FinishedAt.After(out.Environment.FinishedAt) {
			out.Environment.FinishedAt = env.FinishedAt
		}
		out.PeakRSSBytes = max(out.PeakRSSBytes, d.PeakRSSBytes)
		for _, m := range d.MaxSustainable {
			if !slices.Contains(out.MaxSustainable, m) {
				out.MaxSustainable = append(out.MaxSustainable, m)
			}
		}
		for j := range d.Points {
			src := &d.Points[j]
			id := KeyOf(src).id()
			k, ok := index[id]
			if !ok {
				k = len(out.Points)
				index[id] = k
				sources[k] = 1
				out.Points = append(out.Points, clonePoint(src))
			} else {
				if err := mergePoint(&out.Points[k], src); err != nil {
					return nil, fmt.Errorf("merge %s point %s: %w", name(i), KeyOf(src), err)
				}
				sources[k]++
			}
			if src.Consumer != nil {
				consumers[k] = append(consumers[k], src.Consumer.Name)
				clocks[k] = append(clocks[k], consumerClock(*src.Consumer))
			}
			if src.Shard != nil {
				if prev := shards[k]; len(prev) > 0 && prev[0].Count != src.Shard.Count {
					return nil, fmt.Errorf("%w: %s point %s is shard %d/%d of a run in %d shards", ErrMismatch, name(i), KeyOf(src), src.Shard.Index, src.Shard.Count, prev[0].Count)
				}
				shards[k] = append(shards[k], *src.Shard)
				clocks[k] = append(clocks[k], shardClock(*src.Shard))
			}
		}
	}
	out.Error = strings.Join(errs, "; ")
	for k := range out.Points {
		n := sources[k]
		if n < 2 {
			continue
		}
		p := &out.Points[k]
		p.Shard = nil
		if note := shardNote(shards[k]); note != "" {
			p.Notes = append(p.Notes, note)
		}
		if note := clockNote(clocks[k], p); note != "" { // mergeclock.go
			p.Notes = append(p.Notes, note)
		}
		if note := consumerNote(consumers[k]); note != "" { // mergeconsumer.go
			p.Notes = append(p.Notes, note)
		}
		p.Notes = append(p.Notes, fmt.Sprintf(MergedNote+"%d documents measured at the same time: rates, counts, histograms, cpu and bytes are sums; max_rss and generator lag are the largest; per-second p50/p99 are the largest of the parts (upper bounds)", n))
		p.Thresholds = nil
		if opts.Thresholds != nil {
			p.Thresholds = opts.Thresholds(p)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merged document is invalid: %w", err)
	}
	return out, nil
}

// worse returns the worse of two statuses: failed > interrupted > complete.
func worse(a, b string) string {
	rank := func(s string) int {
		switch s {
		case results.StatusComplete:
			return 0
		case results.StatusInterrupted:
			return 1
		}
		return 2
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// mergePoint adds src into dst (same key).
func mergePoint(dst, src *results.Point) error {
	dst.Status = worse(dst.Status, src.Status)
	// A consume process's point records no descriptor (measure's
	// FinishConsumer): take the producers'.
	if dst.Capabilities == nil {
		dst.Capabilities = src.Capabilities
	}
	if dst.CostFamily == "" {
		dst.CostFamily, dst.Order = src.CostFamily, src.Order
	}
	switch {
	case dst.Error == "":
		dst.Error = src.Error
	case src.Error != "" && !strings.Contains(dst.Error, src.Error):
		dst.Error += "; " + src.Error
	}
	dst.OfferedPerS += src.OfferedPerS
	dst.AchievedPerS += src.AchievedPerS
	dst.GeneratorLagUS.P99 = max(dst.GeneratorLagUS.P99, src.GeneratorLagUS.P99)
	dst.GeneratorLagUS.Max = max(dst.GeneratorLagUS.Max, src.GeneratorLagUS.Max)
	// One overloaded generator means the merged offered load was not applied.
	dst.EmittedS = max(dst.EmittedS, src.EmittedS)
	if src.Overloaded {
		dst.Overloaded = true
		if dst.OverloadReason == "" {
			dst.OverloadReason = src.OverloadReason
		}
	}
	if err := checkConsumerMerge(dst, src); err != nil { // mergeconsumer.go
		return err
	}
	ex, err := prepareExact(dst, src)
	if err != nil {
		return err
	}
	if dst.Publish, err = mergeLatencyPtr(dst.Publish, src.Publish); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if dst.Ingress, err = mergeLatencyPtr(dst.Ingress, src.Ingress); err != nil {
		return fmt.Errorf("ingress: %w", err)
	}
	dst.PublishErrors = addErrorsPtr(dst.PublishErrors, src.PublishErrors)
	for i := range src.Subscribers {
		s := &src.Subscribers[i]
		j := slices.IndexFunc(dst.Subscribers, func(d results.Subscriber) bool { return d.Name == s.Name })
		if j < 0 {
			dst.Subscribers = append(dst.Subscribers, cloneSubscriber(s))
			continue
		}
		if err := mergeSubscriber(&dst.Subscribers[j], s); err != nil {
			return fmt.Errorf("subscriber %s: %w", s.Name, err)
		}
	}
	if src.Consumer == nil {
		dst.Consumer = nil // the merged point holds producers' sends
	}
	if ex != nil {
		if err := ex.apply(dst); err != nil {
			return err
		}
		if ex.dupes > 0 {
			dst.Notes = append(dst.Notes, fmt.Sprintf("%d deliveries were recorded by more than one document: each counts once as delivered and once more as a duplicate; the e2e histogram keeps every recorded latency, so it holds more values than deliveries", ex.dupes))
		}
	}
	r := &dst.Resources
	r.CPUUserS += src.Resources.CPUUserS
	r.CPUSysS += src.Resources.CPUSysS
	r.MaxRSSBytes = max(r.MaxRSSBytes, src.Resources.MaxRSSBytes)
	r.BytesSent += src.Resources.BytesSent
	dst.Timeseries = mergeSeries(dst.Timeseries, src.Timeseries)
	for _, n := range src.Notes {
		if !slices.Contains(dst.Notes, n) {
			dst.Notes = append(dst.Notes, n)
		}
	}
	mergeSpan(dst, src)
	return nil
}

// mergeSpan makes dst's measured period cover both periods.
func mergeSpan(dst, src *results.Point) {
	if src.StartedAt.IsZero() {
		return
	}
	if dst.StartedAt.IsZero() {
		dst.StartedAt, dst.DurationS = src.StartedAt, src.DurationS
		return
	}
	span := func(p *results.Point) time.Time {
		return p.StartedAt.Add(time.Duration(p.DurationS * float64(time.Second)))
	}
	end := span(dst)
	if e := span(src); e.After(end) {
		end = e
	}
	if src.StartedAt.Before(dst.StartedAt) {
		dst.StartedAt = src.StartedAt
	}
	dst.DurationS = end.Sub(dst.StartedAt).Seconds()
}

func mergeSubscriber(dst, src *results.Subscriber) error {
	var err error
	if dst.E2E, err = mergeLatency(dst.E2E, src.E2E); err != nil {
		return fmt.Errorf("e2e: %w", err)
	}
	if dst.Attempt, err = mergeLatencyPtr(dst.Attempt, src.Attempt); err != nil {
		return fmt.Errorf("attempt: %w", err)
	}
	if dst.AttemptsPerDelivery, err = mergeCounts(dst.AttemptsPerDelivery, src.AttemptsPerDelivery); err != nil {
		return fmt.Errorf("attempts_per_delivery: %w", err)
	}
	if dst.AttemptPhases, err = mergePhases(dst.AttemptPhases, src.AttemptPhases); err != nil {
		return fmt.Errorf("attempt_phases: %w", err)
	}
	dst.Endpoint = mergeEndpoint(dst.Endpoint, src.Endpoint)
	a, b := &dst.Accounting, src.Accounting
	a.Sent += b.Sent
	a.Delivered += b.Delivered
	a.Duplicates += b.Duplicates
	a.Lost += b.Lost
	a.DeadLettered += b.DeadLettered
	a.DeliveredAfterDeadLetter += b.DeliveredAfterDeadLetter
	a.Retries += b.Retries
	a.OutOfOrder += b.OutOfOrder
	a.LostBy = a.LostBy.Add(b.LostBy)
	a.NotSubscribed += b.NotSubscribed
	dst.Errors = addErrors(dst.Errors, src.Errors)
	dst.Disabled = dst.Disabled || src.Disabled
	return nil
}

// checkHistogramCounts cross-checks each subscriber's e2e histogram
// against its accounting: the runners record exactly one e2e value per
// unique measured delivery, so the counts must be equal. A document where
// they differ was edited or produced by a harness bug, and merging it would
// add latencies of one population to counts of another.
// (Validate has already checked the histogram against its summary count.)
func checkHistogramCounts(d *results.Results) error {
	for i := range d.Points {
		p := &d.Points[i]
		for _, s := range p.Subscribers {
			if s.E2E.Histogram == "" && s.E2E.LatencyUS.Count == 0 && s.Accounting.Delivered > 0 {
				return fmt.Errorf("point %d (%s) subscriber %s: %d delivered but no e2e histogram; it cannot be merged exactly", i, p.System, s.Name, s.Accounting.Delivered)
			}
			if n := s.E2E.LatencyUS.Count; n != s.Accounting.Delivered {
				return fmt.Errorf("point %d (%s) subscriber %s: the e2e histogram holds %d values but %d were delivered (one value per delivery is expected)", i, p.System, s.Name, n, s.Accounting.Delivered)
			}
		}
	}
	return nil
}

// addHist decodes two encoded histograms and returns their exact sum. The
// sum takes the first one's geometry; a value the first cannot hold is an
// error, never a silent drop.
func addHist(a, b string) (*hdr.Histogram, error) {
	ha, err := results.DecodeHistogram(a)
	if err != nil {
		return nil, err
	}
	hb, err := results.DecodeHistogram(b)
	if err != nil {
		return nil, err
	}
	if dropped := ha.Merge(hb); dropped != 0 {
		return nil, fmt.Errorf("%d value(s) out of the histogram's range", dropped)
	}
	return ha, nil
}

func mergeLatency(a, b results.Latency) (results.Latency, error) {
	// An empty side (no samples) adds nothing, whether or not it carries
	// the encoding of an empty histogram.
	if b.LatencyUS.Count == 0 {
		return a, nil
	}
	if a.LatencyUS.Count == 0 {
		return b, nil
	}
	if a.Histogram == "" || b.Histogram == "" {
		return a, errors.New("a latency with samples has no histogram; it cannot be merged exactly")
	}
	h, err := addHist(a.Histogram, b.Histogram)
	if err != nil {
		return a, err
	}
	return results.NewLatency(h)
}

func mergeLatencyPtr(a, b *results.Latency) (*results.Latency, error) {
	switch {
	case b == nil:
		return a, nil
	case a == nil:
		c := *b
		return &c, nil
	}
	m, err := mergeLatency(*a, *b)
	if err != nil {
		return a, err
	}
	return &m, nil
}

func mergeCounts(a, b *results.Counts) (*results.Counts, error) {
	switch {
	case b == nil || b.Count == 0:
		return a, nil
	case a == nil || a.Count == 0:
		c := *b
		return &c, nil
	}
	if a.Histogram == "" || b.Histogram == "" {
		return a, errors.New("counts without a histogram cannot be merged exactly")
	}
	h, err := addHist(a.Histogram, b.Histogram)
	if err != nil {
		return a, err
	}
	enc, err := results.EncodeHistogram(h)
	if err != nil {
		return a, err
	}
	c := &results.Counts{Histogram: enc}
	if n := h.TotalCount(); n > 0 {
		c.Count, c.Mean = n, h.Mean()
		c.P50, c.P99, c.Max = h.ValueAtQuantile(50), h.ValueAtQuantile(99), h.Max()
	}
	return c, nil
}

func addErrors(a, b results.Errors) results.Errors {
	return results.Errors{
		Timeout: a.Timeout + b.Timeout, Refused: a.Refused + b.Refused,
		HTTP4xx: a.HTTP4xx + b.HTTP4xx, HTTP5xx: a.HTTP5xx + b.HTTP5xx,
		SignatureFailures: a.SignatureFailures + b.SignatureFailures,
		Broker:            a.Broker + b.Broker, Other: a.Other + b.Other,
	}
}

func addErrorsPtr(a, b *results.Errors) *results.Errors {
	switch {
	case b == nil:
		return a
	case a == nil:
		c := *b
		return &c
	}
	s := addErrors(*a, *b)
	return &s
}

// mergeSeries adds b into a second by second (by index; every generator
// samples once a second from its own measured start).
func mergeSeries(a, b []results.Sample) []results.Sample {
	for i, s := range b {
		if i >= len(a) {
			a = append(a, s)
			continue
		}
		d := &a[i]
		d.Offered += s.Offered
		d.Achieved += s.Achieved
		d.P50US = max(d.P50US, s.P50US)
		d.P99US = max(d.P99US, s.P99US)
		d.InFlight += s.InFlight
		d.QueueDepth += s.QueueDepth
		d.Lag += s.Lag
		d.Delivered += s.Delivered
		d.Retries += s.Retries
	}
	return a
}

// clonePoint copies p so that merging never writes into an input.
func clonePoint(p *results.Point) results.Point {
	c := *p
	c.Params = maps.Clone(p.Params)
	c.Publish = clonePtr(p.Publish)
	c.Ingress = clonePtr(p.Ingress)
	c.PublishErrors = clonePtr(p.PublishErrors)
	c.Subscribers = make([]results.Subscriber, len(p.Subscribers))
	for i := range p.Subscribers {
		c.Subscribers[i] = cloneSubscriber(&p.Subscribers[i])
	}
	c.Timeseries = slices.Clone(p.Timeseries)
	c.Thresholds = slices.Clone(p.Thresholds)
	c.Notes = slices.Clone(p.Notes)
	c.Shard = clonePtr(p.Shard)
	c.IDs = clonePtr(p.IDs)
	return c
}

func cloneSubscriber(s *results.Subscriber) results.Subscriber {
	c := *s
	c.Attempt = clonePtr(s.Attempt)
	c.AttemptsPerDelivery = clonePtr(s.AttemptsPerDelivery)
	c.AttemptPhases = clonePtr(s.AttemptPhases)
	c.Endpoint = cloneEndpoint(s.Endpoint)
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
