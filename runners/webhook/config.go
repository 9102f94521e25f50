package webhook

import (
	"slices"
	"time"

	"github.com/evbench/evbench/scenarios"
)

// This file is the webhook system's scenario block, systems.webhook: its
// settings, defaults, decoding and checks, sweepable settings, deep copy
// and time scaling, registered with the scenario loader
// (scenarios/registry.go). The loader resolves it once; the runner reads
// the resolved block (ConfigOf) and never defaults it again.

func init() {
	scenarios.RegisterSystem(scenarios.SystemBlock{
		Name: System, Order: 10, Keys: configKeys, Decode: decodeConfig,
		Measures:       []string{scenarios.FamilyAttempt},
		URLSubscribers: true,
		Sweep:          sweep,
		Scaled:         []string{"retry.schedule", "retry.initial", "retry.max"},
	})
}

// Config configures webhook fan-out (systems.webhook). Its JSON form is
// the block results.json echoes.
type Config struct {
	// Timeout is the per-attempt timeout (default 5s).
	Timeout scenarios.Duration `yaml:"timeout,omitempty" json:"timeout_ns"`
	// Retry is the retry policy.
	Retry scenarios.Retry `yaml:"retry,omitempty" json:"retry"`
	// MaxInFlight is the per-endpoint concurrency limit (default 64).
	MaxInFlight int `yaml:"max_in_flight,omitempty" json:"max_in_flight"`
	// QueueLimit is the per-endpoint queue bound; a delivery that finds
	// the queue full is dead-lettered as "queue full" (default 100000).
	QueueLimit int `yaml:"queue_limit,omitempty" json:"queue_limit"`
	// MaxInFlightTotal caps attempts in flight across all endpoints; at the
	// cap the schedule waits (back-pressure, shown as generator lag).
	MaxInFlightTotal int `yaml:"max_in_flight_total,omitempty" json:"max_in_flight_total"`
	// Connections is keepalive (default) or per-delivery.
	Connections string `yaml:"connections,omitempty" json:"connections"`
	// Signing configures Standard Webhooks signatures.
	Signing scenarios.Signing `yaml:"signing,omitempty" json:"signing"`
	// DurableQueue keeps the sender's queue in an on-disk outbox, so a
	// sender crash loses nothing (runners/webhook/outbox.go).
	DurableQueue bool `yaml:"durable_queue,omitempty" json:"durable_queue,omitempty"`
	// Faults are crashes of the sender itself (sender-crash).
	Faults []scenarios.InfraFault `yaml:"faults,omitempty" json:"faults,omitempty"`
}

// ConfigOf returns sc's systems.webhook block, or nil when the webhook
// system is not enabled.
func ConfigOf(sc *scenarios.Scenario) *Config {
	if sc == nil {
		return nil
	}
	c, _ := sc.Systems.Get(System).(*Config)
	return c
}

// DefaultConfig is the block systems.webhook: {} resolves to.
func DefaultConfig() *Config {
	return &Config{
		Timeout:     scenarios.DefaultWebhookTimeout,
		Retry:       scenarios.DefaultRetry(),
		MaxInFlight: scenarios.DefaultWebhookInFlight,
		QueueLimit:  scenarios.DefaultQueueLimit,
		// max_in_flight_total: the dispatcher's cap (runners/webhook/inflight.go).
		MaxInFlightTotal: scenarios.DefaultInFlightTotal,
		Connections:      scenarios.DefaultConnections,
		Signing:          scenarios.Signing{Enabled: scenarios.PtrTrue()},
	}
}

var configKeys = []string{"timeout", "retry", "max_in_flight", "queue_limit", "max_in_flight_total", "connections", "signing", "durable_queue", "faults"}

func decodeConfig(o *scenarios.Object) scenarios.Block {
	w := DefaultConfig()
	o.Duration("timeout", &w.Timeout)
	o.Int("max_in_flight", &w.MaxInFlight, scenarios.AnyIntLo, scenarios.AnyIntHi)
	o.Int("queue_limit", &w.QueueLimit, scenarios.AnyIntLo, scenarios.AnyIntHi)
	o.Int("max_in_flight_total", &w.MaxInFlightTotal, scenarios.AnyIntLo, scenarios.AnyIntHi)
	o.Enum("connections", &w.Connections, scenarios.ConnKeepalive, scenarios.ConnPerDelivery)
	if o.Has("retry") {
		o.Retry("retry", &w.Retry)
		// A preset's stated per-attempt timeout applies unless timeout is
		// written; a preset that states none keeps the default.
		if p, ok := scenarios.LookupRetryPreset(w.Retry.Preset); ok && p.Timeout > 0 && !o.Has("timeout") {
			w.Timeout = p.Timeout
		}
	}
	if o.Has("signing") {
		o.Signing("signing", &w.Signing)
	}
	o.Bool("durable_queue", &w.DurableQueue)
	if o.Has("faults") {
		w.Faults = o.InfraFaults("faults", scenarios.FaultSenderCrash)
	}
	return w
}

var sweep = []scenarios.SweepParam{
	{Path: "webhook.max_in_flight", Unit: "count", Doc: "concurrent deliveries per endpoint", Integer: true, Min: 1, Max: scenarios.MaxInFlight,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).MaxInFlight = int(v) }},
	{Path: "webhook.queue_limit", Unit: "count", Doc: "queued deliveries per endpoint", Integer: true, Min: 1, Max: scenarios.MaxQueueLimit,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).QueueLimit = int(v) }},
	{Path: "webhook.timeout_ms", Unit: "ms", Doc: "per-attempt timeout", Min: 0.001, Max: float64(scenarios.MaxTimeout / scenarios.Duration(time.Millisecond)),
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Timeout = scenarios.Ms(v) }},
	{Path: "webhook.retry.max_attempts", Unit: "count", Doc: "attempts per delivery, the first included", Integer: true, Min: 1, Max: scenarios.MaxAttempts,
		Apply: func(b scenarios.Block, v float64) { b.(*Config).Retry.MaxAttempts = int(v) }},
}

// CloneBlock implements scenarios.Block.
func (w *Config) CloneBlock() scenarios.Block {
	cw := *w
	cw.Retry.Schedule = slices.Clone(w.Retry.Schedule)
	if w.Retry.HonourRetryAfter != nil {
		v := *w.Retry.HonourRetryAfter
		cw.Retry.HonourRetryAfter = &v
	}
	if w.Signing.Enabled != nil {
		v := *w.Signing.Enabled
		cw.Signing.Enabled = &v
	}
	cw.Faults = slices.Clone(w.Faults)
	return &cw
}

// CheckBlock implements scenarios.BlockChecker.
func (w *Config) CheckBlock(c *scenarios.Checker, s *scenarios.Scenario, p string) {
	c.DurRange(p+".timeout", w.Timeout, true, scenarios.MaxTimeout)
	c.IntRange(p+".max_in_flight", w.MaxInFlight, 1, scenarios.MaxInFlight, "concurrent deliveries per endpoint")
	c.IntRange(p+".queue_limit", w.QueueLimit, 1, scenarios.MaxQueueLimit, "queued deliveries per endpoint")
	c.IntRange(p+".max_in_flight_total", w.MaxInFlightTotal, 1, scenarios.MaxInFlight, "attempts in flight across endpoints")
	c.Enum(p+".connections", w.Connections, scenarios.ConnKeepalive, scenarios.ConnPerDelivery)
	c.Retry(p+".retry", w.Retry)
	c.Signing(p+".signing", w.Signing)
	c.InfraFaults(p+".faults", w.Faults, s.Load.Duration+s.Load.Drain, scenarios.FaultSenderCrash)
	if mean := s.Event.Size.MeanValue(); mean > 0 && len(s.Subscribers) > 0 {
		c.InFlight(p+".max_in_flight", mean, len(s.Subscribers), w.MaxInFlight)
	}
	if !w.Signing.On() || w.Signing.SecretEnv == "" {
		for i, sub := range s.Subscribers {
			if sub.SinkLedger {
				c.Add(scenarios.SubscriberKey(i)+".sink_ledger", scenarios.SinkLedgerNeedsSecret, scenarios.SinkLedgerNeedsSecretAllowed)
			}
		}
	}
}

// ScaleBlock implements scenarios.BlockScaler.
func (w *Config) ScaleBlock(c func(*scenarios.Duration), _ float64) {
	for i := range w.Retry.Schedule {
		c(&w.Retry.Schedule[i])
	}
	c(&w.Retry.Initial)
	c(&w.Retry.Max)
	for i := range w.Faults {
		c(&w.Faults[i].At)
		c(&w.Faults[i].For)
	}
}
