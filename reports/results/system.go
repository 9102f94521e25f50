package results

import (
	"cmp"
	"math"
	"slices"
)

// Capabilities are what a system measures beyond end-to-end latency and
// accounting. Each system declares them once, in the descriptor it
// registers (runners.Descriptor); measure.Point.Finish records the figures
// they name and nothing else, every point carries them (Point.Capabilities),
// and reports decide what to draw from them, never from the system's name.
// The conformance suite (runners/runnertest) checks that every point's
// contents match them both ways.
type Capabilities struct {
	// Publish: the point has publish latency (intended -> broker ack) and
	// publish errors.
	Publish bool `json:"publish_latency"`
	// Ingress: the point has ingress latency (intended -> HTTP ack of an
	// ingress in front of the system).
	Ingress bool `json:"ingress_latency"`
	// Attempts: every subscriber has per-attempt latency and attempts per
	// delivery (the sender delivers to each subscriber itself, attempt by
	// attempt).
	Attempts bool `json:"attempt_latency"`
	// ConsumerLag: the time series records consumer lag (records published
	// but not yet processed); without it every sample's lag is 0.
	ConsumerLag bool `json:"consumer_lag"`
	// Broker: the point names the broker its system published to
	// (broker_kind, broker_embedded).
	Broker bool `json:"broker"`
	// Retries: a subscriber failing with errors is retried (retries > 0).
	Retries bool `json:"retries"`
	// RetryQueue: the time series records the sender's queue and the
	// deliveries waiting for a retry timer (queue_depth, retries); without
	// it every sample's retries-waiting figure is 0.
	RetryQueue bool `json:"retry_queue"`
	// DeadLetters: the system gives up on an event after its retries and
	// writes a dead letter; without it dead_lettered is always 0.
	DeadLetters bool `json:"dead_letters"`
	// PerKeyOrder: the system delivers each key's events in order, so
	// out_of_order is 0 in every point, faults included.
	PerKeyOrder bool `json:"per_key_order"`
}

// CostFamily is the design a system is priced as by the cost model
// (reports/cost): what it pays per event, per subscriber and as fixed
// cost. Families are designs, not systems: a new system that publishes
// once to a log its consumers read declares FamilyLog and is priced like
// Kafka.
type CostFamily string

// The cost families.
const (
	// FamilyPush: the sender pushes each event to every subscriber over
	// HTTP (a dispatcher fleet, an attempt per subscriber and retry).
	FamilyPush CostFamily = "push"
	// FamilyLog: the sender publishes each event once to a replicated log
	// that every subscriber's consumers read (brokers, partitions, storage).
	FamilyLog CostFamily = "log"
	// FamilyPushToLog: one signed HTTP push per event to an ingress that
	// writes it to a log, read as in FamilyLog.
	FamilyPushToLog CostFamily = "push-to-log"
)

// Families lists the cost families the cost model prices.
var Families = []CostFamily{FamilyPush, FamilyLog, FamilyPushToLog}

// Known reports whether f is one of Families.
func (f CostFamily) Known() bool { return slices.Contains(Families, f) }

// Caps returns the point's capabilities: the recorded ones, or for a
// document written before points recorded them, those of the system in
// the legacy table (legacy.go). A point of an unknown system without
// recorded capabilities has none.
func (p *Point) Caps() Capabilities {
	if p.Capabilities != nil {
		return *p.Capabilities
	}
	return legacySystems[p.System].caps
}

// Family returns the point's cost family: the recorded one, or the legacy
// table's for an older document; "" when neither knows the system.
func (p *Point) Family() CostFamily {
	if p.CostFamily != "" {
		return p.CostFamily
	}
	return legacySystems[p.System].family
}

// Rank is where the point's system goes in tables, legends and summaries:
// the order its descriptor recorded (Point.Order), the legacy table's for
// an older document, and after every ordered system otherwise.
func (p *Point) Rank() int {
	if p.Order > 0 {
		return p.Order
	}
	if o := legacySystems[p.System].order; o > 0 {
		return o
	}
	return math.MaxInt32
}

// Order ranks systems by name for everything that lists them: built from a
// document's points (OrderOf), it compares by recorded rank, then by name,
// so unknown systems come after the known ones in a stable order.
type Order map[string]int

// OrderOf returns the ranks of the systems of pts (the smallest a system's
// points record).
func OrderOf(pts []Point) Order {
	o := Order{}
	for i := range pts {
		r := pts[i].Rank()
		if cur, ok := o[pts[i].System]; !ok || r < cur {
			o[pts[i].System] = r
		}
	}
	return o
}

// Rank returns system's rank: its recorded one, the legacy table's for a
// system o has no point of, or after every ranked system.
func (o Order) Rank(system string) int {
	if r, ok := o[system]; ok {
		return r
	}
	p := Point{System: system}
	return p.Rank()
}

// Compare orders two systems by rank, then by name.
func (o Order) Compare(a, b string) int {
	if c := cmp.Compare(o.Rank(a), o.Rank(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// Less is Compare(a, b) < 0.
func (o Order) Less(a, b string) bool { return o.Compare(a, b) < 0 }

// Sort sorts system names in place by Compare.
func (o Order) Sort(systems []string) { slices.SortStableFunc(systems, o.Compare) }
