// Package scenarios defines the evbench scenario schema (v1), loads YAML
// scenario files with strict validation and expands sweeps into points.
//
// The Go types in this file are the schema: every YAML key maps to one field,
// and the loader rejects anything else with file:line:column and the allowed
// keys. Units are resolved at load time, so runners only ever see base units
// (time.Duration, bytes, events per second).
package scenarios

import (
	"math"
	"math/rand/v2"
	"time"
)

// Rate is an event rate in events per second. The YAML form is "N/s", "N/min"
// or "N/h" (a bare number is rejected: the unit is the point of the field).
type Rate float64

// PerSecond returns the rate as a float64 number of events per second.
func (r Rate) PerSecond() float64 { return float64(r) }

// Duration is a time.Duration parsed from Go duration syntax ("250ms", "2s", "1m30s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ByteSize is a size in bytes parsed from "512B", "1KiB", "1MiB", "1KB", "1MB".
type ByteSize int64

// Dist is a distribution of a non-negative quantity (processing time in
// nanoseconds, or a payload size in bytes). The YAML form is either a scalar
// (a fixed value, "5ms" or "1KiB") or a mapping with `dist:` one of
// fixed | uniform | lognormal | exponential and the fields that kind needs.
type Dist struct {
	// Kind is fixed, uniform, lognormal or exponential.
	Kind string `json:"dist"`
	// Value is the fixed value (Kind fixed).
	Value float64 `json:"value,omitempty"`
	// Min and Max bound a uniform distribution.
	Min float64 `json:"min,omitempty"`
	Max float64 `json:"max,omitempty"`
	// Median and P99 define a lognormal distribution: a latency-like shape
	// that users can describe with the two numbers they usually know.
	Median float64 `json:"median,omitempty"`
	P99    float64 `json:"p99,omitempty"`
	// Mean defines an exponential distribution.
	Mean float64 `json:"mean,omitempty"`
}

// Distribution kinds.
const (
	DistFixed       = "fixed"
	DistUniform     = "uniform"
	DistLognormal   = "lognormal"
	DistExponential = "exponential"
)

// z99 is the standard normal quantile at 0.99.
const z99 = 2.3263478740408408

// Sample draws one value from the distribution using r. It never returns a
// negative value.
func (d Dist) Sample(r *rand.Rand) float64 {
	switch d.Kind {
	case DistUniform:
		return d.Min + r.Float64()*(d.Max-d.Min)
	case DistLognormal:
		if d.Median <= 0 {
			return 0
		}
		mu := math.Log(d.Median)
		sigma := 0.0
		if d.P99 > d.Median {
			sigma = (math.Log(d.P99) - mu) / z99
		}
		return math.Exp(mu + sigma*r.NormFloat64())
	case DistExponential:
		return r.ExpFloat64() * d.Mean
	default:
		return d.Value
	}
}

// MeanValue is the distribution's expected value (used for capacity hints
// and the cost model).
func (d Dist) MeanValue() float64 {
	switch d.Kind {
	case DistUniform:
		return (d.Min + d.Max) / 2
	case DistLognormal:
		if d.Median <= 0 {
			return 0
		}
		sigma := 0.0
		if d.P99 > d.Median {
			sigma = (math.Log(d.P99) - math.Log(d.Median)) / z99
		}
		return d.Median * math.Exp(sigma*sigma/2)
	case DistExponential:
		return d.Mean
	default:
		return d.Value
	}
}

// Scenario is one scenario file, resolved: defaults filled in, replicated
// subscribers (count: N) expanded, units converted.
type Scenario struct {
	// Name identifies the scenario in results and output folder names
	// (default: the file's base name without extension).
	Name string `yaml:"name" json:"name"`
	// Description is free text shown in reports.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Load is the offered load shape.
	Load Load `yaml:"load" json:"load"`
	// Event is the event shape.
	Event Event `yaml:"event" json:"event"`
	// Subscribers are the downstream services; the same list is used for
	// every system (sinks for webhooks, consumer groups for Kafka).
	Subscribers []Subscriber `yaml:"subscribers" json:"subscribers"`
	// Systems says which systems run and how each is configured.
	Systems Systems `yaml:"systems" json:"systems"`
	// Thresholds are pass/fail expressions evaluated per point, for example
	// "e2e.p99 < 100ms" or "lost == 0", parsed at load.
	Thresholds []Threshold `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// Sweep, when present, turns the run into many points.
	Sweep *Sweep `yaml:"sweep,omitempty" json:"sweep,omitempty"`
	// Cost selects a cost profile and overrides for the cost model.
	Cost *Cost `yaml:"cost,omitempty" json:"cost,omitempty"`
	// TimeScale compresses the scenario's timeline: every duration on it
	// (run length, warm-up, drain, fault windows, retry delays, Kafka
	// retention, find_max probes) was divided by it at load time, so a
	// resolved scenario holds real durations; multiply by TimeScale for
	// scenario time. Processing times, injected latency, timeouts and rates
	// are not on the timeline and are not scaled. 0 or 1: real time.
	TimeScale float64 `yaml:"time_scale,omitempty" json:"time_scale,omitempty"`
	// Flows are multi-hop flows run after the points (see flows.go).
	Flows []Flow `yaml:"flows,omitempty" json:"flows,omitempty"`

	// File is the path the scenario was loaded from ("" for built-ins read
	// from memory). Not part of the YAML.
	File string `yaml:"-" json:"file,omitempty"`

	// tmpl is the only subscriber entry written in the file (before count
	// expansion) when there is exactly one: sweep.subscribers copies it N
	// times. nil otherwise.
	tmpl *Subscriber
}

// Arrival shapes.
const (
	ArrivalConstant = "constant"
	ArrivalRamp     = "ramp"
	ArrivalSteps    = "steps"
	ArrivalSpike    = "spike"
	ArrivalPoisson  = "poisson"
)

// Load is the open-loop load shape. Times are offsets from the start of the
// measured period; warm-up runs before it at the shape's initial rate.
type Load struct {
	// Arrival is constant (default) | ramp | steps | spike | poisson.
	Arrival string `yaml:"arrival" json:"arrival"`
	// Rate is the rate for constant and poisson arrivals.
	Rate Rate `yaml:"rate,omitempty" json:"rate_per_s,omitempty"`
	// From and To are the ramp's start and end rates (linear over Duration).
	From Rate `yaml:"from,omitempty" json:"from_per_s,omitempty"`
	To   Rate `yaml:"to,omitempty" json:"to_per_s,omitempty"`
	// Steps is the list of (rate, for) steps; Duration is their sum.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Base, Peak, At and For describe a spike: Base rate, Peak rate from At
	// for For.
	Base Rate     `yaml:"base,omitempty" json:"base_per_s,omitempty"`
	Peak Rate     `yaml:"peak,omitempty" json:"peak_per_s,omitempty"`
	At   Duration `yaml:"at,omitempty" json:"at_ns,omitempty"`
	For  Duration `yaml:"for,omitempty" json:"for_ns,omitempty"`
	// Duration is the measured period (default 30s).
	Duration Duration `yaml:"duration,omitempty" json:"duration_ns"`
	// Warmup runs before the measured period and is excluded (default 2s).
	Warmup Duration `yaml:"warmup,omitempty" json:"warmup_ns"`
	// Drain is how long in-flight work may finish after the load stops
	// before loss is counted (default 10s).
	Drain Duration `yaml:"drain,omitempty" json:"drain_ns"`
}

// Step is one step of a steps arrival.
type Step struct {
	Rate Rate     `yaml:"rate" json:"rate_per_s"`
	For  Duration `yaml:"for" json:"for_ns"`
}

// Event is the shape of generated events.
type Event struct {
	// Size is the payload size distribution in bytes (default 1KiB fixed).
	Size Dist `yaml:"size,omitempty" json:"size"`
	// Keys is the number of distinct event keys (default 1000); Kafka
	// records are keyed by it and per-key order is checked.
	Keys int `yaml:"keys,omitempty" json:"keys"`
	// Seed makes payloads, keys and sampled times reproducible (default 1).
	Seed uint64 `yaml:"seed,omitempty" json:"seed"`
	// Type is the event type written into payloads (default "order.created").
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
}

// Ack modes for subscribers.
const (
	AckAfterProcessing  = "after-processing"
	AckBeforeProcessing = "before-processing"
)

// Subscriber is one downstream service.
type Subscriber struct {
	// Name is unique after expansion: an entry with count N becomes
	// name-1 ... name-N.
	Name string `yaml:"name" json:"name"`
	// Processing is the processing-time distribution in nanoseconds
	// (default fixed 0).
	Processing Dist `yaml:"processing,omitempty" json:"processing_ns"`
	// Ack is after-processing (default) or before-processing.
	Ack string `yaml:"ack,omitempty" json:"ack"`
	// TLS makes the webhook sink serve HTTPS.
	TLS bool `yaml:"tls,omitempty" json:"tls,omitempty"`
	// Count replicates this entry; after loading it is always 1.
	Count int `yaml:"count,omitempty" json:"-"`
	// Members overrides systems.kafka.members for this subscriber's group
	// (0: use the system default).
	Members int `yaml:"members,omitempty" json:"members,omitempty"`
	// Faults are injected on a timeline relative to the measured start.
	Faults []Fault `yaml:"faults,omitempty" json:"faults,omitempty"`
	// JoinAt registers the subscriber late, at this offset from the measured
	// start (0: from the first event). Under webhooks it never receives
	// events intended before it (counted as not_subscribed, not lost).
	JoinAt Duration `yaml:"join_at,omitempty" json:"join_at_ns,omitempty"`
	// Retry replaces systems.webhook.retry for this subscriber (webhook
	// only; nil: the system's policy). See subscriber_retry.go.
	Retry *Retry `yaml:"retry,omitempty" json:"retry,omitempty"`
	// Endpoint fields: a real receiver instead of an in-process sink
	// (webhook only; see endpoint.go).
	URL        string            `yaml:"url,omitempty" json:"url,omitempty"`
	Headers    map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	ClientTLS  *ClientTLS        `yaml:"-" json:"client_tls,omitempty"`
	KeepAlive  *bool             `yaml:"keep_alive,omitempty" json:"keep_alive,omitempty"`
	SinkLedger bool              `yaml:"sink_ledger,omitempty" json:"sink_ledger,omitempty"`
	// Network is this subscriber's link (webhook sender -> subscriber, or
	// its consumer group <-> brokers); see network.go.
	Network Network `yaml:"network,omitempty" json:"network,omitzero"`
	// ConsumerNetwork is its consumer group's link under Kafka and the
	// bridge when it differs from Network (network.go).
	ConsumerNetwork Network `yaml:"consumer_network,omitempty" json:"consumer_network,omitzero"`
}

// Fault kinds.
const (
	FaultDown   = "down"   // connection refused
	FaultErrors = "errors" // answer Status with Probability
	FaultSlow   = "slow"   // add Add latency
	FaultPause  = "pause"  // stop answering, then answer everything held
	FaultHang   = "hang"   // never answer requests received in the window
	// FaultPartition (network.go) black-holes the subscriber's link.
)

// Fault is one injected fault.
type Fault struct {
	// Kind is down | errors | slow | pause | hang.
	Kind string `yaml:"kind" json:"kind"`
	// At is the start, relative to the start of the measured period
	// (negative values are not allowed; warm-up is fault-free).
	At Duration `yaml:"at,omitempty" json:"at_ns"`
	// For is the length; 0 means until the end of the run.
	For Duration `yaml:"for,omitempty" json:"for_ns,omitempty"`
	// Status is the HTTP status for errors faults (default 503).
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
	// Probability is the share of requests affected by errors (default 1).
	Probability float64 `yaml:"probability,omitempty" json:"probability,omitempty"`
	// RetryAfter, when set on an errors fault, is sent as Retry-After.
	RetryAfter Duration `yaml:"retry_after,omitempty" json:"retry_after_ns,omitempty"`
	// Add is the added latency for slow faults.
	Add Duration `yaml:"add,omitempty" json:"add_ns,omitempty"`
}

// Active reports whether the fault applies at offset t from the measured start.
func (f Fault) Active(t time.Duration) bool {
	if t < f.At.D() {
		return false
	}
	return f.For == 0 || t < f.At.D()+f.For.D()
}

// Backoff kinds.
const (
	BackoffExponential = "exponential"
	BackoffLinear      = "linear"
	BackoffSchedule    = "schedule"
)

// Connection modes for the webhook dispatcher.
const (
	ConnKeepalive   = "keepalive"
	ConnPerDelivery = "per-delivery"
)

// Retry is a webhook retry policy.
type Retry struct {
	// Preset names a built-in provider policy (svix, stripe, shopify,
	// github: scenarios/presets/retry.yaml) that sets MaxAttempts, Backoff,
	// Schedule, Jitter 0 and, when stated, the webhook timeout.
	Preset string `yaml:"preset,omitempty" json:"preset,omitempty"`
	// MaxAttempts counts the first attempt (default 5; 1 = no retries). With
	// backoff schedule it defaults to len(Schedule)+1 and may not exceed it.
	MaxAttempts int `yaml:"max_attempts,omitempty" json:"max_attempts"`
	// Backoff is exponential (default) | linear | schedule.
	Backoff string `yaml:"backoff,omitempty" json:"backoff"`
	// Schedule is the explicit list of delays for backoff: schedule.
	Schedule []Duration `yaml:"schedule,omitempty" json:"schedule_ns,omitempty"`
	// Initial is the first delay (default 100ms); Max caps delays (default 10s).
	Initial Duration `yaml:"initial,omitempty" json:"initial_ns"`
	Max     Duration `yaml:"max,omitempty" json:"max_ns"`
	// Jitter is the +/- fraction applied to each delay, 0..1 (default 0.2).
	Jitter float64 `yaml:"jitter,omitempty" json:"jitter"`
	// HonourRetryAfter makes a Retry-After header override the delay
	// (default true; set false explicitly to ignore it).
	HonourRetryAfter *bool `yaml:"honour_retry_after,omitempty" json:"honour_retry_after"`
}

// Signing configures Standard Webhooks signing. The secret is never written
// to results.
type Signing struct {
	// Enabled turns signing (and sink verification) on (default true).
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled"`
	// SecretEnv names an environment variable holding a whsec_ secret; when
	// empty a random secret is generated per run.
	SecretEnv string `yaml:"secret_env,omitempty" json:"secret_env,omitempty"`
}

// On reports whether signing is enabled.
func (s Signing) On() bool { return s.Enabled == nil || *s.Enabled }

// Topic is the Kafka topic set-up.
type Topic struct {
	// Name, when set, is used (and checked) for every point; when empty each
	// point gets a fresh topic "evbench-<scenario>-<system>-<nonce>", so no
	// point reads another's records.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Partitions (default 12) and ReplicationFactor (default 1).
	Partitions        int `yaml:"partitions,omitempty" json:"partitions"`
	ReplicationFactor int `yaml:"replication_factor,omitempty" json:"replication_factor"`
	// Configs are topic configs such as retention.ms, min.insync.replicas.
	Configs map[string]string `yaml:"configs,omitempty" json:"configs,omitempty"`
	// DeleteAfter deletes the topic after the point (default false).
	DeleteAfter bool `yaml:"delete_after,omitempty" json:"delete_after,omitempty"`
	// MinInsyncReplicas is the topic's min.insync.replicas (0: the
	// cluster's default); at most ReplicationFactor.
	MinInsyncReplicas int `yaml:"min_insync_replicas,omitempty" json:"min_insync_replicas,omitempty"`
	// UncleanLeaderElection is the topic's unclean.leader.election.enable
	// (default false: an out-of-sync replica never becomes leader, so an
	// acknowledged record is not silently lost).
	UncleanLeaderElection bool `yaml:"unclean_leader_election,omitempty" json:"unclean_leader_election"`
}

// KafkaTLS configures TLS to a real cluster.
type KafkaTLS struct {
	CAFile   string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	CertFile string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	// InsecureSkipVerify disables server verification (test clusters only).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
}

// KafkaSASL configures SASL; the username and password are read from the
// named environment variables at run time and never stored.
type KafkaSASL struct {
	// Mechanism is plain | scram-sha-256 | scram-sha-512.
	Mechanism   string `yaml:"mechanism" json:"mechanism"`
	UsernameEnv string `yaml:"username_env" json:"username_env"`
	PasswordEnv string `yaml:"password_env" json:"password_env"`
}

// Bridge ack modes.
const (
	BridgeAckBeforeProduce = "before-produce"
	BridgeAckAfterProduce  = "after-produce"
)

// Sweep expands a scenario into many points.
type Sweep struct {
	// Rate is the list of offered rates (overrides load rate).
	Rate []Rate `yaml:"rate,omitempty" json:"rate_per_s,omitempty"`
	// Subscribers is the list of subscriber counts: the first N subscribers,
	// or N copies of the template when only one subscriber is declared.
	Subscribers []int `yaml:"subscribers,omitempty" json:"subscribers,omitempty"`
	// Params sweeps numeric system settings by dotted path, for example
	// "kafka.topic.partitions" or "webhook.max_in_flight".
	Params map[string][]float64 `yaml:"params,omitempty" json:"params,omitempty"`
	// Repeats runs each point N times (default 1).
	Repeats int `yaml:"repeats,omitempty" json:"repeats,omitempty"`
	// FindMax searches for the highest sustainable rate.
	FindMax *FindMax `yaml:"find_max,omitempty" json:"find_max,omitempty"`
}

// FindMax configures the saturation search.
type FindMax struct {
	// SLO is a threshold expression every subscriber must meet, e.g. "e2e.p99 < 100ms".
	SLO Threshold `yaml:"slo" json:"slo"`
	// MaxLoss is the highest acceptable lost count (default 0).
	MaxLoss int64 `yaml:"max_loss,omitempty" json:"max_loss"`
	// Start is the first rate tried (default the load's peak rate); Limit
	// the highest (0: no limit).
	Start Rate `yaml:"start,omitempty" json:"start_per_s,omitempty"`
	Limit Rate `yaml:"limit,omitempty" json:"limit_per_s,omitempty"`
	// Tolerance is the relative precision of the bisection (default 0.05).
	Tolerance float64 `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// Duration of each probe point (default the load duration).
	Duration Duration `yaml:"duration,omitempty" json:"duration_ns,omitempty"`
	// Confirm is how many times a failed probe is run again at the same
	// rate before the rate counts as failed (default 0): the rate passes
	// when any run passes. On a shared machine one stall of a few tens of
	// milliseconds fails a short probe's p99, and the search, which stops
	// stepping up at its first failure, would report the noise as the
	// system's ceiling (0 when it hits the start rate).
	Confirm int `yaml:"confirm,omitempty" json:"confirm,omitempty"`
}

// Cost selects a cost profile for the cost model.
type Cost struct {
	// Profile is a built-in profile name or a path to a profile YAML.
	Profile string `yaml:"profile,omitempty" json:"profile,omitempty"`
	// Overrides replace single prices or assumptions by key.
	Overrides map[string]float64 `yaml:"overrides,omitempty" json:"overrides,omitempty"`
}
