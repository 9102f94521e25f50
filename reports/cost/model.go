// Package cost prices webhook fan-out, Kafka and the webhook-to-Kafka
// bridge from measured resource use and an explicit cost profile, and finds
// where the designs' monthly costs cross (break-even).
//
// Every price and assumption lives in a profile (YAML, each with its
// source); built-in profiles are embedded and can be extended or
// overridden by key. Resource use per event comes from a results document
// (MeasuredUsage), never from constants in code. Costs are piecewise-linear
// functions of the event rate, so break-even points are solved exactly
// (BreakEven). The package only reads results: it never runs anything.
package cost

import (
	"fmt"
	"math"
	"sort"

	"github.com/evbench/evbench/reports/results"
)

// The event-rate range of the cost curves and break-even search, in
// events per hour.
const (
	MinEventsPerHour = 100
	MaxEventsPerHour = 1e9
)

// Cost components, in the order they are reported.
const (
	CompCompute   = "compute"
	CompNetwork   = "network"
	CompEndpoints = "endpoints"
	CompCluster   = "cluster"
	CompStorage   = "storage"
)

// Model prices measured usage under a profile.
type Model struct {
	Profile *Profile
	Usage   map[string]Usage
}

// NewModel returns a model for a profile and measured usage.
func NewModel(p *Profile, usage map[string]Usage) *Model {
	return &Model{Profile: p, Usage: usage}
}

// Systems lists the systems the model can price, in canonical order.
func (m *Model) Systems() []string {
	var out []string
	for s := range m.Usage {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		oi, oj := results.SystemOrder(out[i]), results.SystemOrder(out[j])
		if oi != oj {
			return oi < oj
		}
		return out[i] < out[j]
	})
	return out
}

// Component is one named part of a system's monthly cost as a function of
// events per hour.
type Component struct {
	Name string
	F    Piecewise
}

// Components returns the monthly cost components of system at n
// subscribers, each a function of events/hour on [MinEventsPerHour,
// MaxEventsPerHour]. The formulas (x = events/hour, H = hours/month, M =
// x*H events/month, GB = 1e9 bytes):
//
// webhook:
//
//	compute   = vcpu_hour/utilization * M * n * cpu_per_delivery(n) / 3600
//	network   = egress_per_gb * cross_zone_fraction * M * n * amplification * bytes_per_attempt / GB
//	endpoints = endpoint_month * n
//
// kafka (bridge: the same, plus one ingress hop priced like a webhook
// delivery and one endpoint for the ingress):
//
//	compute = vcpu_hour/utilization * M * n * cpu_per_delivery(n) / 3600
//	network = transfer_per_gb * cross_zone_fraction * M * bytes * (1 + n*amplification) / GB
//	        + replication_transfer_per_gb * M * bytes * (replication_factor - 1) / GB
//	storage = storage_gb_month * x * retention_hours * bytes * replication_factor / GB
//	cluster = cluster_month + broker_month * max(min_brokers, ceil(MB/s / broker_capacity_mb_s)),
//	          MB/s = x/3600 * bytes * (replication_factor + n*amplification) / 1e6
func (m *Model) Components(system string, n int) ([]Component, error) {
	u, ok := m.Usage[system]
	if !ok {
		return nil, fmt.Errorf("cost: no measured usage for system %q", system)
	}
	if n < 1 {
		return nil, fmt.Errorf("cost: subscribers must be >= 1, got %d", n)
	}
	p := m.Profile
	lo, hi := float64(MinEventsPerHour), float64(MaxEventsPerHour)
	H := v(p.HoursPerMonth)
	nf := float64(n)
	const GB = 1e9
	xz := v(p.Network.CrossZoneFraction)

	// $/month per (event/hour) of CPU for all of one event's work.
	cpuPerEvent := u.CPUPerEvent + nf*u.CPUPerWork*u.Amplification
	compute := Affine(lo, hi, 0, v(p.Compute.VCPUHour)/v(p.Compute.Utilization)*H*cpuPerEvent/3600)

	if isWebhook(system) {
		bytes := u.BytesPerAttempt
		if bytes == 0 {
			bytes = u.BytesPerEvent
		}
		network := Affine(lo, hi, 0, v(p.Webhook.EgressPerGB)*xz*H*nf*u.Amplification*bytes/GB)
		endpoints := Affine(lo, hi, v(p.Webhook.EndpointMonth)*nf, 0)
		return []Component{{CompCompute, compute}, {CompNetwork, network}, {CompEndpoints, endpoints}}, nil
	}

	bytes := u.BytesPerEvent
	rf := v(p.Kafka.ReplicationFactor)
	netSlope := v(p.Kafka.TransferPerGB)*xz*H*bytes*(1+nf*u.Amplification)/GB +
		v(p.Kafka.ReplicationTransferPerGB)*H*bytes*(rf-1)/GB
	var endpointsMonth float64
	if system == "bridge" {
		// The sender's one POST per event to the bridge ingress, and the
		// ingress as one endpoint to operate.
		netSlope += v(p.Webhook.EgressPerGB) * xz * H * bytes / GB
		endpointsMonth = v(p.Webhook.EndpointMonth)
	}
	network := Affine(lo, hi, 0, netSlope)
	storage := Affine(lo, hi, 0, v(p.Kafka.StorageGBMonth)*v(p.Kafka.RetentionHours)*bytes*rf/GB)

	// Broker capacity in events/hour: capacity bytes/s over the traffic
	// one event causes (its writes to every replica and one read per
	// subscriber).
	perEventBytes := bytes * (rf + nf*u.Amplification)
	perUnit := math.Inf(1)
	if perEventBytes > 0 {
		perUnit = v(p.Kafka.BrokerCapacityMBs) * 1e6 / perEventBytes * 3600
	}
	brokers, err := Steps(lo, hi, v(p.Kafka.BrokerMonth), int(v(p.Kafka.MinBrokers)), perUnit)
	if err != nil {
		return nil, fmt.Errorf("cost: %s cluster: %w", system, err)
	}
	cluster, err := Sum(brokers, Affine(lo, hi, v(p.Kafka.ClusterMonth), 0))
	if err != nil {
		return nil, err
	}
	comps := []Component{{CompCompute, compute}, {CompNetwork, network}, {CompStorage, storage}, {CompCluster, cluster}}
	if endpointsMonth > 0 {
		comps = append(comps, Component{CompEndpoints, Affine(lo, hi, endpointsMonth, 0)})
	}
	return comps, nil
}

// Curve is system's total monthly cost at n subscribers as a function of
// events/hour.
func (m *Model) Curve(system string, n int) (Piecewise, error) {
	comps, err := m.Components(system, n)
	if err != nil {
		return Piecewise{}, err
	}
	fs := make([]Piecewise, len(comps))
	for i, c := range comps {
		fs[i] = c.F
	}
	return Sum(fs...)
}

// Breakdown is a system's monthly cost at one event rate and subscriber
// count, by component.
type Breakdown struct {
	System        string
	EventsPerHour float64
	Subscribers   int
	// Items maps component name to monthly cost.
	Items map[string]float64
	Total float64
}

// Cost prices system at eventsPerHour and n subscribers.
func (m *Model) Cost(system string, eventsPerHour float64, n int) (Breakdown, error) {
	comps, err := m.Components(system, n)
	if err != nil {
		return Breakdown{}, err
	}
	b := Breakdown{System: system, EventsPerHour: eventsPerHour, Subscribers: n, Items: map[string]float64{}}
	for _, c := range comps {
		val := c.F.Eval(eventsPerHour)
		b.Items[c.Name] = val
		b.Total += val
	}
	return b, nil
}

// Point is a break-even point between two systems.
type Point struct {
	// EventsPerHour is where the cheaper system changes.
	EventsPerHour float64
	// CheaperBelow and CheaperAbove name the cheaper system on each side
	// ("" when equal).
	CheaperBelow, CheaperAbove string
	// Step is true when the change is at a step of one cost (another
	// broker), not where the lines cross.
	Step bool
}

// BreakEvenPoints returns where the cheaper of systems a and b changes at n
// subscribers within [MinEventsPerHour, MaxEventsPerHour]. cheapest names
// the cheaper one at MinEventsPerHour when there is no crossing.
func (m *Model) BreakEvenPoints(a, b string, n int) (pts []Point, cheapestAtMin string, err error) {
	fa, err := m.Curve(a, n)
	if err != nil {
		return nil, "", err
	}
	fb, err := m.Curve(b, n)
	if err != nil {
		return nil, "", err
	}
	cs, err := BreakEven(fa, fb, MinEventsPerHour, MaxEventsPerHour)
	if err != nil {
		return nil, "", err
	}
	name := func(o Order) string {
		switch o {
		case ALower:
			return a
		case BLower:
			return b
		}
		return ""
	}
	for _, c := range cs {
		pts = append(pts, Point{EventsPerHour: c.X, CheaperBelow: name(c.Before), CheaperAbove: name(c.After), Step: c.Jump})
	}
	switch av, bv := fa.Eval(MinEventsPerHour), fb.Eval(MinEventsPerHour); {
	case av < bv:
		cheapestAtMin = a
	case bv < av:
		cheapestAtMin = b
	}
	return pts, cheapestAtMin, nil
}

// Cheapest returns the cheapest system at eventsPerHour and n subscribers.
func (m *Model) Cheapest(eventsPerHour float64, n int) (string, error) {
	best, bestCost := "", math.Inf(1)
	for _, s := range m.Systems() {
		b, err := m.Cost(s, eventsPerHour, n)
		if err != nil {
			return "", err
		}
		if b.Total < bestCost {
			best, bestCost = s, b.Total
		}
	}
	return best, nil
}
