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
		"webhook": {System: "webhook", CPUPerWork: 1e-3, Amplification: 1.5, BytesPerAttempt: 2000, BytesPerEvent: 3000},
		"kafka":   {System: "kafka", CPUPerEvent: 2e-3, CPUPerWork: 5e-4, Amplification: 1, BytesPerEvent: 1000},
		"bridge":  {System: "bridge", CPUPerEvent: 3e-3, CPUPerWork: 5e-4, Amplification: 1, BytesPerEvent: 1000},
	}
}

// TestModelHandComputed checks every component against a hand computation
// with profile testdata/handcalc.yaml (H = 1000 h/month, vCPU-hour 0.36,
// utilisation 0.5, cross-zone fraction 0.5, webhook egress $1/GB, endpoint
// $2, cluster $10 + $100/broker, min 2 brokers of 1 MB/s, RF 2, retention
// 10 h, storage $0.5/GB-month, transfer $0.2/GB, replication $0.1/GB) at
// x = 1000 events/hour and n = 2 subscribers.
//
// webhook (1 ms CPU per attempt, 1.5 attempts per delivery, 2000 B/attempt):
//
//	compute   = 0.36/0.5 * (1000*1000 events) * (2 * 1.5 * 1e-3 s) / 3600 = 0.60
//	network   = 1.0 * 0.5 * 1e6 events * 2 * 1.5 * 2000 B / 1e9          = 3.00
//	endpoints = 2 * 2                                                     = 4.00  -> 7.60
//
// kafka (2 ms CPU per event + 0.5 ms per record, 1000 B/event):
//
//	compute = 0.72 * 1e6 * (2e-3 + 2*5e-4) / 3600                   = 0.60
//	network = 0.2*0.5*1e6*1000*(1+2)/1e9 + 0.1*1e6*1000*(2-1)/1e9    = 0.30 + 0.10 = 0.40
//	storage = 0.5 * 1000 events/h * 10 h * 1000 B * 2 / 1e9          = 0.01
//	cluster = 10 + 100 * max(2, ceil(1000/3600*1000*(2+2)/1e6 / 1)) = 210   -> 211.01
//
// bridge (3 ms per event + 0.5 ms per record, 1000 B/event):
//
//	compute   = 0.72 * 1e6 * (3e-3 + 2*5e-4) / 3600 = 0.80
//	network   = 0.40 (as kafka) + 1.0*0.5*1e6*1000/1e9 (ingress hop) = 0.90
//	storage   = 0.01, cluster = 210, endpoints = 2 (the ingress)     -> 213.71
func TestModelHandComputed(t *testing.T) {
	m := NewModel(handProfile(t), handUsage())
	tests := []struct {
		system string
		want   map[string]float64
		total  float64
	}{
		{"webhook", map[string]float64{CompCompute: 0.60, CompNetwork: 3.00, CompEndpoints: 4.00}, 7.60},
		{"kafka", map[string]float64{CompCompute: 0.60, CompNetwork: 0.40, CompStorage: 0.01, CompCluster: 210}, 211.01},
		{"bridge", map[string]float64{CompCompute: 0.80, CompNetwork: 0.90, CompStorage: 0.01, CompCluster: 210, CompEndpoints: 2}, 213.71},
	}
	for _, tc := range tests {
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
		if !near(b.Total, tc.total) {
			t.Errorf("%s total = %v, want %v", tc.system, b.Total, tc.total)
		}
	}
}

// TestBrokerSteps: one broker carries 1 MB/s = 1e6/(1000 B * (RF 2 + 2
// reads)) = 250 events/s = 900,000 events/hour, so the cluster stays at the
// 2-broker minimum up to 1.8M/h and adds $100 per further 900k/h.
func TestBrokerSteps(t *testing.T) {
	m := NewModel(handProfile(t), handUsage())
	for _, tc := range []struct{ x, brokers float64 }{{1.8e6, 2}, {1.8e6 + 1, 3}, {2.7e6, 3}, {2.7e6 + 1, 4}, {9e7, 100}} {
		b, err := m.Cost("kafka", tc.x, 2)
		if err != nil {
			t.Fatal(err)
		}
		if want := 10 + 100*tc.brokers; !near(b.Items[CompCluster], want) {
			t.Errorf("cluster at %v/h = %v, want %v (%v brokers)", tc.x, b.Items[CompCluster], want, tc.brokers)
		}
	}
}

// TestBreakEvenHandComputed: webhook = 4 + 3.6e-3 x, kafka = 210 +
// 1.01e-3 x below the first broker step (1.8M/h), so they cross once at
// x = 206 / 2.59e-3 = 79,536.68 events/hour; above it kafka stays cheaper
// (its steps add only 100/900k = 1.1e-4 per event/hour).
func TestBreakEvenHandComputed(t *testing.T) {
	m := NewModel(handProfile(t), handUsage())
	pts, cheapest, err := m.BreakEvenPoints("webhook", "kafka", 2)
	if err != nil {
		t.Fatal(err)
	}
	if cheapest != "webhook" || len(pts) != 1 {
		t.Fatalf("got %+v (cheapest at 100/h %q), want one crossing, webhook cheaper first", pts, cheapest)
	}
	want := 206 / 2.59e-3
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
	// Hand check at x = 10,000/h, n = 2: webhook variable 36 over
	// 1e7*2 deliveries = 1.8e-6 per delivery; kafka = 210 + 10.1 = 220.1,
	// so webhooks would need (220.1 - 4)/2e7 = 1.0805e-5 per delivery, or
	// kafka's fixed part would need to be 4 + 36 - 10.1 = 29.9.
	c, err = m.CheckClaim(10_000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c.PerDelivery, 1.8e-6) || !near(c.RequiredPerDelivery, 216.1/2e7) || !near(c.RequiredKafkaFixed, 29.9) || !near(c.KafkaFixed, 210) {
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
	if len(tab.Rows) != 3*len(ReportSubscribers) {
		t.Errorf("table has %d rows, want %d", len(tab.Rows), 3*len(ReportSubscribers))
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
	if len(sec.Charts) != 2 {
		t.Fatalf("got %d charts, want cost curves and break-even map", len(sec.Charts))
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
	for _, want := range []string{"Under aws-list", "Under self-hosted", "Under managed-kafka-entry", "10,000-50,000", "embedded in-memory", "Webhooks fan out per subscriber", "shared log"} {
		if !strings.Contains(text, want) {
			t.Errorf("section text lacks %q", want)
		}
	}
	if len(sec.Tables) != 4 {
		t.Errorf("got %d tables, want usage, break-even, cost, prices", len(sec.Tables))
	}
	// Every price row carries its source.
	for _, row := range sec.Tables[3].Rows {
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
	if p.Name != "self-hosted" || v(p.Kafka.ClusterMonth) != 2000 {
		t.Errorf("scenario profile/overrides ignored: %s %v", p.Name, v(p.Kafka.ClusterMonth))
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
