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

// Sides a cost line is attributed to.
const (
	// SideSender is the publishing service's work to hand an event to
	// the design (an API call, a produce).
	SideSender = "sender"
	// SideTransport is what carries events to subscribers: the
	// dispatcher fleet or the brokers, queues, storage and network.
	SideTransport = "transport"
	// SideSubscriber is work on the subscribers' side: consuming,
	// accepting deliveries, and their own processing (common).
	SideSubscriber = "subscriber"
)

// Every system is priced by the cost family its points record
// (results.CostFamily, from the system's descriptor): push (webhooks),
// log (Kafka) or push-to-log (the bridge: one HTTP hop per event to an
// ingress, then a log). A system without a known family is not priced,
// never silently as another.

// Cost line names.
const (
	CompPublish     = "publish"
	CompProduce     = "produce"
	CompIngress     = "ingress hop"
	CompDispatch    = "dispatch compute"
	CompNetwork     = "network"
	CompRetries     = "retries"
	CompConnections = "connection memory"
	CompTLS         = "TLS handshakes"
	CompDeadLetters = "dead-letter storage"
	CompEndpoints   = "endpoint operations"
	CompPlatform    = "platform fees"
	CompCluster     = "brokers and cluster"
	CompPartitions  = "partitions"
	CompStorage     = "storage"
	CompManagedData = "managed data in/out"
	CompLag         = "consumer lag"
	CompConsume     = "consume"
	CompTLSAccept   = "TLS accept"
	CompProcessing  = "subscriber processing"
)

// Model prices measured usage under a profile.
type Model struct {
	Profile *Profile
	Usage   map[string]Usage
}

// NewModel returns a model for a profile and measured usage. Systems
// without a known cost family are dropped (see Unpriced).
func NewModel(p *Profile, usage map[string]Usage) *Model {
	u := map[string]Usage{}
	for s, x := range usage {
		if x.Family.Known() {
			u[s] = x
		}
	}
	return &Model{Profile: p, Usage: u}
}

// Unpriced lists the systems in usage that have no known cost family.
func Unpriced(usage map[string]Usage) []string {
	var out []string
	for s, x := range usage {
		if !x.Family.Known() {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// SystemsOf lists usage's systems in their recorded order (Usage.Rank),
// unknown ones after by name.
func SystemsOf(usage map[string]Usage) []string {
	ord := results.Order{}
	var out []string
	for s, u := range usage {
		out = append(out, s)
		if u.Rank > 0 {
			ord[s] = u.Rank
		}
	}
	ord.Sort(out)
	return out
}

// order ranks the model's systems as their points did (Usage.Rank).
func (m *Model) order() results.Order {
	o := results.Order{}
	for s, u := range m.Usage {
		if u.Rank > 0 {
			o[s] = u.Rank
		}
	}
	return o
}

// Systems lists the systems the model can price, in order.
func (m *Model) Systems() []string { return SystemsOf(m.Usage) }

// First returns the first system (in order) priced as family f: the
// push-family system is what the break-even compares every other design
// with, the log-family one what the published claim is about.
func (m *Model) First(f results.CostFamily) (string, bool) { return firstOf(m.Usage, f) }

func firstOf(usage map[string]Usage, f results.CostFamily) (string, bool) {
	for _, s := range SystemsOf(usage) {
		if usage[s].Family == f {
			return s, true
		}
	}
	return "", false
}

// Family returns the cost family system is priced as, false when the
// model does not price it.
func (m *Model) Family(system string) (results.CostFamily, bool) {
	u, ok := m.Usage[system]
	return u.Family, ok && u.Family.Known()
}

// Component is one labelled line of a system's monthly cost as a function
// of events per hour.
type Component struct {
	Name string
	// Side is SideSender, SideTransport or SideSubscriber.
	Side string
	// Common is true for work every design does the same (the
	// subscriber's own processing): shown apart, left out of Curve and so
	// of the break-even.
	Common bool
	F      Piecewise
}

// Concurrency is what Little's law gives at x events/hour and n
// subscribers: webhook connections held open (attempts/s x per-attempt
// latency), or Kafka records awaiting consumption (deliveries/s x
// end-to-end latency).
func (m *Model) Concurrency(system string, x float64, n int) float64 {
	u := m.Usage[system]
	r := x / 3600 * float64(n)
	if fam, _ := m.Family(system); fam == results.FamilyPush {
		return r * u.Amplification * (u.AttemptLatencyS + v(m.Profile.Push.AddedLatencyS))
	}
	return r * u.E2ELatencyS
}

// MemoryPerConnectionBytes is the webhook sender memory per connection
// held open (one delivery in flight on it): measured when the run fitted a
// figure (memory.go; the per-connection term is added only when the run
// separated it, otherwise the in-flight figure already includes it), else
// the profile's per-connection plus per-in-flight assumptions.
func (m *Model) MemoryPerConnectionBytes(system string) float64 {
	u := m.Usage[system]
	if u.MemPerInFlightBytes > 0 {
		return u.MemPerInFlightBytes + u.MemPerConnectionBytes
	}
	return (v(m.Profile.Push.MemoryPerConnectionKB) + v(m.Profile.Push.MemoryPerInFlightKB)) * 1e3
}

// Components returns the labelled monthly cost lines of system at n
// subscribers, each a function of events/hour on [MinEventsPerHour,
// MaxEventsPerHour]. docs/cost.md gives every formula with a worked
// example; in short (x = events/hour, H = hours/month, c = vcpu_hour /
// utilization, a = attempts per delivery, GB = 1e9 bytes):
//
// webhook, built (webhook.buy 0):
//
//	sender     publish            c*H*x*cpu_per_event/3600
//	transport  dispatch compute   c*H*x*n*cpu_per_attempt/3600
//	transport  network            egress_hop*H*x*n*bytes_per_attempt/GB
//	transport  retries            (a-1) x (dispatch compute + network)
//	transport  connection memory  memory_gb_hour*H * (x/3600*n*a*latency) * mem_per_connection/GB
//	transport  TLS handshakes     c*H*x*n*a*handshakes_per_delivery*handshake_ms/1000/3600
//	transport  dead-letter storage dead_letter_gb_month*x*dl_fraction*n*bytes*dl_retention_h/GB
//	transport  endpoint operations endpoint_month*n
//
// webhook, bought (webhook.buy 1): publish; platform fees = platform_month
// + H*x*(per_million_events + n*a*per_million_deliveries)/1e6.
// Both: subscriber TLS accept (as TLS handshakes) and the common
// subscriber processing c*H*x*n*cpu_ms/1000/3600.
//
// kafka (bridge: the same plus an ingress hop, one POST per event, and the
// ingress as one operated endpoint):
//
//	sender     produce            c*H*x*cpu_per_event/3600
//	transport  network            H*x*bytes*(produce_hop + n*a*fetch_hop)/GB + repl_transfer*H*x*bytes*(rf-1)/GB
//	transport  storage            storage_gb_month*x*retention_h*bytes*rf/GB
//	transport  brokers and cluster cluster_month + broker_month*max(min_brokers, ceil(MB/s/capacity)),
//	                              MB/s = x/3600*bytes*(rf + n*a)/1e6
//	transport  partitions         partition_hour*H*max(min_partitions, ceil(x/3600*bytes/1e6/partition_mb_s))
//	transport  managed data in/out H*x*bytes*(ingress + n*a*egress)/GB
//	transport  consumer lag       storage_gb_month * (x/3600*n*e2e_latency)*bytes*rf/GB
//	subscriber consume            c*H*x*n*a*cpu_per_record/3600
//	subscriber processing (common)
//
// A *_hop is the mean price of a GB over that kind of link (hops.go): from
// the links the run recorded (same-zone 0, cross-zone the system's per-GB
// price, cross-region and internet their network.* prices), else the
// system's per-GB price x network.cross_zone_fraction.
func (m *Model) Components(system string, n int) ([]Component, error) {
	u, ok := m.Usage[system]
	if !ok {
		return nil, fmt.Errorf("cost: no measured usage for system %q", system)
	}
	fam, ok := m.Family(system)
	if !ok {
		return nil, fmt.Errorf("cost: system %q has no cost family the model prices (%v)", system, results.Families)
	}
	if n < 1 {
		return nil, fmt.Errorf("cost: subscribers must be >= 1, got %d", n)
	}
	p := m.Profile
	lo, hi := float64(MinEventsPerHour), float64(MaxEventsPerHour)
	H := v(p.HoursPerMonth)
	nf := float64(n)
	const GB = 1e9
	c := v(p.Compute.VCPUHour) / v(p.Compute.Utilization) // $ per CPU-hour of measured work
	a := u.Amplification
	lin := func(name, side string, slope float64) Component {
		return Component{Name: name, Side: side, F: Affine(lo, hi, 0, slope)}
	}
	fixed := func(name, side string, month float64) Component {
		return Component{Name: name, Side: side, F: Affine(lo, hi, month, 0)}
	}
	hs := v(p.Push.TLSHandshakesPerDelivery) * v(p.Push.TLSHandshakeCPUMs) / 1000 // CPU-s per attempt, each side
	processing := Component{Name: CompProcessing, Side: SideSubscriber, Common: true,
		F: Affine(lo, hi, 0, c*H*nf*v(p.Subscriber.CPUMsPerDelivery)/1000/3600)}

	if fam == results.FamilyPush {
		bytes := u.BytesPerAttempt
		if bytes == 0 {
			bytes = u.BytesPerEvent
		}
		var out []Component
		if v(p.Push.Buy) == 1 {
			out = append(out,
				lin(CompPublish, SideSender, c*H*u.CPUPerEvent/3600),
				Component{Name: CompPlatform, Side: SideTransport, F: Affine(lo, hi, v(p.Push.PlatformMonth),
					H*(v(p.Push.PlatformPerMillionEvents)+nf*a*v(p.Push.PlatformPerMillionDeliveries))/1e6)},
				fixed(CompEndpoints, SideTransport, v(p.Push.EndpointMonth)*nf))
		} else {
			dispatch := c * H * nf * u.CPUPerWork / 3600
			network := p.perGB(u.hops().Subscribers, v(p.Push.EgressPerGB)) * H * nf * bytes / GB
			memSlope := v(p.Compute.MemoryGBHour) * H * m.Concurrency(system, 1, n) * m.MemoryPerConnectionBytes(system) / GB
			out = append(out,
				lin(CompPublish, SideSender, c*H*u.CPUPerEvent/3600),
				lin(CompDispatch, SideTransport, dispatch),
				lin(CompNetwork, SideTransport, network),
				lin(CompRetries, SideTransport, math.Max(a-1, 0)*(dispatch+network)),
				lin(CompConnections, SideTransport, memSlope),
				lin(CompTLS, SideTransport, c*H*nf*a*hs/3600),
				lin(CompDeadLetters, SideTransport, v(p.Push.DeadLetterGBMonth)*u.DeadLetterFraction*nf*bytes*v(p.Push.DeadLetterRetentionHours)/GB),
				fixed(CompEndpoints, SideTransport, v(p.Push.EndpointMonth)*nf))
		}
		out = append(out, lin(CompTLSAccept, SideSubscriber, c*H*nf*a*hs/3600), processing)
		return out, nil
	}

	bytes := u.BytesPerEvent
	rf := v(p.Log.ReplicationFactor)
	out := []Component{lin(CompProduce, SideSender, c*H*u.CPUPerEvent/3600)}
	if fam == results.FamilyPushToLog {
		// The sender's one POST per event to the bridge ingress (its
		// bytes and TLS), and the ingress as one endpoint to operate.
		out = append(out, Component{Name: CompIngress, Side: SideSender,
			F: Affine(lo, hi, v(p.Push.EndpointMonth), p.perGB(u.hops().Ingress, v(p.Push.EgressPerGB))*H*bytes/GB+2*c*H*hs/3600)})
	}
	tr := v(p.Log.TransferPerGB)
	netSlope := H*bytes*(p.perGB(u.hops().Producer, tr)+nf*a*p.perGB(u.hops().Subscribers, tr))/GB +
		v(p.Log.ReplicationTransferPerGB)*H*bytes*(rf-1)/GB
	// Broker capacity in events/hour: capacity bytes/s over the traffic
	// one event causes (its writes to every replica and one read per
	// subscriber).
	perEventBytes := bytes * (rf + nf*a)
	perUnit := math.Inf(1)
	if perEventBytes > 0 {
		perUnit = v(p.Log.BrokerCapacityMBs) * 1e6 / perEventBytes * 3600
	}
	brokers, err := Steps(lo, hi, v(p.Log.BrokerMonth), int(v(p.Log.MinBrokers)), perUnit)
	if err != nil {
		return nil, fmt.Errorf("cost: %s cluster: %w", system, err)
	}
	cluster, err := Sum(brokers, Affine(lo, hi, v(p.Log.ClusterMonth), 0))
	if err != nil {
		return nil, err
	}
	perPartition := math.Inf(1)
	if bytes > 0 {
		perPartition = v(p.Log.PartitionMBs) * 1e6 / bytes * 3600
	}
	partitions, err := Steps(lo, hi, v(p.Log.PartitionHour)*H, int(v(p.Log.MinPartitions)), perPartition)
	if err != nil {
		return nil, fmt.Errorf("cost: %s partitions: %w", system, err)
	}
	storGB := v(p.Log.StorageGBMonth)
	out = append(out,
		lin(CompNetwork, SideTransport, netSlope),
		lin(CompStorage, SideTransport, storGB*v(p.Log.RetentionHours)*bytes*rf/GB),
		Component{Name: CompCluster, Side: SideTransport, F: cluster},
		Component{Name: CompPartitions, Side: SideTransport, F: partitions},
		lin(CompManagedData, SideTransport, H*bytes*(v(p.Log.IngressPerGB)+nf*a*v(p.Log.EgressPerGB))/GB),
		lin(CompLag, SideTransport, storGB*m.Concurrency(system, 1, n)*bytes*rf/GB),
		lin(CompConsume, SideSubscriber, c*H*nf*a*u.CPUPerWork/3600),
		processing)
	return out, nil
}

// Curve is system's monthly cost at n subscribers as a function of
// events/hour: every line except the common ones, so that break-even
// compares only what differs between the designs.
func (m *Model) Curve(system string, n int) (Piecewise, error) {
	comps, err := m.Components(system, n)
	if err != nil {
		return Piecewise{}, err
	}
	var fs []Piecewise
	for _, c := range comps {
		if !c.Common {
			fs = append(fs, c.F)
		}
	}
	return Sum(fs...)
}

// CommonCurve is the monthly cost every design shares at n subscribers
// (the common lines), shown beside the break-even, never in it.
func (m *Model) CommonCurve(system string, n int) (Piecewise, error) {
	comps, err := m.Components(system, n)
	if err != nil {
		return Piecewise{}, err
	}
	fs := []Piecewise{Affine(MinEventsPerHour, MaxEventsPerHour, 0, 0)}
	for _, c := range comps {
		if c.Common {
			fs = append(fs, c.F)
		}
	}
	return Sum(fs...)
}

// Breakdown is a system's monthly cost at one event rate and subscriber
// count, by component.
type Breakdown struct {
	System        string
	EventsPerHour float64
	Subscribers   int
	// Items maps component name to monthly cost; Sides maps it to its
	// side.
	Items map[string]float64
	Sides map[string]string
	// Total is what differs between designs (the break-even compares
	// it); Common is the shared part, not in Total.
	Total, Common float64
}

// Cost prices system at eventsPerHour and n subscribers.
func (m *Model) Cost(system string, eventsPerHour float64, n int) (Breakdown, error) {
	comps, err := m.Components(system, n)
	if err != nil {
		return Breakdown{}, err
	}
	b := Breakdown{System: system, EventsPerHour: eventsPerHour, Subscribers: n, Items: map[string]float64{}, Sides: map[string]string{}}
	for _, c := range comps {
		val := c.F.Eval(eventsPerHour)
		b.Items[c.Name] += val
		b.Sides[c.Name] = c.Side
		if c.Common {
			b.Common += val
		} else {
			b.Total += val
		}
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
