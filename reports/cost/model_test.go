package cost

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/results"
)

func handProfile(t *testing.T) *Profile {
	t.Helper()
	p, err := LoadProfile(filepath.Join("testdata", "handcalc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// handUsage is measured usage with round numbers.
func handUsage() map[string]Usage {
	return map[string]Usage{
		"webhook": {System: "webhook", Family: results.FamilyPush, CPUPerEvent: 1e-3, CPUPerWork: 1e-3, Amplification: 1.5, BytesPerAttempt: 2000, BytesPerEvent: 3000,
			AttemptLatencyS: 2, E2ELatencyS: 2.5, DeadLetterFraction: 0.01},
		"kafka":  {System: "kafka", Family: results.FamilyLog, CPUPerEvent: 2e-3, CPUPerWork: 5e-4, Amplification: 1, BytesPerEvent: 1000, E2ELatencyS: 2},
		"bridge": {System: "bridge", Family: results.FamilyPushToLog, CPUPerEvent: 3e-3, CPUPerWork: 5e-4, Amplification: 1, BytesPerEvent: 1000, E2ELatencyS: 2},
	}
}

// Hand-computed golden values of every cost line with profile
// testdata/handcalc.yaml (H = 1000 h/month, vCPU-hour 0.36 at utilisation
// 0.5 so c = 0.72 per CPU-hour, cross-zone 0.5, webhook egress $1/GB,
// endpoint $2, memory $0.01/GB-hour, 1000 KB per connection, TLS 0.5
// handshakes per attempt x 2 ms = 1 ms per attempt on each side, dead
// letters $1/GB-month kept 100 h, cluster $10 + $100/broker, min 2
// brokers of 1 MB/s, RF 2, retention 10 h, storage $0.5/GB-month, transfer
// $0.2/GB, replication $0.1/GB, partitions $0.01/hour, min 2 of 1 MB/s,
// subscriber processing 1 ms) at x = 1000 events/hour, n = 2:
//
// webhook (1 ms per event, 1 ms per attempt, 1.5 attempts per delivery,
// 2000 B per attempt, 2 s per attempt, 1% dead-lettered):
//
//	sender     publish      = 0.72*1000*1000*1e-3/3600                 = 0.20
//	transport  dispatch     = 0.72*1000*1000*2*1e-3/3600               = 0.40
//	transport  network      = 1*0.5*1e6*2*2000/1e9                     = 2.00
//	transport  retries      = (1.5-1)*(0.40+2.00)                      = 1.20
//	transport  connections  = 1000/3600*2*1.5*2 s = 5/3 connections;
//	                          0.01*1000*(5/3)*1e6/1e9                  = 0.0166667
//	transport  TLS          = 0.72*1e6*2*1.5*1e-3/3600                 = 0.60
//	transport  dead letters = 1*1000*0.01*2*2000*100/1e9               = 0.004
//	transport  endpoints    = 2*2                                      = 4.00
//	subscriber TLS accept   = as TLS                                   = 0.60  -> 9.0206667
//	subscriber processing (common) = 0.72*1e6*2*1e-3/3600              = 0.40
//
// kafka (2 ms per event + 0.5 ms per record, 1000 B, 2 s end to end):
//
//	sender     produce     = 0.72*1e6*2e-3/3600                          = 0.40
//	transport  network     = 0.2*0.5*1e6*1000*3/1e9 + 0.1*1e6*1000*1/1e9 = 0.40
//	transport  storage     = 0.5*1000*10*1000*2/1e9                      = 0.01
//	transport  cluster     = 10 + 100*max(2, ceil(...))                  = 210
//	transport  partitions  = 0.01*1000*max(2, ceil(0.00028 MB/s / 1))    = 20
//	transport  lag         = 1000/3600*2*2 s = 10/9 records; 0.5*(10/9)*1000*2/1e9 = 1.1111e-6
//	subscriber consume     = 0.72*1e6*2*5e-4/3600                        = 0.20  -> 231.0100011
//
// bridge: produce 0.72*1e6*3e-3/3600 = 0.60; ingress hop = endpoint 2 +
// 1*0.5*1e6*1000/1e9 + 2*0.72*1e6*1e-3/3600 = 2 + 0.5 + 0.4 = 2.90; the
// rest as kafka -> 234.1100011.
var handGolden = []struct {
	system string
	want   map[string]float64
	total  float64
}{
	{"webhook", map[string]float64{CompPublish: 0.20, CompDispatch: 0.40, CompNetwork: 2.00, CompRetries: 1.20, CompConnections: 1.0 / 60,
		CompTLS: 0.60, CompDeadLetters: 0.004, CompEndpoints: 4, CompTLSAccept: 0.60, CompProcessing: 0.40}, 9.0 + 0.004 + 1.0/60},
	{"kafka", map[string]float64{CompProduce: 0.40, CompNetwork: 0.40, CompStorage: 0.01, CompCluster: 210, CompPartitions: 20,
		CompManagedData: 0, CompLag: 1e-5 / 9, CompConsume: 0.20, CompProcessing: 0.40}, 231.01 + 1e-5/9},
	{"bridge", map[string]float64{CompProduce: 0.60, CompIngress: 2.90, CompNetwork: 0.40, CompStorage: 0.01, CompCluster: 210, CompPartitions: 20,
		CompManagedData: 0, CompLag: 1e-5 / 9, CompConsume: 0.20, CompProcessing: 0.40}, 234.11 + 1e-5/9},
}

func TestModelHandComputed(t *testing.T) {
	m := NewModel(handProfile(t), handUsage())
	for _, tc := range handGolden {
		b, err := m.Cost(tc.system, 1000, 2)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range tc.want {
			if !near(b.Items[k], want) {
				t.Errorf("%s %s = %v, want %v", tc.system, k, b.Items[k], want)
			}
		}
		if len(b.Items) != len(tc.want) {
			t.Errorf("%s: components %v, want %v", tc.system, b.Items, tc.want)
		}
		if !near(b.Total, tc.total) || !near(b.Common, 0.40) {
			t.Errorf("%s total = %v (common %v), want %v (common 0.40)", tc.system, b.Total, b.Common, tc.total)
		}
		// Every line is attributed to a side.
		for k, side := range b.Sides {
			if side != SideSender && side != SideTransport && side != SideSubscriber {
				t.Errorf("%s %s: side %q", tc.system, k, side)
			}
		}
	}
}

// TestBuyWebhooksHandComputed: webhook.buy 1 with $1 per million events,
// $0.2 per million attempts and $50 a month replaces the sender fleet:
// platform = 50 + 1000*1000*(1 + 2*1.5*0.2)/1e6 = 51.60, endpoints 4,
// publish 0.20 and the receivers' TLS accept 0.60 stay -> 56.40.
func TestBuyWebhooksHandComputed(t *testing.T) {
	p, err := handProfile(t).WithOverrides(map[string]float64{"webhook.buy": 1, "webhook.platform_per_million_events": 1,
		"webhook.platform_per_million_deliveries": 0.2, "webhook.platform_month": 50}, "test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewModel(p, handUsage()).Cost("webhook", 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{CompPublish: 0.20, CompPlatform: 51.60, CompEndpoints: 4, CompTLSAccept: 0.60, CompProcessing: 0.40}
	for k, w := range want {
		if !near(b.Items[k], w) {
			t.Errorf("%s = %v, want %v", k, b.Items[k], w)
		}
	}
	if len(b.Items) != len(want) || !near(b.Total, 56.40) {
		t.Errorf("bought webhooks: %v total %v, want %v total 56.40", b.Items, b.Total, want)
	}
}

// TestManagedKafkaHandComputed: partitions $0.01/hour, 1 MB/s each, at
// x = 1.8e7 events/hour of 1000 B = 5 MB/s of writes -> 5 partitions =
// 0.01*1000*5 = 50; data in $0.1/GB and out $0.05/GB at n = 2:
// 1000*1.8e7*1000*(0.1 + 2*0.05)/1e9 = 3600.
func TestManagedKafkaHandComputed(t *testing.T) {
	p, err := handProfile(t).WithOverrides(map[string]float64{"kafka.ingress_per_gb": 0.1, "kafka.egress_per_gb": 0.05}, "test")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewModel(p, handUsage()).Cost("kafka", 1.8e7, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(b.Items[CompPartitions], 50) || !near(b.Items[CompManagedData], 3600) {
		t.Errorf("partitions %v (want 50), managed data %v (want 3600)", b.Items[CompPartitions], b.Items[CompManagedData])
	}
}

// TestSlowReceiverLittlesLaw: a receiver taking 2 s at 500 deliveries/s
// holds 500*2 = 1,000 connections open; the webhook sender pays for their
// memory (1,000 x (64 + 16) KB = 80 MB under aws-list), while the same
// receiver behind Kafka shows up as 1,000 records of consumer lag and no
// connection memory at all.
func TestSlowReceiverLittlesLaw(t *testing.T) {
	r := slowReceiverResults()
	usage, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Builtin("aws-list")
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(p, usage)
	const x = 500 * 3600.0
	conns := m.Concurrency("webhook", x, 1)
	if conns < 1000 || conns > 1010 {
		t.Fatalf("webhook connections held = %v, want >= 1,000 (500/s x 2 s)", conns)
	}
	b, err := m.Cost("webhook", x, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantMem := v(p.Compute.MemoryGBHour) * v(p.HoursPerMonth) * conns * (64 + 16) * 1e3 / 1e9
	if !near(b.Items[CompConnections], wantMem) || wantMem <= 0 {
		t.Errorf("webhook connection memory = %v a month, want %v (%v connections x 80 KB)", b.Items[CompConnections], wantMem, conns)
	}
	k, err := m.Cost("kafka", x, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Items[CompConnections]; ok {
		t.Errorf("kafka priced connection memory: %v", k.Items)
	}
	if lag := m.Concurrency("kafka", x, 1); lag < 1000 {
		t.Errorf("kafka consumer lag = %v records, want >= 1,000", lag)
	}
	if k.Items[CompLag] <= 0 {
		t.Errorf("kafka consumer lag not priced: %v", k.Items)
	}
}

// slowReceiverResults is a run of 500 events/s to one subscriber that
// takes 2 s per delivery, under webhooks and Kafka.
func slowReceiverResults() *results.Results {
	r := &results.Results{Schema: results.Schema, Scenario: []byte(`{"event":{"size":{"dist":"fixed","value":1024}}}`)}
	for _, sys := range []string{"webhook", "kafka"} {
		p := usagePoint(sys, 500, 1, 60, 0, 0, 5e-5, 0, 1100)
		s := &p.Subscribers[0]
		s.E2E.LatencyUS.Mean = 2.01e6
		if sys == "webhook" {
			s.Attempt = &results.Latency{LatencyUS: results.Summary{Count: s.Accounting.Sent, Mean: 2.005e6}}
		}
		r.Points = append(r.Points, p)
	}
	return r
}

// TestBreakEvenHandComputed: below the first broker step (1.8M/h) and
// partition step (7.2M/h), webhook = 4 + sw*x with sw = 5.0206667e-3 and
// kafka = 230 + sk*x with sk = 1.0100011e-3 (the lines above, per
// event/hour), so they cross once at x = 226/(sw - sk).
func TestBreakEvenHandComputed(t *testing.T) {
	m := NewModel(handProfile(t), handUsage())
	pts, cheapest, err := m.BreakEvenPoints("webhook", "kafka", 2)
	if err != nil {
		t.Fatal(err)
	}
	if cheapest != "webhook" || len(pts) != 1 {
		t.Fatalf("got %+v (cheapest at 100/h %q), want one crossing, webhook cheaper first", pts, cheapest)
	}
	sw := (5.0 + 0.004 + 1.0/60) / 1000
	sk := (1.01 + 1e-5/9) / 1000
	want := 226 / (sw - sk)
	if p := pts[0]; !near(p.EventsPerHour, want) || p.CheaperBelow != "webhook" || p.CheaperAbove != "kafka" || p.Step {
		t.Errorf("crossing %+v, want %.4f webhook below, kafka above", p, want)
	}
	w, _ := m.Cost("webhook", want, 2)
	k, _ := m.Cost("kafka", want, 2)
	if !near(w.Total, k.Total) {
		t.Errorf("costs at the crossing differ: %v vs %v", w.Total, k.Total)
	}

	// The claim check at the crossing itself needs nothing to change.
	c, err := m.CheckClaim(want, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c.RequiredPerDelivery, c.PerDelivery) || !near(c.RequiredKafkaFixed, c.KafkaFixed) {
		t.Errorf("at break-even the requirement should equal the model: %+v", c)
	}
	// At x = 10,000/h, n = 2: webhook variable 1e4*sw over 2e7
	// deliveries; kafka = 230 + 1e4*sk.
	c, err = m.CheckClaim(10_000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c.PerDelivery, 1e4*sw/2e7) || !near(c.RequiredPerDelivery, (226+1e4*sk)/2e7) || !near(c.RequiredKafkaFixed, 4+1e4*(sw-sk)) || !near(c.KafkaFixed, 230) {
		t.Errorf("claim check at 10k/h: %+v", c)
	}
}

// TestCurveMatchesComponents checks the piecewise total against the sum of
// components at many rates, including just around broker steps.
func TestCurveMatchesComponents(t *testing.T) {
	m := NewModel(handProfile(t), handUsage())
	for _, sys := range []string{"webhook", "kafka", "bridge"} {
		for _, n := range []int{1, 3, 10} {
			f, err := m.Curve(sys, n)
			if err != nil {
				t.Fatal(err)
			}
			for x := 100.0; x <= 1e9; x *= 1.37 {
				b, _ := m.Cost(sys, x, n)
				if !near(f.Eval(x), b.Total) {
					t.Fatalf("%s n=%d x=%v: curve %v != components %v", sys, n, x, f.Eval(x), b.Total)
				}
			}
		}
	}
	if _, err := m.Curve("webhook", 0); err == nil {
		t.Error("0 subscribers accepted")
	}
	if _, err := m.Curve("carrier-pigeon", 1); err == nil {
		t.Error("unknown system accepted")
	}
}

// usagePoint builds a complete point whose harness CPU follows
// cpu = idle*D + perEvent*events + perWork*work exactly.
func usagePoint(system string, rate float64, subs int, dur, idle, perEvent, perWork, retryShare, bytesPerWork float64) results.Point {
	sent := int64(rate * dur)
	p := results.Point{System: system, Status: results.StatusComplete, DurationS: dur, OfferedPerS: rate,
		Params: map[string]float64{"rate_per_s": rate, "subscribers": float64(subs)}}
	var work int64
	for i := 0; i < subs; i++ {
		acc := results.Accounting{Sent: sent, Delivered: sent}
		if system == "webhook" {
			acc.Retries = int64(float64(sent) * retryShare)
			work += acc.Delivered + acc.Retries
		} else {
			acc.Duplicates = int64(float64(sent) * retryShare)
			work += acc.Delivered + acc.Duplicates
		}
		p.Subscribers = append(p.Subscribers, results.Subscriber{Name: fmt.Sprintf("s%d", i), Accounting: acc,
			E2E: results.Latency{LatencyUS: results.Summary{Count: sent, P50: 2000, P99: 9000}}})
	}
	cpu := idle*dur + perEvent*float64(sent) + perWork*float64(work)
	p.Resources = results.Resources{CPUUserS: cpu * 0.7, CPUSysS: cpu * 0.3, BytesSent: int64(bytesPerWork * float64(work))}
	return p
}

func TestMeasuredUsageRecoversModel(t *testing.T) {
	r := &results.Results{Schema: results.Schema}
	for _, subs := range []int{1, 3} {
		for _, rate := range []float64{500, 1000, 2000} {
			r.Points = append(r.Points, usagePoint("webhook", rate, subs, 10, 0.01, 2e-5, 5e-5, 0.1, 1200))
			r.Points = append(r.Points, usagePoint("kafka", rate, subs, 10, 0.05, 3e-5, 1e-5, 0, 1100))
		}
	}
	bad := usagePoint("kafka", 9000, 1, 10, 5, 1, 1, 0, 1)
	bad.Status = results.StatusFailed
	r.Points = append(r.Points, bad)
	u, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	closeTo := func(got, want float64) bool { return math.Abs(got-want) <= 1e-6*math.Abs(want)+1e-12 }
	w := u["webhook"]
	if !closeTo(w.IdleCPUPerS, 0.01) || !closeTo(w.CPUPerEvent, 2e-5) || !closeTo(w.CPUPerWork, 5e-5) {
		t.Errorf("webhook fit: idle %v per-event %v per-work %v, want 0.01, 2e-5, 5e-5 (%s)", w.IdleCPUPerS, w.CPUPerEvent, w.CPUPerWork, w.Fit)
	}
	if !closeTo(w.Amplification, 1.1) || !closeTo(w.BytesPerAttempt, 1200) || !w.BytesMeasured || w.Points != 6 {
		t.Errorf("webhook usage: %+v", w)
	}
	k := u["kafka"]
	if k.Points != 6 {
		t.Errorf("kafka used %d points, want 6 (the failed one left out)", k.Points)
	}
	if !closeTo(k.IdleCPUPerS, 0.05) || !closeTo(k.CPUPerEvent, 3e-5) || !closeTo(k.CPUPerWork, 1e-5) {
		t.Errorf("kafka fit: %+v", k)
	}
	if w.FitError > 1e-9 || k.FitError > 1e-9 {
		t.Errorf("exact data fitted with error %v / %v", w.FitError, k.FitError)
	}
}

func TestMeasuredUsageSinglePoint(t *testing.T) {
	r := &results.Results{Schema: results.Schema, Scenario: []byte(`{"event":{"size":{"dist":"fixed","value":2048}}}`)}
	p := usagePoint("webhook", 1000, 1, 10, 0.01, 0, 5e-5, 0, 0)
	r.Points = append(r.Points, p)
	u, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	w := u["webhook"]
	// One point: everything is per delivery: (0.1 + 0.5) CPU-s / 10000.
	if !near(w.CPUPerWork, 0.6/10000) || w.IdleCPUPerS != 0 || w.CPUPerEvent != 0 {
		t.Errorf("single point fit: %+v", w)
	}
	if !strings.Contains(w.Fit, "one subscriber count") || !strings.Contains(w.Fit, "one rate") {
		t.Errorf("fit note %q does not explain what could not be separated", w.Fit)
	}
	if w.BytesMeasured || w.BytesPerAttempt != 2048 {
		t.Errorf("bytes fallback: measured %v, %v per attempt, want the scenario's 2048", w.BytesMeasured, w.BytesPerAttempt)
	}
	if _, err := MeasuredUsage(&results.Results{Schema: results.Schema}); err == nil {
		t.Error("no points: want an error")
	}
}

// fixtureResults is a small sweep with plausible measured figures: webhook
// 40 us CPU per attempt and 1400 B; kafka 30 us per event + 10 us per
// record, 1100 B; bridge 60 us per event + 10 us per record; harness idle
// 0.02 CPU-s/s; 1 and 3 subscribers at 500-2000 events/s; embedded broker.
func fixtureResults() *results.Results {
	r := &results.Results{Schema: results.Schema, Status: results.StatusComplete,
		Environment: results.Environment{BrokerKind: "embedded in-memory (kfake)", Embedded: true},
		Scenario:    []byte(`{"name":"fixture","event":{"size":{"dist":"fixed","value":1024}}}`)}
	for _, subs := range []int{1, 3} {
		for _, rate := range []float64{500, 1000, 2000} {
			r.Points = append(r.Points,
				usagePoint("webhook", rate, subs, 30, 0.02, 0, 40e-6, 0.002, 1400),
				usagePoint("kafka", rate, subs, 30, 0.02, 30e-6, 10e-6, 0, 0),
				usagePoint("bridge", rate, subs, 30, 0.02, 60e-6, 10e-6, 0, 0))
		}
	}
	for i := range r.Points {
		if r.Points[i].System != "webhook" {
			sent := r.Points[i].Subscribers[0].Accounting.Sent
			r.Points[i].Resources.BytesSent = sent * 1100
		}
	}
	return r
}

// TestFixtureBreakEvenGolden pins the break-even table and the claim
// paragraph on the fixture for every built-in profile (review the diff
// with -update when the model changes on purpose).
func TestFixtureBreakEvenGolden(t *testing.T) {
	r := fixtureResults()
	usage, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	models, err := Models(usage, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := BreakEvenTable(models, ReportSubscribers)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != len(Builtins())*len(ReportSubscribers) {
		t.Errorf("table has %d rows, want %d", len(tab.Rows), len(Builtins())*len(ReportSubscribers))
	}
	claim, err := ClaimParagraph(models)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(FormatTable(tab))
	b.WriteString("\n")
	b.WriteString(claim)
	b.WriteString("\n")
	got := []byte(b.String())
	golden.Check(t, filepath.Join("testdata", "fixture-breakeven.golden.txt"), got)
}

func TestSection(t *testing.T) {
	r := fixtureResults()
	sec, err := Section(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Curves, composition and map under the chosen profile, the map of
	// every other built-in, and the tornado.
	if want := 3 + len(Builtins()) - 1 + 1; len(sec.Charts) != want {
		t.Fatalf("got %d charts, want %d", len(sec.Charts), want)
	}
	for _, c := range sec.Charts {
		img, err := png.Decode(bytes.NewReader(c.PNG))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if img.Bounds().Dx() < 600 || !bytes.Contains(c.SVG, []byte("<svg")) {
			t.Errorf("%s: bad image", c.Name)
		}
		if os.Getenv("EVBENCH_KEEP_CHARTS") != "" {
			_ = os.WriteFile(filepath.Join(os.TempDir(), c.Name+".png"), c.PNG, 0o644)
		}
	}
	text := strings.Join(sec.Paragraphs, "\n")
	for _, want := range []string{"Under aws-list", "Under self-hosted", "Under managed-kafka-entry", "10,000-50,000", "embedded in-memory", "Webhooks fan out per subscriber", "shared log", "hinges most on", "never priced as a broker"} {
		if !strings.Contains(text, want) {
			t.Errorf("section text lacks %q", want)
		}
	}
	if len(sec.Tables) != 6 {
		t.Errorf("got %d tables, want usage, break-even, cost, lines, prices, sensitivity", len(sec.Tables))
	}
	// Every price row carries its source.
	for _, row := range sec.Tables[4].Rows {
		if row[2] == "" {
			t.Errorf("price %s has no source in the report", row[0])
		}
	}
	// A scenario naming a profile and overrides is honoured.
	r.Scenario = []byte(`{"cost":{"profile":"self-hosted","overrides":{"kafka.cluster_month":2000}}}`)
	p, err := ResolveProfile(r, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "self-hosted" || v(p.Log.ClusterMonth) != 2000 {
		t.Errorf("scenario profile/overrides ignored: %s %v", p.Name, v(p.Log.ClusterMonth))
	}
	r.Scenario = []byte(`{"cost":{"overrides":{"kafka.nope":1}}}`)
	if _, err := ResolveProfile(r, "", nil); err == nil {
		t.Error("unknown scenario override accepted")
	}
}

// TestMeasuredUsageWarmupAndSaturation: runners/measure counts CPU and
// bytes from the start of the warm-up, the accounting only the measured
// period. With a 2 s warm-up at the point's rate, a point of 10 s at 1000/s
// used resources for 12,000 events; the per-event figures must be those of
// the generating model, not 20% higher. A saturated point (backlog after
// the drain) is left out.
func TestMeasuredUsageWarmupAndSaturation(t *testing.T) {
	const warm = 2.0
	r := &results.Results{Schema: results.Schema, Scenario: []byte(`{"load":{"warmup_ns":2000000000}}`)}
	for _, subs := range []int{1, 3} {
		for _, rate := range []float64{500, 1000, 2000} {
			p := usagePoint("webhook", rate, subs, 10, 0, 0, 0, 0, 0)
			f := (rate*10 + rate*warm) / (rate * 10)
			work := float64(subs) * rate * 10
			p.Resources.CPUUserS = 0.01*(10+warm) + 5e-5*work*f
			p.Resources.CPUSysS = 0
			p.Resources.BytesSent = int64(1500 * work * f)
			r.Points = append(r.Points, p)
		}
	}
	sat := usagePoint("webhook", 8000, 3, 10, 0, 0, 0, 0, 0)
	for i := range sat.Subscribers {
		sat.Subscribers[i].Accounting.Delivered = 30000
		sat.Subscribers[i].Accounting.Lost = 50000
	}
	sat.Resources.CPUUserS = 100 // would wreck the fit
	r.Points = append(r.Points, sat)
	u, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	w := u["webhook"]
	if w.Points != 6 || !strings.Contains(w.Fit, "1 saturated point(s)") {
		t.Errorf("points %d, fit %q: want the saturated point left out and said so", w.Points, w.Fit)
	}
	if math.Abs(w.CPUPerWork-5e-5) > 1e-9 || math.Abs(w.IdleCPUPerS-0.01) > 1e-9 || math.Abs(w.BytesPerAttempt-1500) > 1e-6 {
		t.Errorf("warm-up not accounted for: %+v", w)
	}
	if math.Abs(w.Amplification-1) > 1e-12 {
		t.Errorf("amplification %v, want 1 (one attempt per delivery)", w.Amplification)
	}
}

// TestCostFamilyExplicit: a system the model has no family for is not
// priced (before, any non-webhook system was silently priced as Kafka,
// so this test failed then: Components("nats", 1) returned Kafka's lines).
func TestCostFamilyExplicit(t *testing.T) {
	u := handUsage()
	u["nats"] = Usage{System: "nats", CPUPerWork: 1e-3, Amplification: 1, BytesPerEvent: 1000}
	if got := Unpriced(u); len(got) != 1 || got[0] != "nats" {
		t.Errorf("Unpriced = %v, want [nats]", got)
	}
	m := NewModel(handProfile(t), u)
	if strings.Join(m.Systems(), ",") != "webhook,kafka,bridge" {
		t.Errorf("systems %v: nats must not be priced", m.Systems())
	}
	m.Usage["nats"] = u["nats"]
	if _, err := m.Components("nats", 1); err == nil || !strings.Contains(err.Error(), "no cost family") {
		t.Errorf("Components(nats) = %v, want a no-cost-family error", err)
	}
	for sys, fam := range map[string]results.CostFamily{"webhook": results.FamilyPush, "kafka": results.FamilyLog, "bridge": results.FamilyPushToLog} {
		if f, ok := m.Family(sys); !ok || f != fam {
			t.Errorf("Family(%s) = %q, %v", sys, f, ok)
		}
	}
}

// TestCostFamilyPricesUnknownSystem: a system the model has never heard of
// is priced by the cost family its points record, exactly as the known
// system of that family with the same measured usage; a family the model
// does not know leaves it unpriced. Before cost families were recorded on
// points, "nats" was unpriced whatever it declared.
func TestCostFamilyPricesUnknownSystem(t *testing.T) {
	for _, tc := range []struct {
		like   string
		family results.CostFamily
		priced bool
	}{
		{"webhook", results.FamilyPush, true},
		{"kafka", results.FamilyLog, true},
		{"bridge", results.FamilyPushToLog, true},
		{"kafka", "carrier-pigeon", false},
	} {
		t.Run(string(tc.family), func(t *testing.T) {
			u := handUsage()
			nats := u[tc.like]
			nats.System, nats.Family = "nats", tc.family
			u["nats"] = nats
			m := NewModel(handProfile(t), u)
			if _, ok := m.Usage["nats"]; ok != tc.priced {
				t.Fatalf("nats priced %v, want %v (unpriced: %v)", ok, tc.priced, Unpriced(u))
			}
			if !tc.priced {
				return
			}
			for _, x := range []float64{1e3, 1e6, 1e8} {
				want, err := m.Cost(tc.like, x, 3)
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Cost("nats", x, 3)
				if err != nil {
					t.Fatal(err)
				}
				if !near(got.Total, want.Total) || !near(got.Common, want.Common) || len(got.Items) != len(want.Items) {
					t.Errorf("at %g/h: nats %+v, %s %+v", x, got, tc.like, want)
				}
				for k, v := range want.Items {
					if !near(got.Items[k], v) {
						t.Errorf("at %g/h: %s: nats %v, %s %v", x, k, got.Items[k], tc.like, v)
					}
				}
			}
		})
	}
}

// TestMeasuredUsageRecordsFamily: MeasuredUsage takes each system's cost
// family from its points: recorded (a new system declaring "log") or,
// in a document written before points recorded it, the legacy table's.
func TestMeasuredUsageRecordsFamily(t *testing.T) {
	r := &results.Results{}
	r.Points = append(r.Points,
		usagePoint("webhook", 1000, 2, 10, 0.01, 2e-5, 5e-5, 0.1, 1200),
		usagePoint("kafka", 1000, 2, 10, 0.05, 3e-5, 1e-5, 0, 1100))
	rabbit := usagePoint("rabbitmq", 1000, 2, 10, 0.05, 3e-5, 1e-5, 0, 1100)
	rabbit.CostFamily, rabbit.Order = results.FamilyLog, 4
	rabbit.Capabilities = &results.Capabilities{Publish: true, ConsumerLag: true, Broker: true}
	r.Points = append(r.Points, rabbit)
	u, err := MeasuredUsage(r)
	if err != nil {
		t.Fatal(err)
	}
	for sys, fam := range map[string]results.CostFamily{"webhook": results.FamilyPush, "kafka": results.FamilyLog, "rabbitmq": results.FamilyLog} {
		if u[sys].Family != fam {
			t.Errorf("%s: family %q, want %q", sys, u[sys].Family, fam)
		}
	}
	m := NewModel(handProfile(t), u)
	if got := strings.Join(m.Systems(), ","); got != "webhook,kafka,rabbitmq" {
		t.Errorf("systems %s, want webhook,kafka,rabbitmq (recorded order)", got)
	}
	k, err := m.Cost("kafka", 1e6, 2)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := m.Cost("rabbitmq", 1e6, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(k.Items[CompCluster], rb.Items[CompCluster]) || rb.Items[CompCluster] == 0 {
		t.Errorf("rabbitmq cluster line %v, kafka's %v: a log-family system pays for brokers", rb.Items[CompCluster], k.Items[CompCluster])
	}
}

// TestAddedLatencyHandComputed: webhook.added_latency_s = 1 on top of the
// measured 2 s per attempt: C = 1000/3600*2*1.5*3 s = 2.5 connections,
// memory 0.01*1000*2.5*1e6/1e9 = 0.025 a month; with one connection per
// attempt (tls_handshakes_per_delivery 1) TLS becomes
// 0.72*1e6*2*1.5*2e-3/3600 = 1.20 on each side.
func TestAddedLatencyHandComputed(t *testing.T) {
	p, err := handProfile(t).WithOverrides(map[string]float64{"webhook.added_latency_s": 1, "webhook.tls_handshakes_per_delivery": 1}, "test")
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(p, handUsage())
	if c := m.Concurrency("webhook", 1000, 2); !near(c, 2.5) {
		t.Errorf("connections = %v, want 2.5", c)
	}
	b, err := m.Cost("webhook", 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(b.Items[CompConnections], 0.025) || !near(b.Items[CompTLS], 1.2) || !near(b.Items[CompTLSAccept], 1.2) {
		t.Errorf("lines %v, want connection memory 0.025 and TLS 1.20 each side", b.Items)
	}
}
