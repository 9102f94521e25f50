package cost

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/curves"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// ReportSubscribers are the subscriber counts of the cost curves and the
// break-even table.
var ReportSubscribers = []int{1, 3, 5, 10}

// MapSubscribers is the largest subscriber count on the break-even map.
const MapSubscribers = 10

// DefaultProfile is used when neither the caller nor the scenario names one.
const DefaultProfile = "aws-list"

// Claim is the widely quoted break-even claim the report checks.
const Claim = "break-even typically occurs around 10,000-50,000 events per hour with 3+ consumers"

// claimRates and claimSubscribers are the claim's range, checked at both ends.
var claimRates = []float64{10_000, 50_000}

const claimSubscribers = 3

// ScenarioCost returns the cost block of the scenario stored in r (nil when
// absent).
func ScenarioCost(r *results.Results) *scenarios.Cost {
	if r == nil || len(r.Scenario) == 0 {
		return nil
	}
	var sc struct {
		Cost *scenarios.Cost `json:"cost"`
	}
	if err := json.Unmarshal(r.Scenario, &sc); err != nil {
		return nil
	}
	return sc.Cost
}

// ResolveProfile picks the profile for r: name when given (a built-in or a
// file), else the scenario's cost.profile, else DefaultProfile; then
// applies the scenario's cost.overrides and the extra overrides (later
// wins).
func ResolveProfile(r *results.Results, name string, extra map[string]float64) (*Profile, error) {
	sc := ScenarioCost(r)
	if name == "" && sc != nil {
		name = sc.Profile
	}
	if name == "" {
		name = DefaultProfile
	}
	p, err := LoadProfile(name)
	if err != nil {
		return nil, err
	}
	if sc != nil && len(sc.Overrides) > 0 {
		if p, err = p.WithOverrides(sc.Overrides, "scenario cost.overrides"); err != nil {
			return nil, err
		}
	}
	if len(extra) > 0 {
		if p, err = p.WithOverrides(extra, "command line"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Money formats a monthly amount.
func Money(x float64) string {
	switch {
	case x >= 100:
		return "$" + strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 1 || x == 0 || (x >= 0.01 && math.Abs(x*100-math.Round(x*100)) < 1e-9):
		return "$" + strconv.FormatFloat(x, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(x, 'g', 3, 64)
}

// Rate formats an events/hour figure.
func Rate(x float64) string { return curves.HumanNumber(x) + "/h" }

func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }

// ModelParagraph states in one paragraph how the measurements are scaled
// to monthly costs under profile p.
func ModelParagraph(p *Profile, usage map[string]Usage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Costs are %s per month of %g hours under the %s profile (every price and its source is in the profile table), "+
		"built from the measured usage of this run (points that left a backlog after the drain are saturated and left out) and scaled linearly in events per hour: measured CPU-seconds per event "+
		"become vCPU-hours at %s per vCPU-hour divided by %s utilisation (harness idle CPU, which does not grow with load, is left out), "+
		"and measured bytes become GB on a billed hop for %s of hops unless the run recorded the links' networks (below). ",
		p.Currency, v(p.HoursPerMonth), p.Label(), Money(v(p.Compute.VCPUHour)), pct(v(p.Compute.Utilization)), pct(v(p.Network.CrossZoneFraction)))
	push, hasPush := firstOf(usage, results.FamilyPush)
	if u, ok := usage[push]; hasPush && ok {
		fmt.Fprintf(&b, "Webhooks fan out per subscriber: each event costs one delivery per subscriber times the measured retry amplification (%.3f attempts per delivery), "+
			"each attempt %.0f bytes at %s/GB and %.3g CPU-ms, and each endpoint adds %s a month. ",
			u.Amplification, u.BytesPerAttempt, Money(v(p.Push.EgressPerGB)), u.CPUPerWork*1e3, Money(v(p.Push.EndpointMonth)))
	}
	if s, ok := firstOf(usage, results.FamilyLog); ok {
		u := usage[s]
		fmt.Fprintf(&b, "Kafka writes each event once to a shared log: storage is %.0f bytes x replication %g x %g hours of retention at %s per GB-month, "+
			"client traffic is one produce plus one fetch per subscriber at %s/GB (replication traffic %s/GB), consumers cost %.3g CPU-ms per record and %.3g CPU-ms per event, "+
			"and brokers are bought whole: max(%g, ceil(traffic / %g MB/s)) at %s a month, where traffic counts every replica write and every subscriber read, plus %s a month fixed. ",
			u.BytesPerEvent, v(p.Log.ReplicationFactor), v(p.Log.RetentionHours), Money(v(p.Log.StorageGBMonth)),
			Money(v(p.Log.TransferPerGB)), Money(v(p.Log.ReplicationTransferPerGB)), u.CPUPerWork*1e3, u.CPUPerEvent*1e3,
			v(p.Log.MinBrokers), v(p.Log.BrokerCapacityMBs), Money(v(p.Log.BrokerMonth)), Money(v(p.Log.ClusterMonth)))
	}
	if _, ok := firstOf(usage, results.FamilyPushToLog); ok {
		b.WriteString("The bridge is priced as Kafka with its own measured CPU and bytes, plus one HTTP hop per event to the ingress and the ingress as one operated endpoint. ")
	}
	b.WriteString(hopsParagraph(p, usage, SystemsOf(usage)))
	b.WriteString("Every cost line is attributed to the sender side, the transport (dispatcher fleet or brokers, queues, storage, network) or the subscriber side; the subscriber's own processing is common to every design and is shown apart, never in the break-even. ")
	memSrc := NewModel(p, usage).MemorySource(push)
	fmt.Fprintf(&b, "Little's law sizes what is held open: webhook connections = attempts/s x mean per-attempt latency (plus %gs added by the profile), each costing sender memory at %s per GB-hour (%s); under Kafka a slow subscriber becomes consumer lag (records/s x end-to-end latency), stored, not connections held. ",
		v(p.Push.AddedLatencyS), Money(v(p.Compute.MemoryGBHour)), memSrc)
	if v(p.Push.Buy) == 1 {
		fmt.Fprintf(&b, "Webhooks are bought: %s per million events and %s per million attempts plus %s a month replace the sender fleet. ",
			dollars(v(p.Push.PlatformPerMillionEvents)), dollars(v(p.Push.PlatformPerMillionDeliveries)), Money(v(p.Push.PlatformMonth)))
	}
	b.WriteString("Measured CPU is the harness process's, split by the fit into per-event (sender side) and per-delivery or per-record (transport for webhooks, subscriber side for Kafka consumers) work; the in-process subscribers' receive work is inside it")
	embedded := false
	for _, u := range usage {
		embedded = embedded || u.Embedded
	}
	if embedded {
		b.WriteString(". Kafka ran on the embedded in-memory broker: its CPU is never priced as a broker. Brokers are sized instead from throughput x replication + fan-out reads against the profile's per-broker capacity; the embedded broker's CPU sits inside the per-event figure, priced as producer CPU (an upper bound)")
	}
	b.WriteString("; one CPU-second of the test machine counts as one vCPU-second. Each system is priced by the cost family its points record (push: webhooks; log: Kafka; push-to-log: the bridge, a webhook ingress + Kafka); a system without one is not priced. Staff time is left out unless a profile prices it.")
	return b.String()
}

// cell formats the break-even points between a and b.
func breakEvenCell(m *Model, a, b string, n int) (string, error) {
	pts, cheapest, err := m.BreakEvenPoints(a, b, n)
	if err != nil {
		return "", err
	}
	if len(pts) == 0 {
		if cheapest == "" {
			return "equal throughout", nil
		}
		return fmt.Sprintf("none in 100-1G/h: %s cheaper throughout", cheapest), nil
	}
	var parts []string
	for _, p := range pts {
		s := fmt.Sprintf("%s (%s below, %s above)", Rate(p.EventsPerHour), orEqual(p.CheaperBelow), orEqual(p.CheaperAbove))
		if p.Step {
			s += " at a broker step"
		}
		parts = append(parts, s)
	}
	if len(parts) > 4 {
		parts = append(parts[:4], fmt.Sprintf("and %d more (broker steps)", len(parts)-4))
	}
	return strings.Join(parts, "; "), nil
}

func orEqual(s string) string {
	if s == "" {
		return "equal"
	}
	return s
}

// BreakEvenTable tabulates the break-even points of the push-family
// system (webhook) against each other system, per model (profile) and
// subscriber count.
func BreakEvenTable(models []*Model, subs []int) (chart.Table, error) {
	t := chart.Table{Caption: "Break-even points (monthly cost, measured usage; events per hour)", Header: []string{"profile", "subscribers"}}
	var push string
	var others []string
	if len(models) > 0 {
		push, _ = models[0].First(results.FamilyPush)
		for _, s := range models[0].Systems() {
			if s != push {
				others = append(others, s)
				t.Header = append(t.Header, push+" vs "+s)
			}
		}
	}
	for _, m := range models {
		if _, ok := m.Usage[push]; !ok || push == "" {
			return t, fmt.Errorf("break-even table: no measured usage of a push-family system (webhook)")
		}
		for _, n := range subs {
			row := []string{m.Profile.Label(), strconv.Itoa(n)}
			for _, o := range others {
				c, err := breakEvenCell(m, push, o, n)
				if err != nil {
					return t, err
				}
				row = append(row, c)
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t, nil
}

// ClaimCheck is what the claim needs at one event rate under one profile.
type ClaimCheck struct {
	EventsPerHour float64
	Subscribers   int
	// Push and Log are the modelled monthly totals of the push-family
	// system (webhooks) and the log-family one (Kafka).
	Push, Log float64
	// PerDelivery is the modelled variable webhook cost per delivery;
	// RequiredPerDelivery the value that would make the two totals equal
	// at this rate (Kafka as priced).
	PerDelivery, RequiredPerDelivery float64
	// KafkaFixed is Kafka's cost that does not grow with events at this
	// rate (cluster); RequiredKafkaFixed the value that would make the
	// totals equal (webhooks as priced; negative: impossible).
	KafkaFixed, RequiredKafkaFixed float64
	// WebhookMarginal and KafkaMarginal are the monthly cost per extra
	// event/hour; Kafka can only become the cheaper design as the rate
	// grows when WebhookMarginal > KafkaMarginal.
	WebhookMarginal, KafkaMarginal float64
	// KafkaMarginalBy splits KafkaMarginal by component.
	KafkaMarginalBy map[string]float64
}

// CheckClaim computes, at x events/hour and n subscribers, what would have
// to be true for the push-family system (webhook) and the log-family one
// (Kafka) to cost the same there.
func (m *Model) CheckClaim(x float64, n int) (ClaimCheck, error) {
	c := ClaimCheck{EventsPerHour: x, Subscribers: n, KafkaMarginalBy: map[string]float64{}}
	push, _ := m.First(results.FamilyPush)
	log, _ := m.First(results.FamilyLog)
	wc, err := m.Components(push, n)
	if err != nil {
		return c, err
	}
	kc, err := m.Components(log, n)
	if err != nil {
		return c, err
	}
	H := v(m.Profile.HoursPerMonth)
	var wFixed, wVar float64
	for _, comp := range wc {
		if comp.Common {
			continue
		}
		i := comp.F.index(x)
		wFixed += comp.F.A[i]
		wVar += comp.F.B[i] * x
		c.WebhookMarginal += comp.F.B[i]
	}
	var kFixed, kVar float64
	for _, comp := range kc {
		if comp.Common {
			continue
		}
		i := comp.F.index(x)
		kFixed += comp.F.A[i]
		kVar += comp.F.B[i] * x
		c.KafkaMarginal += comp.F.B[i]
		c.KafkaMarginalBy[comp.Name] += comp.F.B[i]
	}
	c.Push, c.Log = wFixed+wVar, kFixed+kVar
	deliveries := x * H * float64(n)
	c.PerDelivery = wVar / deliveries
	c.RequiredPerDelivery = (c.Log - wFixed) / deliveries
	c.KafkaFixed = kFixed
	c.RequiredKafkaFixed = c.Push - kVar
	return c, nil
}

// ClaimParagraph states, for each model (profile), where the measured
// webhook and Kafka curves cross at 3 subscribers and what would have to be
// true for the claim to hold.
func ClaimParagraph(models []*Model) (string, error) {
	ps, err := ClaimParagraphs(models)
	if err != nil {
		return "", err
	}
	return strings.Join(ps, " "), nil
}

// ClaimParagraphs is ClaimParagraph split into an introduction and one
// paragraph per model.
func ClaimParagraphs(models []*Model) ([]string, error) {
	out := []string{fmt.Sprintf("A widely read comparison guide claims that %q. This model was not tuned to it; with this run's measurements:", Claim)}
	for _, m := range models {
		push, okPush := m.First(results.FamilyPush)
		log, okLog := m.First(results.FamilyLog)
		if !okPush || !okLog {
			return nil, fmt.Errorf("claim check: needs measured usage of a push-family (webhook) and a log-family (kafka) system")
		}
		var b strings.Builder
		pts, cheapest, err := m.BreakEvenPoints(push, log, claimSubscribers)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "Under %s at %d subscribers, ", m.Profile.Label(), claimSubscribers)
		switch {
		case len(pts) == 0:
			fmt.Fprintf(&b, "the curves do not cross between 100 and 1G events/hour (%s is cheaper throughout). ", cheapest)
		default:
			var xs []string
			for _, p := range pts {
				xs = append(xs, fmt.Sprintf("%s (%s cheaper below)", Rate(p.EventsPerHour), orEqual(p.CheaperBelow)))
			}
			if len(xs) > 3 {
				xs = append(xs[:3], fmt.Sprintf("%d more at broker steps", len(xs)-3))
			}
			fmt.Fprintf(&b, "the curves cross at %s. ", strings.Join(xs, ", "))
		}
		var req []string
		var last ClaimCheck
		for _, x := range claimRates {
			c, err := m.CheckClaim(x, claimSubscribers)
			if err != nil {
				return nil, err
			}
			last = c
			s := fmt.Sprintf("at %s webhooks would have to cost %s per million deliveries (modelled: %s, so %s) with Kafka as priced (%s a month)",
				Rate(x), dollars(c.RequiredPerDelivery*1e6), dollars(c.PerDelivery*1e6), ratio(c.RequiredPerDelivery, c.PerDelivery), Money(c.Log))
			if c.RequiredKafkaFixed > 0 {
				s += fmt.Sprintf(", or Kafka's fixed cost would have to fall from %s to %s a month", Money(c.KafkaFixed), Money(c.RequiredKafkaFixed))
			} else {
				s += fmt.Sprintf(", and no Kafka fixed cost would do: its variable cost alone exceeds the webhook total of %s", Money(c.Push))
			}
			req = append(req, s)
		}
		fmt.Fprintf(&b, "For the claim to hold, %s. ", strings.Join(req, "; "))
		if last.KafkaMarginal >= last.WebhookMarginal {
			H := v(m.Profile.HoursPerMonth)
			var parts []string
			for _, name := range kafkaLineOrder {
				if mv := last.KafkaMarginalBy[name]; mv > 0 {
					parts = append(parts, fmt.Sprintf("%s %s", name, dollars(mv/H*1e6)))
				}
			}
			fmt.Fprintf(&b, "Moreover Kafka's marginal cost (%s per million events: %s) is not below the webhooks' (%s per million events at %d subscribers), so under this profile no event rate makes Kafka the cheaper design; that needs a webhook path that costs more per delivery than Kafka's produce, storage and fetch per event (for example internet egress, a paid webhook service or heavy retries).",
				dollars(last.KafkaMarginal/H*1e6), strings.Join(parts, ", "), dollars(last.WebhookMarginal/H*1e6), claimSubscribers)
		}
		out = append(out, strings.TrimSpace(b.String()))
	}
	return out, nil
}

// kafkaLineOrder is the order Kafka's lines are named in prose.
var kafkaLineOrder = []string{CompProduce, CompIngress, CompNetwork, CompStorage, CompCluster, CompPartitions, CompManagedData, CompLag, CompConsume}

func dollars(x float64) string {
	switch a := math.Abs(x); {
	case a == 0:
		return "$0"
	case a >= 100:
		return "$" + strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 1:
		return "$" + strconv.FormatFloat(x, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(x, 'g', 3, 64)
}

func ratio(req, have float64) string {
	if have <= 0 {
		return "no measured cost"
	}
	r := req / have
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64) + "x more"
	}
	if r >= 1 {
		return strconv.FormatFloat(r, 'g', 3, 64) + "x more"
	}
	return strconv.FormatFloat(r, 'g', 3, 64) + "x as much"
}

// UsageTable lists the measured usage per system.
func UsageTable(usage map[string]Usage, systems []string) chart.Table {
	t := chart.Table{
		Caption: "Measured usage (fitted from this run's points)",
		Header: []string{"system", "family", "points", "subscriber counts", "CPU ms per event", "CPU ms per delivery/record", "harness idle CPU", "amplification", "bytes per event", "bytes per attempt",
			"mean attempt / e2e latency", "dead-lettered per delivery", "memory per in-flight delivery", "fit"},
	}
	for _, s := range systems {
		u := usage[s]
		var subs []string
		for _, n := range u.Subscribers {
			subs = append(subs, strconv.Itoa(n))
		}
		name := s
		if u.Embedded {
			name += " (embedded broker)"
		}
		bytesNote := ""
		if !u.BytesMeasured {
			bytesNote = " (scenario size, not measured)"
		}
		per, perEvent := "-", strconv.FormatFloat(u.BytesPerEvent, 'f', 0, 64)+bytesNote
		if u.Family == results.FamilyPush {
			// Webhook bytes scale per attempt; per event they would
			// only average over the subscriber counts swept.
			per, perEvent = strconv.FormatFloat(u.BytesPerAttempt, 'f', 0, 64)+bytesNote, "-"
		}
		fam := string(u.Family)
		if !u.Family.Known() {
			fam = "none (not priced)"
		}
		mem := u.MemFit
		if u.MemPerInFlightBytes > 0 {
			mem = strconv.FormatFloat(u.MemPerInFlightBytes/1e3, 'f', 1, 64) + " KB"
			if u.MemPerConnectionBytes > 0 {
				mem += " + " + strconv.FormatFloat(u.MemPerConnectionBytes/1e3, 'f', 1, 64) + " KB per connection"
			}
			mem += " (" + u.MemFit + ")"
		} else if mem == "" {
			mem = "-"
		}
		t.Rows = append(t.Rows, []string{
			name, fam, strconv.Itoa(u.Points), strings.Join(subs, ", "),
			strconv.FormatFloat(u.CPUPerEvent*1e3, 'g', 3, 64), strconv.FormatFloat(u.CPUPerWork*1e3, 'g', 3, 64),
			strconv.FormatFloat(u.IdleCPUPerS, 'g', 3, 64) + " CPU-s/s",
			strconv.FormatFloat(u.Amplification, 'f', 3, 64),
			perEvent, per,
			fmt.Sprintf("%s / %s", secs(u.AttemptLatencyS), secs(u.E2ELatencyS)),
			strconv.FormatFloat(u.DeadLetterFraction, 'g', 3, 64),
			mem,
			fmt.Sprintf("%s (rms error %s)", u.Fit, pct(u.FitError)),
		})
	}
	return t
}

// LinesTable lists every cost line of every system at x events/hour and n
// subscribers, each with the side it is attributed to; the totals give
// what differs between the designs (the break-even compares it) and the
// common part separately.
func LinesTable(m *Model, x float64, n int) (chart.Table, error) {
	t := chart.Table{Caption: fmt.Sprintf("Cost lines at %s and %d subscribers, profile %s (monthly)", Rate(x), n, m.Profile.Label()),
		Header: []string{"system", "side", "line", "monthly"}}
	for _, s := range m.Systems() {
		comps, err := m.Components(s, n)
		if err != nil {
			return t, err
		}
		fam, _ := m.Family(s)
		var diff, common float64
		for _, c := range comps {
			val := c.F.Eval(x)
			side := c.Side
			if c.Common {
				side += " (common)"
				common += val
			} else {
				diff += val
			}
			name := c.Name
			if c.Name == CompConnections {
				name += " (" + m.MemoryLabel(s) + ")"
			}
			t.Rows = append(t.Rows, []string{s, side, name, Money(val)})
		}
		t.Rows = append(t.Rows,
			[]string{s, "", "differs between designs (break-even) [family " + string(fam) + "]", Money(diff)},
			[]string{s, "", "common to every design (not in break-even)", Money(common)})
	}
	return t, nil
}

func secs(x float64) string {
	if x >= 1 {
		return strconv.FormatFloat(x, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(x*1e3, 'f', 1, 64) + " ms"
}

// PriceTable lists a profile's prices with their sources.
func PriceTable(p *Profile) chart.Table {
	t := chart.Table{Caption: fmt.Sprintf("Cost profile %s (%s): %s", p.Label(), p.Currency, p.Description), Header: []string{"key", "value", "source"}}
	for _, kp := range p.Prices() {
		t.Rows = append(t.Rows, []string{kp.Key, strconv.FormatFloat(kp.Value, 'g', -1, 64), kp.Source})
	}
	return t
}

// CostTable lists monthly totals at a few event rates for n subscribers.
func CostTable(m *Model, n int) (chart.Table, error) {
	t := chart.Table{Caption: fmt.Sprintf("Monthly cost at %d subscribers, profile %s", n, m.Profile.Label()), Header: []string{"events/hour"}}
	systems := m.Systems()
	t.Header = append(t.Header, systems...)
	for x := 1e3; x <= MaxEventsPerHour; x *= 10 {
		row := []string{curves.HumanNumber(x)}
		for _, s := range systems {
			b, err := m.Cost(s, x, n)
			if err != nil {
				return t, err
			}
			row = append(row, Money(b.Total))
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// Models returns a model per profile: p first when given, then every
// built-in not already included.
func Models(usage map[string]Usage, p *Profile) ([]*Model, error) {
	var out []*Model
	seen := map[string]bool{}
	if p != nil {
		out = append(out, NewModel(p, usage))
		if len(p.Overridden) == 0 {
			seen[p.File] = true
		}
	}
	for _, name := range Builtins() {
		if seen["builtin:"+name] {
			continue
		}
		bp, err := Builtin(name)
		if err != nil {
			return nil, err
		}
		out = append(out, NewModel(bp, usage))
	}
	return out, nil
}

// Section builds the cost section of the HTML report for r under profile p
// (nil: ResolveProfile's choice): the model paragraph, the claim check
// under every built-in profile, measured usage, prices with sources,
// break-even table, cost curves and the break-even map.
func Section(r *results.Results, p *Profile) (chart.Section, error) {
	sec := chart.Section{ID: "cost", Title: "Cost model and break-even"}
	if p == nil {
		var err error
		if p, err = ResolveProfile(r, "", nil); err != nil {
			return sec, err
		}
	}
	usage, err := MeasuredUsage(r)
	if err != nil {
		return sec, err
	}
	m := NewModel(p, usage)
	if _, ok := m.First(results.FamilyPush); !ok {
		return sec, fmt.Errorf("cost section: the run has no complete point of a push-family system (webhook) to compare against")
	}
	if len(m.Systems()) < 2 {
		return sec, fmt.Errorf("cost section: need a push-family system (webhook) and at least one other priced system, have %v", m.Systems())
	}
	sec.Paragraphs = append(sec.Paragraphs, ModelParagraph(p, usage))
	if r.Environment.Embedded {
		sec.Paragraphs = append(sec.Paragraphs, "Measured on the embedded in-memory Kafka broker (kfake): not disk-backed; Kafka-side CPU includes the broker itself. Prefer a run against a real broker (--brokers) for cost decisions.")
	}
	models, err := Models(usage, p)
	if err != nil {
		return sec, err
	}
	if _, ok := m.First(results.FamilyLog); ok {
		claim, err := ClaimParagraphs(models)
		if err != nil {
			return sec, err
		}
		sec.Paragraphs = append(sec.Paragraphs, claim...)
	}
	sec.Tables = append(sec.Tables, UsageTable(usage, m.Systems()))
	bt, err := BreakEvenTable(models, ReportSubscribers)
	if err != nil {
		return sec, err
	}
	sec.Tables = append(sec.Tables, bt)
	ct, err := CostTable(m, claimSubscribers)
	if err != nil {
		return sec, err
	}
	lt, err := LinesTable(m, claimRates[0], claimSubscribers)
	if err != nil {
		return sec, err
	}
	sec.Tables = append(sec.Tables, ct, lt, PriceTable(p))
	charts, err := ProfileCharts(m)
	if err != nil {
		return sec, err
	}
	sec.Charts = append(sec.Charts, charts...)
	// The break-even map of every other built-in profile.
	for _, om := range models[1:] {
		ch, err := MapChart(om, MapSubscribers)
		if err != nil {
			return sec, err
		}
		sec.Charts = append(sec.Charts, ch)
	}
	sens, err := Analyze(p, usage, DefaultRanges(p), claimSubscribers, claimRates[0])
	if err != nil {
		return sec, err
	}
	sec.Paragraphs = append(sec.Paragraphs, sens.Statement())
	sec.Tables = append(sec.Tables, sens.Table())
	ch, err := sens.TornadoChart(12)
	if err != nil {
		return sec, err
	}
	sec.Charts = append(sec.Charts, ch)
	return sec, nil
}

func displayName(m *Model, s string) string {
	if u, ok := m.Usage[s]; ok && u.Embedded {
		return s + " (embedded)"
	}
	return s
}

// FormatTable renders a table as aligned plain text (for the CLI).
func FormatTable(t chart.Table) string {
	widths := make([]int, len(t.Header))
	for i, h := range t.Header {
		widths[i] = len(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) && len(c) > widths[i] {
				widths[i] = len(c)
			}
		}
	}
	var b strings.Builder
	if t.Caption != "" {
		b.WriteString(t.Caption + "\n")
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			if i == len(cells)-1 {
				b.WriteString(c)
			} else {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			}
		}
		b.WriteString("\n")
	}
	line(t.Header)
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = strings.Repeat("-", widths[i])
	}
	line(sep)
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}
