// Package results is the evbench results model: the versioned results.json
// document (schema evbench/results/v1) that every report, comparison, merge
// and cost computation reads. Runners fill it; reports only read it.
//
// Field names are a public contract: add fields freely, rename or remove
// one only with a new schema version.
package results

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/internal/limitedfile"
)

// Schema is the current results schema identifier.
const Schema = "evbench/results/v1"

// Run statuses.
const (
	StatusComplete    = "complete"
	StatusInterrupted = "interrupted"
	StatusFailed      = "failed"
)

// Results is one run's document.
type Results struct {
	Schema string `json:"schema"`
	// Status is complete | interrupted | failed.
	Status string `json:"status"`
	// Error explains a failed status, or an interrupted one saved part-way
	// through a run that did not end normally (see cmd/evbench/checkpoint.go).
	Error string `json:"error,omitempty"`
	// Scenario is the resolved scenario (defaults filled in, secrets
	// removed), kept as raw JSON so this package does not depend on the
	// scenario loader.
	Scenario json.RawMessage `json:"scenario"`
	// Command is the command line that reproduces the run.
	Command     string      `json:"command,omitempty"`
	Environment Environment `json:"environment"`
	Points      []Point     `json:"points"`
	// MaxSustainable holds saturation search results (sweep find_max).
	MaxSustainable []MaxRate `json:"max_sustainable,omitempty"`
	// Flows are the multi-hop flows' results (scenario flows:, flows.go).
	Flows []Flow `json:"flows,omitempty"`
	// PeakRSSBytes is the evbench process's peak resident set over the
	// whole run (getrusage's ru_maxrss, converted to bytes), read when
	// results.json is written, after the document was encoded once: it
	// covers set-up, every point, teardown and building the results, so it
	// is at least every point's max_rss_bytes. Rendering the report comes
	// after it and is not included. Merged documents keep the largest of
	// their parts. 0 (left out) in documents written before it existed.
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
}

// Environment records where and when the run happened.
type Environment struct {
	Go         string    `json:"go"`
	OS         string    `json:"os"`
	Arch       string    `json:"arch"`
	CPUs       int       `json:"cpus"`
	CPUModel   string    `json:"cpu_model,omitempty"`
	Revision   string    `json:"revision,omitempty"`
	Version    string    `json:"evbench_version,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// BrokerKind describes the Kafka broker used, e.g. "embedded in-memory
	// (kfake, not disk-backed)" or "Apache Kafka 4.1.1"; empty when no
	// Kafka-based system ran.
	BrokerKind string `json:"broker_kind,omitempty"`
	// Embedded is true when BrokerKind is the in-memory embedded broker, so
	// reports can put the honesty label next to the numbers.
	Embedded bool `json:"broker_embedded,omitempty"`
	// Noise is the machine-noise calibration measured at run start (see
	// runners/noise); nil in documents written before it existed.
	Noise *Noise `json:"noise,omitempty"`
}

// Noise is a short calibration of how noisy the machine was when the run
// started: the spread of a fixed CPU loop (scheduling, frequency scaling,
// neighbours on a shared runner) and the lateness of timer wake-ups. A
// comparison uses it to say when a tolerance is finer than the machine can
// resolve.
type Noise struct {
	// CPUSpreadPct is the relative spread of the fixed CPU loop's
	// duration: max(p90/median - 1, 1 - p10/median) * 100.
	CPUSpreadPct float64 `json:"cpu_spread_pct"`
	// CPULoopMedianUS is the loop's median duration.
	CPULoopMedianUS float64 `json:"cpu_loop_median_us"`
	// TimerLateP50US and TimerLateP99US are how late 1ms sleeps woke up.
	TimerLateP50US float64 `json:"timer_late_p50_us"`
	TimerLateP99US float64 `json:"timer_late_p99_us"`
	// Samples is the number of CPU loops and of timer sleeps measured.
	Samples int `json:"samples"`
	// DurationMS is how long the calibration took.
	DurationMS float64 `json:"duration_ms"`
}

// Point is one (system, parameters) measurement.
type Point struct {
	System string `json:"system"`
	// Params holds rate_per_s, subscribers and every swept value.
	Params map[string]float64 `json:"params"`
	// Repeat is the repeat number within a sweep, 1..repeats (0 for a
	// saturation probe).
	Repeat int `json:"repeat,omitempty"`
	// Status is complete | interrupted | failed for this point.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`

	OfferedPerS float64 `json:"offered_per_s"`
	// AchievedPerS is measured events emitted per second of the time the
	// generator actually took (EmittedS when it fell behind, else DurationS).
	AchievedPerS   float64 `json:"achieved_per_s"`
	GeneratorLagUS Lag     `json:"generator_lag_us"`
	// EmittedS is the time from the start of the measured period until the
	// generator emitted its last event; more than DurationS when it could
	// not keep its schedule.
	EmittedS float64 `json:"emitted_s,omitempty"`
	// Overloaded is true when the generator could not keep its schedule:
	// the offered load was not applied, so the point's figures do not
	// describe OfferedPerS. OverloadReason says which criterion tripped.
	Overloaded     bool   `json:"overloaded,omitempty"`
	OverloadReason string `json:"overload_reason,omitempty"`

	// BrokerKind names the broker this point's system published to, e.g.
	// "Apache Kafka v4.1" or the embedded broker's label; empty for a
	// system without a broker (webhook). The runner sets it; the engine
	// copies the first one into Environment.BrokerKind.
	BrokerKind string `json:"broker_kind,omitempty"`
	// BrokerEmbedded is true when that broker was the in-memory embedded
	// one (not disk-backed, not replicated), so reports put the honesty
	// label next to this point's numbers.
	BrokerEmbedded bool `json:"broker_embedded,omitempty"`
	// Capabilities are what the point's system measures (system.go), from
	// its descriptor; nil in documents written before points recorded
	// them (read them through Caps). CostFamily is the design the cost
	// model prices the system as, and Order where the system goes in
	// tables and legends (Rank); both from the descriptor too.
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	CostFamily   CostFamily    `json:"cost_family,omitempty"`
	Order        int           `json:"order,omitempty"`
	// Network maps each emulated link of the point (network.go's link
	// names) to its profile and spec; absent when every link was loopback.
	Network map[string]NetworkLink `json:"network,omitempty"`

	// Publish is Kafka publish latency (intended -> acked); kafka, bridge.
	Publish *Latency `json:"publish,omitempty"`
	// Ingress is the bridge ingress latency (intended -> HTTP ack); bridge.
	Ingress *Latency `json:"ingress,omitempty"`
	// PublishErrors counts produce failures by class; kafka, bridge.
	PublishErrors *Errors `json:"publish_errors,omitempty"`

	Subscribers []Subscriber `json:"subscribers"`
	Resources   Resources    `json:"resources"`
	Timeseries  []Sample     `json:"timeseries"`
	Thresholds  []Threshold  `json:"thresholds,omitempty"`
	// SenderProcess is set when the webhook sender ran as a child process
	// (process.go).
	SenderProcess *ChildProcess `json:"sender_process,omitempty"`
	// SenderMemory is the webhook sender's memory per delivery in flight
	// and per connection, measured during the point (memory.go).
	SenderMemory *SenderMemory `json:"sender_memory,omitempty"`
	// BridgeProcess is set when the bridge ran as a child process.
	BridgeProcess *ChildProcess `json:"bridge_process,omitempty"`
	// ParallelRun compares a migration's two delivery paths per
	// subscriber (bridge with parallel_run; parallel.go).
	ParallelRun []ParallelSubscriber `json:"parallel_run,omitempty"`
	// Notes are honesty labels and warnings attached to this point.
	Notes []string `json:"notes,omitempty"`
	// StartedAt and DurationS are the measured period.
	StartedAt time.Time `json:"started_at"`
	DurationS float64   `json:"duration_s"`
	// Shard is set when the point is one shard of a sharded run
	// (evbench run --shard); nil for a single host and after a merge.
	Shard *Shard `json:"shard,omitempty"`
	// IDs identifies the events sent, for exact merges (idset.go).
	IDs *IDs `json:"ids,omitempty"`
	// Consumer is set when the point was recorded by an `evbench consume`
	// process rather than a load generator (consumer.go).
	Consumer *Consumer `json:"consumer,omitempty"`
	// FaultWindows are the infrastructure faults applied during the point
	// (faults.go); Availability how the system lived through them.
	FaultWindows []FaultWindow `json:"fault_windows,omitempty"`
	Availability *Availability `json:"availability,omitempty"`
}

// Broker returns the broker p's system published to and whether it was
// the embedded in-memory one: the point's typed fields, or, in documents
// written before points carried them, the run environment's for points
// of a system with a broker (capability Broker). "" and false for a
// system without a broker.
func (p *Point) Broker(env Environment) (kind string, embedded bool) {
	if p.BrokerKind != "" {
		return p.BrokerKind, p.BrokerEmbedded
	}
	if p.Caps().Broker {
		return env.BrokerKind, env.Embedded
	}
	return "", false
}

// Lag is the generator lag: how late events were sent after their intended time.
type Lag struct {
	P99 int64 `json:"p99"`
	Max int64 `json:"max"`
}

// Latency is a latency summary plus the full histogram.
type Latency struct {
	LatencyUS Summary `json:"latency_us"`
	// Histogram is the HdrHistogram V2 compressed encoding, base64.
	Histogram string `json:"histogram"`
}

// Summary is a percentile summary (microseconds for latencies).
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P90   int64   `json:"p90"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p999"`
	Max   int64   `json:"max"`
}

// Subscriber is one subscriber's measurements within a point.
type Subscriber struct {
	Name string  `json:"name"`
	E2E  Latency `json:"e2e"`
	// Attempt is per-attempt latency (webhook).
	Attempt *Latency `json:"attempt,omitempty"`
	// AttemptsPerDelivery summarises attempts per delivered event (webhook).
	AttemptsPerDelivery *Counts    `json:"attempts_per_delivery,omitempty"`
	Accounting          Accounting `json:"accounting"`
	Errors              Errors     `json:"errors"`
	// Disabled is true when the endpoint answered 410 Gone (webhook).
	Disabled bool `json:"disabled,omitempty"`
	// Endpoint describes a real receiver (subscribers[].url); absent for
	// an in-process sink (see endpoint.go).
	Endpoint *Endpoint `json:"endpoint,omitempty"`
	// AttemptPhases splits per-attempt latency (webhook).
	AttemptPhases *AttemptPhases `json:"attempt_phases,omitempty"`
	// DeliveredIDs is the id set (idset.go, keys of the point's IDs
	// stride) of the measured events this subscriber processed, so merge
	// can tell a delivery from a duplicate across documents.
	DeliveredIDs string `json:"delivered_ids,omitempty"`
	// CatchUp describes a late Kafka or bridge consumer group
	// (subscribers[].join_at) replaying history (catchup.go).
	CatchUp *CatchUp `json:"catch_up,omitempty"`
}

// Counts summarises a small integer distribution (attempts per delivery).
type Counts struct {
	Count     int64   `json:"count"`
	Mean      float64 `json:"mean"`
	P50       int64   `json:"p50"`
	P99       int64   `json:"p99"`
	Max       int64   `json:"max"`
	Histogram string  `json:"histogram,omitempty"`
}

// Accounting is exact delivery accounting for one subscriber.
// Sent == Delivered + Lost always holds in a valid document.
type Accounting struct {
	Sent         int64 `json:"sent"`
	Delivered    int64 `json:"delivered"`
	Duplicates   int64 `json:"duplicates"`
	Lost         int64 `json:"lost"`
	DeadLettered int64 `json:"dead_lettered"`
	// DeliveredAfterDeadLetter counts events both dead-lettered and
	// delivered: the sender gave up (an attempt timed out) but the
	// subscriber processed the event anyway. They are delivered, not lost,
	// so Lost >= DeadLettered - DeliveredAfterDeadLetter.
	DeliveredAfterDeadLetter int64 `json:"delivered_after_dead_letter,omitempty"`
	Retries                  int64 `json:"retries"`
	OutOfOrder               int64 `json:"out_of_order"`
	// LostBy attributes every lost event to one cause (recorded when Lost >
	// 0, so absent exactly when it is zero); its counts add up to Lost.
	// Results written before it existed have it zero whatever Lost is.
	LostBy LossCauses `json:"lost_by,omitzero"`
	// NotSubscribed counts events from before a late subscriber joined
	// (subscribers[].join_at): never owed to it, so not lost, and not in
	// Delivered or Lost (Sent = Delivered + Lost + NotSubscribed).
	NotSubscribed int64 `json:"not_subscribed,omitempty"`
}

// LossCauses attributes a subscriber's lost events to their causes. Each
// lost event counts once: a dead-lettered event under the reason it was
// first dead-lettered for, any other lost event as not delivered by the end
// of the drain. Dead-lettered events the subscriber processed anyway are
// delivered, not lost, and appear nowhere here.
type LossCauses struct {
	// RetriesExhausted: the webhook sender made every attempt its retry
	// policy allows and gave up (the outage outlasted the retry budget).
	RetriesExhausted int64 `json:"retries_exhausted"`
	// EndpointGone: dead-lettered because the endpoint answered 410 Gone
	// and was disabled.
	EndpointGone int64 `json:"endpoint_gone_410"`
	// QueueOverflow: dead-lettered at once because the endpoint's queue
	// was full (queue_limit).
	QueueOverflow int64 `json:"queue_overflow"`
	// SenderCrash: held by the webhook sender process (queued, waiting for
	// a retry or in flight, not yet acknowledged) when it was killed
	// (systems.webhook.faults sender-crash), and never processed.
	SenderCrash int64 `json:"sender_crash,omitempty"`
	// BridgeCrash: answered by the bridge before it produced the record
	// (ack: before-produce) and not yet acknowledged by Kafka when the
	// bridge process was killed (systems.bridge.faults bridge-crash).
	BridgeCrash int64 `json:"bridge_crash,omitempty"`
	// NotDelivered: not processed and not given up on when the drain
	// ended: still queued, waiting for a retry, in flight, or (Kafka,
	// bridge) not consumed.
	NotDelivered int64 `json:"not_delivered_by_end_of_drain"`
	// BrokerFault: never acknowledged by Kafka (the producer got an error
	// or no answer by the end of the drain) on a point where a broker fault
	// was applied: lost to the fault.
	BrokerFault int64 `json:"broker_fault,omitempty"`
	// RetentionExpired: (Kafka, bridge) the record was deleted by the
	// topic's retention (retention.ms) before the subscriber's group read
	// it, e.g. while the group was down longer than the retention.
	RetentionExpired int64 `json:"retention_expired"`
}

// Add returns the sum of c and o (merging repeats of a point).
func (c LossCauses) Add(o LossCauses) LossCauses {
	return LossCauses{RetriesExhausted: c.RetriesExhausted + o.RetriesExhausted, EndpointGone: c.EndpointGone + o.EndpointGone,
		QueueOverflow: c.QueueOverflow + o.QueueOverflow, SenderCrash: c.SenderCrash + o.SenderCrash,
		BridgeCrash: c.BridgeCrash + o.BridgeCrash, NotDelivered: c.NotDelivered + o.NotDelivered, BrokerFault: c.BrokerFault + o.BrokerFault,
		RetentionExpired: c.RetentionExpired + o.RetentionExpired}
}

// Total is the number of lost events the causes account for.
func (c LossCauses) Total() int64 {
	return c.RetriesExhausted + c.EndpointGone + c.QueueOverflow + c.SenderCrash + c.BridgeCrash + c.NotDelivered + c.BrokerFault + c.RetentionExpired
}

// Check returns an error when the accounting identity does not hold.
func (a Accounting) Check() error {
	if a.Sent != a.Delivered+a.Lost+a.NotSubscribed {
		return fmt.Errorf("accounting identity violated: sent %d != delivered %d + lost %d + not subscribed %d", a.Sent, a.Delivered, a.Lost, a.NotSubscribed)
	}
	if a.LostBy != (LossCauses{}) && a.LostBy.Total() != a.Lost {
		return fmt.Errorf("loss causes add up to %d, lost is %d: %+v", a.LostBy.Total(), a.Lost, a.LostBy)
	}
	if a.NotSubscribed < 0 {
		return fmt.Errorf("accounting has negative not_subscribed: %+v", a)
	}
	if a.Sent < 0 || a.Lost < 0 || a.Delivered < 0 || a.Duplicates < 0 || a.DeadLettered < 0 || a.Retries < 0 || a.OutOfOrder < 0 {
		return fmt.Errorf("accounting has negative counts: %+v", a)
	}
	return nil
}

// Errors counts failures by class.
type Errors struct {
	Timeout           int64 `json:"timeout"`
	Refused           int64 `json:"refused"`
	HTTP4xx           int64 `json:"http_4xx"`
	HTTP5xx           int64 `json:"http_5xx"`
	SignatureFailures int64 `json:"signature_failures"`
	Broker            int64 `json:"broker"`
	Other             int64 `json:"other,omitempty"`
}

// Total is the sum of all classes.
func (e Errors) Total() int64 {
	return e.Timeout + e.Refused + e.HTTP4xx + e.HTTP5xx + e.SignatureFailures + e.Broker + e.Other
}

// Resources is what the harness process used during a point.
type Resources struct {
	CPUUserS    float64 `json:"cpu_user_s"`
	CPUSysS     float64 `json:"cpu_sys_s"`
	MaxRSSBytes int64   `json:"max_rss_bytes"`
	BytesSent   int64   `json:"bytes_sent"`
}

// Sample is one second of the time series. Latencies are the e2e
// deliveries completed in that second, across subscribers.
type Sample struct {
	TS         float64 `json:"t_s"`
	Offered    float64 `json:"offered"`
	Achieved   float64 `json:"achieved"`
	P50US      int64   `json:"p50_us"`
	P99US      int64   `json:"p99_us"`
	InFlight   int64   `json:"in_flight"`
	QueueDepth int64   `json:"queue_depth"`
	Lag        int64   `json:"lag"`
	Delivered  int64   `json:"delivered"`
	Retries    int64   `json:"retries_waiting"`
	// UnderReplicated and ISRMin are the topic's under-replicated
	// partitions and smallest in-sync replica set, read from the cluster's
	// metadata once a second on a real cluster with broker faults or
	// replication (absent otherwise).
	UnderReplicated *int64 `json:"under_replicated,omitempty"`
	ISRMin          *int64 `json:"isr_min,omitempty"`
}

// Threshold is one evaluated threshold expression.
type Threshold struct {
	Expr  string  `json:"expr"`
	Value float64 `json:"value"`
	Pass  bool    `json:"pass"`
	// NoData is true when the metric had no data (a latency histogram with
	// no values, lost_ratio with nothing sent): the threshold fails and
	// Value means nothing.
	NoData bool `json:"no_data,omitempty"`
}

// MaxRate is a saturation search result.
type MaxRate struct {
	System      string  `json:"system"`
	Subscribers int     `json:"subscribers"`
	RatePerS    float64 `json:"rate_per_s"`
	SLO         string  `json:"slo"`
	// Probes is the number of probe points run, reruns included.
	Probes int `json:"probes"`
	// Reruns is how many of the probes ran a failed rate again
	// (sweep.find_max.confirm); absent when none did.
	Reruns int `json:"reruns,omitempty"`
	// Bounded is false when the search hit its limit without failing.
	Bounded bool `json:"bounded"`
}

// Histogram bounds: 1 us to 1 hour, 3 significant digits (README.md: the
// figures). Every latency histogram in a results document has this
// geometry, which is what lets merge and compare add and compare them.
const (
	HistMin    = 1
	HistMax    = int64(time.Hour / time.Microsecond)
	HistDigits = 3
)

// NewHistogram returns an empty latency histogram in microseconds with the
// project's fixed geometry, so that every histogram can be merged exactly.
func NewHistogram() *hdr.Histogram { return hdr.New(HistMin, HistMax, HistDigits) }

// EncodeHistogram returns the HdrHistogram V2 compressed encoding in base64
// (the form every HdrHistogram library decodes, starting "HISTF";
// hdrhistogram-go's Encode already applies the base64 step).
// It writes the library's bytes with a pooled compressor (histenc.go).
func EncodeHistogram(h *hdr.Histogram) (string, error) { return encodeV2(h) }

// DecodeHistogram decodes a base64 V2 compressed histogram. An empty string
// decodes to an empty histogram. The geometry in the header is checked
// before anything is allocated: lowest 1, highest at most HistMax, at most
// HistDigits digits, so a crafted header cannot make the decoder allocate
// more than one of the project's own histograms.
func DecodeHistogram(s string) (*hdr.Histogram, error) {
	if s == "" {
		return NewHistogram(), nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode histogram base64: %w", err)
	}
	g, err := histogramGeometry(b)
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	if g.lowest != HistMin || g.highest < 1 || g.highest > HistMax || g.digits < 1 || g.digits > HistDigits {
		return nil, fmt.Errorf("decode histogram: foreign geometry %s (evbench writes lowest %d, highest at most %d, %d significant digits)", g, HistMin, HistMax, HistDigits)
	}
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// geometry is an encoded histogram's trackable range and precision.
type geometry struct{ lowest, highest, digits int64 }

func (g geometry) String() string {
	return fmt.Sprintf("lowest %d, highest %d, %d significant digits", g.lowest, g.highest, g.digits)
}

// histogramGeometry reads the geometry from a V2 compressed encoding
// (base64 already removed): an 8-byte outer header (cookie, compressed
// length), then zlib data whose first 40 bytes are the inner header
// (cookie, payload length, normalizing offset, digits, lowest, highest,
// conversion ratio; big-endian). Only those 40 bytes are inflated.
func histogramGeometry(b []byte) (geometry, error) {
	if len(b) < 8 {
		return geometry{}, fmt.Errorf("%d bytes, too short for a histogram", len(b))
	}
	zr, err := zlib.NewReader(bytes.NewReader(b[8:]))
	if err != nil {
		return geometry{}, fmt.Errorf("not a compressed histogram: %w", err)
	}
	defer zr.Close()
	var hdrBytes [40]byte
	if _, err := io.ReadFull(zr, hdrBytes[:]); err != nil {
		return geometry{}, fmt.Errorf("truncated histogram header: %w", err)
	}
	return geometry{
		digits:  int64(int32(binary.BigEndian.Uint32(hdrBytes[12:16]))),
		lowest:  int64(binary.BigEndian.Uint64(hdrBytes[16:24])),
		highest: int64(binary.BigEndian.Uint64(hdrBytes[24:32])),
	}, nil
}

// checkLatency checks that a latency's histogram decodes with the latency
// geometry and holds as many values as its summary says.
func checkLatency(l *Latency) error {
	if l.LatencyUS.Count < 0 {
		return fmt.Errorf("negative count %d", l.LatencyUS.Count)
	}
	if l.Histogram == "" {
		return nil
	}
	h, err := DecodeHistogram(l.Histogram)
	if err != nil {
		return err
	}
	if h.LowestTrackableValue() != HistMin || h.HighestTrackableValue() != HistMax || h.SignificantFigures() != HistDigits {
		return fmt.Errorf("histogram has foreign geometry (lowest %d, highest %d, %d digits); evbench latencies use %d..%d us at %d digits",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(), HistMin, HistMax, HistDigits)
	}
	if n := h.TotalCount(); n != l.LatencyUS.Count {
		return fmt.Errorf("histogram holds %d values but the summary says %d", n, l.LatencyUS.Count)
	}
	return nil
}

// Summarize computes the percentile summary of h.
func Summarize(h *hdr.Histogram) Summary {
	if h.TotalCount() == 0 {
		return Summary{}
	}
	return Summary{
		Count: h.TotalCount(),
		Mean:  h.Mean(),
		P50:   h.ValueAtQuantile(50),
		P90:   h.ValueAtQuantile(90),
		P99:   h.ValueAtQuantile(99),
		P999:  h.ValueAtQuantile(99.9),
		Max:   h.Max(),
	}
}

// NewLatency summarises and encodes h.
func NewLatency(h *hdr.Histogram) (Latency, error) {
	enc, err := EncodeHistogram(h)
	if err != nil {
		return Latency{}, err
	}
	return Latency{LatencyUS: Summarize(h), Histogram: enc}, nil
}

// Validate checks the invariants a consumer relies on: the schema string,
// the accounting identity of every subscriber of every point, no negative
// count anywhere, and every histogram decodable with evbench's geometry
// and as many values as its summary. Reports, comparisons and merges can
// then trust what they read; a corrupt document is refused with the place
// it is wrong, not drawn.
func (r *Results) Validate() error {
	if r.Schema != Schema {
		return fmt.Errorf("unsupported schema %q (want %q)", r.Schema, Schema)
	}
	for i := range r.Points {
		p := &r.Points[i]
		where := fmt.Sprintf("point %d (%s)", i, p.System)
		if err := p.validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for j := range p.Subscribers {
			s := &p.Subscribers[j]
			if err := s.validate(); err != nil {
				return fmt.Errorf("%s subscriber %s: %w", where, s.Name, err)
			}
		}
	}
	return r.validateFlows()
}

func (p *Point) validate() error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"offered_per_s", p.OfferedPerS}, {"achieved_per_s", p.AchievedPerS}, {"duration_s", p.DurationS},
		{"resources.cpu_user_s", p.Resources.CPUUserS}, {"resources.cpu_sys_s", p.Resources.CPUSysS}} {
		if v.v < 0 {
			return fmt.Errorf("%s is negative (%g)", v.name, v.v)
		}
	}
	if p.Resources.MaxRSSBytes < 0 || p.Resources.BytesSent < 0 {
		return fmt.Errorf("resources has negative counts: %+v", p.Resources)
	}
	if p.BrokerEmbedded && p.BrokerKind == "" {
		return fmt.Errorf("broker_embedded is set without a broker_kind")
	}
	for _, l := range []struct {
		name string
		l    *Latency
	}{{"publish", p.Publish}, {"ingress", p.Ingress}} {
		if l.l == nil {
			continue
		}
		if err := checkLatency(l.l); err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
	}
	if p.PublishErrors != nil {
		if err := p.PublishErrors.check(); err != nil {
			return fmt.Errorf("publish_errors: %w", err)
		}
	}
	for _, s := range p.Timeseries {
		if s.Offered < 0 || s.Achieved < 0 || s.Delivered < 0 || s.InFlight < 0 || s.QueueDepth < 0 || s.Retries < 0 {
			return fmt.Errorf("timeseries at %gs has negative values", s.TS)
		}
	}
	return nil
}

func (s *Subscriber) validate() error {
	if err := s.Accounting.Check(); err != nil {
		return err
	}
	if err := checkLatency(&s.E2E); err != nil {
		return fmt.Errorf("e2e: %w", err)
	}
	if s.Attempt != nil {
		if err := checkLatency(s.Attempt); err != nil {
			return fmt.Errorf("attempt: %w", err)
		}
	}
	if c := s.AttemptsPerDelivery; c != nil {
		if c.Count < 0 {
			return fmt.Errorf("attempts_per_delivery: negative count %d", c.Count)
		}
		if c.Histogram != "" {
			h, err := DecodeHistogram(c.Histogram)
			if err != nil {
				return fmt.Errorf("attempts_per_delivery: %w", err)
			}
			if n := h.TotalCount(); n != c.Count {
				return fmt.Errorf("attempts_per_delivery: histogram holds %d values but the summary says %d", n, c.Count)
			}
		}
	}
	return s.Errors.check()
}

func (e Errors) check() error {
	if e.Timeout < 0 || e.Refused < 0 || e.HTTP4xx < 0 || e.HTTP5xx < 0 || e.SignatureFailures < 0 || e.Broker < 0 || e.Other < 0 {
		return fmt.Errorf("errors has negative counts: %+v", e)
	}
	return nil
}

// Decode reads and validates a results document.
func Decode(b []byte) (*Results, error) {
	var r Results
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// MaxFileBytes bounds a results.json file that is read back. A point with
// a few subscribers takes tens of KiB, so this holds the largest sweeps
// while refusing devices (/dev/zero), named pipes and runaway files before
// they are read.
const MaxFileBytes = 1 << 30

// ReadFile reads and validates a results.json file of at most MaxFileBytes.
func ReadFile(path string) (*Results, error) {
	b, err := limitedfile.Read(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	r, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// WriteFile writes r as indented JSON to path atomically (temp file in the
// same directory, fsync, rename), so a crash never leaves half a document.
func WriteFile(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	return WriteAtomic(path, append(b, '\n'))
}

// WriteAtomic writes data to path via a temporary file and rename.
func WriteAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Results are meant to be shared: readable by everyone, like a file
	// written with os.WriteFile and a 0644 mode.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return nil
}
