package bridge

import (
	"slices"
	"time"

	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
)

// This file is the bridge's scenario block, systems.bridge: its settings,
// defaults, decoding and checks, sweepable settings, deep copy, time
// scaling and network link, registered with the scenario loader
// (scenarios/registry.go). The bridge's Kafka side reads systems.kafka
// (kafka.ConfigOf, or kafka.DefaultConfig when that block is absent).

func init() {
	scenarios.RegisterSystem(scenarios.SystemBlock{
		Name: System, Order: 30, Keys: blockKeys, Decode: decodeBlock,
		Measures: []string{scenarios.FamilyPublish},
		Sweep:    sweep,
	})
}

// BlockConfig configures the webhook-to-Kafka bridge (systems.bridge). Its
// Kafka side uses systems.kafka's settings (or the Kafka defaults when that
// block is absent) with a topic of its own. Its JSON form is the block
// results.json echoes; ResolveConfig turns it into the runner's Config.
type BlockConfig struct {
	// Ack is after-produce (default, durable) or before-produce (fast).
	Ack string `yaml:"ack,omitempty" json:"ack"`
	// Timeout is the sender's per-request timeout to the ingress (default 5s).
	Timeout scenarios.Duration `yaml:"timeout,omitempty" json:"timeout_ns"`
	// MaxInFlight bounds concurrent requests to the ingress (default 256).
	MaxInFlight int `yaml:"max_in_flight,omitempty" json:"max_in_flight"`
	// Signing configures Standard Webhooks signing verified by the ingress.
	Signing scenarios.Signing `yaml:"signing,omitempty" json:"signing"`
	// IngressNetwork is the upstream sender -> ingress link
	// (scenarios/network.go).
	IngressNetwork scenarios.Network `yaml:"ingress_network,omitempty" json:"ingress_network,omitzero"`
	// Faults are crashes of the bridge itself (bridge-crash).
	Faults []scenarios.InfraFault `yaml:"faults,omitempty" json:"faults,omitempty"`
	// ParallelRun makes the bridge also deliver every event to legacy
	// webhook subscribers (a migration's parallel run;
	// scenarios/parallel_run.go).
	ParallelRun bool `yaml:"parallel_run,omitempty" json:"parallel_run,omitempty"`
}

// ConfigOf returns sc's systems.bridge block, or nil when the bridge is
// not enabled.
func ConfigOf(sc *scenarios.Scenario) *BlockConfig {
	if sc == nil {
		return nil
	}
	c, _ := sc.Systems.Get(System).(*BlockConfig)
	return c
}

// DefaultBlockConfig is the block systems.bridge: {} resolves to.
func DefaultBlockConfig() *BlockConfig {
	return &BlockConfig{Ack: scenarios.DefaultBridgeAck, Timeout: scenarios.DefaultBridgeTimeout,
		MaxInFlight: scenarios.DefaultBridgeInFlight, Signing: scenarios.Signing{Enabled: scenarios.PtrTrue()}}
}

var blockKeys = []string{"ack", "timeout", "max_in_flight", "signing", "ingress_network", "faults", "parallel_run"}

func decodeBlock(o *scenarios.Object) scenarios.Block {
	b := DefaultBlockConfig()
	o.Enum("ack", &b.Ack, AckAfterProduce, AckBeforeProduce)
	o.Duration("timeout", &b.Timeout)
	o.Int("max_in_flight", &b.MaxInFlight, scenarios.AnyIntLo, scenarios.AnyIntHi)
	if o.Has("signing") {
		o.Signing("signing", &b.Signing)
	}
	o.Network("ingress_network", &b.IngressNetwork)
	if o.Has("faults") {
		b.Faults = o.InfraFaults("faults", scenarios.FaultBridgeCrash)
	}
	o.Bool("parallel_run", &b.ParallelRun)
	return b
}

var sweep = []scenarios.SweepParam{
	{Path: "bridge.max_in_flight", Unit: "count", Doc: "concurrent requests to the bridge ingress", Integer: true, Min: 1, Max: scenarios.MaxInFlight,
		Apply: func(b scenarios.Block, v float64) { b.(*BlockConfig).MaxInFlight = int(v) }},
	{Path: "bridge.timeout_ms", Unit: "ms", Doc: "sender timeout to the bridge ingress", Min: 0.001, Max: float64(scenarios.MaxTimeout / scenarios.Duration(time.Millisecond)),
		Apply: func(b scenarios.Block, v float64) { b.(*BlockConfig).Timeout = scenarios.Ms(v) }},
}

// CloneBlock implements scenarios.Block.
func (b *BlockConfig) CloneBlock() scenarios.Block {
	cb := *b
	if b.Signing.Enabled != nil {
		v := *b.Signing.Enabled
		cb.Signing.Enabled = &v
	}
	cb.Faults = slices.Clone(b.Faults)
	return &cb
}

// CheckBlock implements scenarios.BlockChecker.
func (b *BlockConfig) CheckBlock(c *scenarios.Checker, s *scenarios.Scenario, p string) {
	c.Enum(p+".ack", b.Ack, AckAfterProduce, AckBeforeProduce)
	c.DurRange(p+".timeout", b.Timeout, true, scenarios.MaxTimeout)
	c.IntRange(p+".max_in_flight", b.MaxInFlight, 1, scenarios.MaxInFlight, "concurrent requests to the ingress")
	c.Signing(p+".signing", b.Signing)
	c.InfraFaults(p+".faults", b.Faults, s.Load.Duration+s.Load.Drain, scenarios.FaultBridgeCrash)
	if mean := s.Event.Size.MeanValue(); mean > 0 && len(s.Subscribers) > 0 {
		c.InFlight(p+".max_in_flight", mean, 1, b.MaxInFlight)
	}
	if kafka.ConfigOf(s) == nil { // else the kafka block checks its own batch size
		c.BatchFits(s, scenarios.DefaultBatchMaxBytes, "event.size")
	}
}

// ScaleBlock implements scenarios.BlockScaler.
func (b *BlockConfig) ScaleBlock(c func(*scenarios.Duration), _ float64) {
	for i := range b.Faults {
		c(&b.Faults[i].At)
		c(&b.Faults[i].For)
	}
}

// Links implements scenarios.BlockLinks.
func (b *BlockConfig) Links() []scenarios.Link {
	return []scenarios.Link{{Key: "ingress_network", Network: b.IngressNetwork}}
}
