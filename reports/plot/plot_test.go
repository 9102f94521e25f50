package plot

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evbench/evbench/internal/golden"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
	"gonum.org/v1/plot/vg"
)

// TestExtractGolden pins the data behind every chart for fixed results: a
// change in what the charts show must be a reviewed change of the golden
// file (go test ./reports/plot -update). Each document is checked twice
// against the same golden file: as written before points recorded their
// capabilities, cost family and order ("legacy", described by the table
// in reports/results), and with them recorded as runners now do: an old
// results.json renders exactly as before.
func TestExtractGolden(t *testing.T) {
	tests := []struct {
		name string
		opts fixture.Options
		want []string // chart names, in order
	}{
		{"realistic", fixture.Options{}, []string{"latency-spectrum", "latency-over-time", "throughput",
			"delivery-accounting", "consumer-lag", "webhook-retry-queue", "webhook-attempts"}},
		{"sweep", fixture.Options{Seconds: 20, Rates: []float64{500, 1000, 2000, 4000, 8000}}, []string{"latency-spectrum", "latency-over-time", "throughput",
			"delivery-accounting", "consumer-lag", "webhook-retry-queue", "webhook-attempts"}},
		{"kafka-only", fixture.Options{Systems: []string{"kafka"}, Seconds: 10}, []string{
			"latency-spectrum", "latency-over-time", "throughput", "delivery-accounting", "consumer-lag"}},
	}
	for _, tc := range tests {
		for _, describe := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/described=%v", tc.name, describe), func(t *testing.T) {
				o := tc.opts
				o.Describe = describe
				extractGolden(t, fixture.Build(o), tc.name, tc.want)
			})
		}
	}
}

func extractGolden(t *testing.T, r *results.Results, name string, want []string) {
	t.Helper()
	ds, err := Extract(r)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ds {
		names = append(names, d.Name)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("charts = %v, want %v", names, want)
	}
	got, err := json.MarshalIndent(ds, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", name+".golden.json"), append(got, '\n'))
}

// TestChartsFromCapabilities: which system-specific charts a point gets
// is decided by its capabilities, whatever the system is called: consumer
// lag with ConsumerLag, the retry backlog with RetryQueue, attempts per
// delivery with Attempts. A point of a system the reports have never heard
// of ("rabbitmq") is drawn from what it records; before capabilities were
// recorded, every system but webhook got the lag chart and only webhook
// the retry and attempt charts.
func TestChartsFromCapabilities(t *testing.T) {
	base := fixture.Build(fixture.Options{Systems: []string{"webhook"}, Seconds: 10})
	tests := []struct {
		name   string
		system string
		caps   *results.Capabilities
		want   []string // of consumer-lag, webhook-retry-queue, webhook-attempts
	}{
		{"unknown system, consumer lag", "rabbitmq", &results.Capabilities{Publish: true, ConsumerLag: true, Broker: true}, []string{"consumer-lag"}},
		{"unknown system, retry queue", "rabbitmq", &results.Capabilities{Retries: true, RetryQueue: true}, []string{"webhook-retry-queue"}},
		{"unknown system, attempts and retry queue", "nats", &results.Capabilities{Attempts: true, Retries: true, RetryQueue: true}, []string{"webhook-retry-queue", "webhook-attempts"}},
		{"unknown system, nothing beyond e2e", "rabbitmq", &results.Capabilities{}, nil},
		{"unknown system, no capabilities recorded", "rabbitmq", nil, nil},
		{"webhook recording only consumer lag", "webhook", &results.Capabilities{ConsumerLag: true}, []string{"consumer-lag"}},
		{"old webhook point (legacy table)", "webhook", nil, []string{"webhook-retry-queue", "webhook-attempts"}},
		{"old kafka point (legacy table)", "kafka", nil, []string{"consumer-lag"}},
	}
	specific := map[string]bool{"consumer-lag": true, "webhook-retry-queue": true, "webhook-attempts": true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *base
			p := base.Points[0]
			p.System, p.Capabilities = tc.system, tc.caps
			// The samples carry every gauge, so only the capabilities
			// decide what is drawn.
			p.Timeseries = append([]results.Sample(nil), p.Timeseries...)
			for i := range p.Timeseries {
				p.Timeseries[i].Lag = 10 + int64(i)
			}
			r.Points = []results.Point{p}
			ds, err := Extract(&r)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				if !specific[d.Name] {
					continue
				}
				got = append(got, d.Name)
				for _, s := range d.Series {
					if s.System != tc.system {
						t.Errorf("%s: series %q of system %q", d.Name, s.Label, s.System)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("system-specific charts %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSpectrumMatchesSummary checks what a reader would: the spectrum's
// 90%, 99% and right-edge points are the p90, p99 and max in the tables.
func TestSpectrumMatchesSummary(t *testing.T) {
	r := fixture.Realistic()
	ds, err := Extract(r)
	if err != nil {
		t.Fatal(err)
	}
	sp := ds[0]
	if sp.Name != "latency-spectrum" || len(sp.Series) != 9 {
		t.Fatalf("first chart %s with %d series, want latency-spectrum with 9 (3 systems x 3 subscribers)", sp.Name, len(sp.Series))
	}
	for _, s := range sp.Series {
		var sum results.Summary
		for _, p := range r.Points {
			for _, sub := range p.Subscribers {
				if p.System == s.System && sub.Name == s.Subscriber {
					sum = sub.E2E.LatencyUS
				}
			}
		}
		at := func(x float64) float64 {
			for i := range s.X {
				if math.Abs(s.X[i]-x) < 1e-9 {
					return s.Y[i]
				}
			}
			t.Fatalf("%s: no point at x=%g", s.Label, x)
			return 0
		}
		for _, c := range []struct {
			x    float64
			want int64
		}{{1, sum.P90}, {2, sum.P99}, {3, sum.P999}} {
			if got := at(c.x); got != float64(c.want)/1000 {
				t.Errorf("%s at %s: %g ms, table says %g ms", s.Label, NinesLabel(c.x), got, float64(c.want)/1000)
			}
		}
		if last := s.Y[len(s.Y)-1]; last != float64(sum.Max)/1000 {
			t.Errorf("%s right edge %g ms, max is %g ms", s.Label, last, float64(sum.Max)/1000)
		}
		for i := 1; i < len(s.Y); i++ {
			if s.Y[i] < s.Y[i-1] || s.X[i] <= s.X[i-1] {
				t.Fatalf("%s: percentile curve not monotonic at %d", s.Label, i)
			}
		}
	}
}

// TestHourDownsampled: a one-hour run draws at most MaxSeriesPoints per
// line, and the one-second stall at t=1234 s survives at its full height.
func TestHourDownsampled(t *testing.T) {
	r := fixture.Hour()
	ds, err := Extract(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		for _, s := range d.Series {
			if len(s.X) > MaxSeriesPoints+1 {
				t.Errorf("%s/%s: %d points, want <= %d", d.Name, s.Label, len(s.X), MaxSeriesPoints+1)
			}
		}
		if d.Name != "latency-over-time" {
			continue
		}
		for _, s := range d.Series {
			if !strings.HasSuffix(s.Label, "p99") {
				continue
			}
			if s.Downsampled != 3605 {
				t.Errorf("%s: downsampled_from = %d, want 3605", s.Label, s.Downsampled)
			}
			peak := 0.0
			for _, y := range s.Y {
				peak = math.Max(peak, y)
			}
			if peak != 9500 {
				t.Errorf("%s: highest p99 drawn %g ms, want the 9500 ms stall", s.Label, peak)
			}
			if d.XLabel != "time since the measured period started (min)" {
				t.Errorf("x label %q, want minutes for an hour", d.XLabel)
			}
		}
	}
}

// TestRender renders every chart of each fixture: PNG decodes at the
// documented size, SVG is well-formed XML with drawn paths and text.
func TestRender(t *testing.T) {
	for name, r := range map[string]*results.Results{"realistic": fixture.Realistic(), "sweep": fixture.Sweep()} {
		cs, err := Charts(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, c := range cs {
			img, err := png.Decode(bytes.NewReader(c.PNG))
			if err != nil {
				t.Fatalf("%s/%s: png: %v", name, c.Name, err)
			}
			if w := img.Bounds().Dx(); w != int(float64(Width/vg.Inch)*DPI) {
				t.Errorf("%s/%s: png width %d, want %d", name, c.Name, w, int(float64(Width/vg.Inch)*DPI))
			}
			if !bytes.HasPrefix(c.SVG, []byte("<svg")) {
				t.Errorf("%s/%s: svg does not start with <svg: %q", name, c.Name, c.SVG[:min(40, len(c.SVG))])
			}
			dec := xml.NewDecoder(bytes.NewReader(c.SVG))
			paths, texts := 0, 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s/%s: svg: %v", name, c.Name, err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					switch se.Name.Local {
					case "path":
						paths++
					case "text":
						texts++
					}
				}
			}
			if paths < 10 || texts < 5 {
				t.Errorf("%s/%s: svg has %d paths and %d texts: nothing drawn?", name, c.Name, paths, texts)
			}
			if bytes.Contains(c.SVG, []byte("NaN")) || bytes.Contains(c.SVG, []byte("Inf")) {
				t.Errorf("%s/%s: svg contains NaN/Inf coordinates", name, c.Name)
			}
			if !bytes.Contains(c.SVG, []byte(escapeXML(c.Title))) {
				t.Errorf("%s/%s: title %q not drawn", name, c.Name, c.Title)
			}
		}
	}
}

func escapeXML(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func TestRenderEmpty(t *testing.T) {
	r := &results.Results{Schema: results.Schema, Status: results.StatusFailed}
	cs, err := Charts(r)
	if err != nil || len(cs) != 0 {
		t.Fatalf("no points: got %d charts, err %v; want none and no error", len(cs), err)
	}
	if _, err := Render(Data{Name: "x", Kind: KindLines}); err == nil {
		t.Error("a chart without data rendered without error")
	}
}

func TestNinesLabel(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {6, "99.9999%"}} {
		if got := NinesLabel(c.x); got != c.want {
			t.Errorf("NinesLabel(%g) = %q, want %q", c.x, got, c.want)
		}
	}
	if got := Nines(0.999); math.Abs(got-3) > 1e-9 {
		t.Errorf("Nines(0.999) = %g, want 3", got)
	}
}

func TestHuman(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0"}, {0.3, "0.3"}, {3 * 0.1, "0.3"}, {2, "2"}, {950, "950"}, {1234.5, "1234.5"}, {12000, "12k"},
		{29988, "29.99k"}, {1.5e6, "1.5M"}, {-20000, "-20k"}} {
		if got := Human(c.v); got != c.want {
			t.Errorf("Human(%g) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestSystemColors(t *testing.T) {
	seen := map[string]string{}
	for _, s := range []string{"webhook", "kafka", "bridge"} {
		c := SystemColorHex(s)
		if o, dup := seen[c]; dup {
			t.Errorf("%s and %s share colour %s", s, o, c)
		}
		seen[c] = s
	}
	// Fixed: the same as reports/curves, whose charts share the report.
	for sys, want := range map[string]string{"webhook": "#0072B2", "kafka": "#D55E00", "bridge": "#009E73"} {
		if got := SystemColorHex(sys); got != want {
			t.Errorf("%s colour %s, want %s", sys, got, want)
		}
	}
	if SystemColorHex("rabbitmq") != SystemColorHex("rabbitmq") {
		t.Error("spare colour not stable")
	}
	// Colours go by recorded order, not by name: a new system ranked
	// second is vermilion, and ranks after the fixed three take the spare
	// colours in turn.
	ord := results.OrderOf([]results.Point{{System: "nats", Order: 2}, {System: "webhook", Order: 1}, {System: "rabbitmq", Order: 4}, {System: "sqs", Order: 5}})
	for sys, want := range map[string]string{"webhook": "#0072B2", "nats": "#D55E00", "rabbitmq": Hex(spareColors[0]), "sqs": Hex(spareColors[1])} {
		if got := SystemColorHexIn(ord, sys); got != want {
			t.Errorf("%s (rank %d) colour %s, want %s", sys, ord.Rank(sys), got, want)
		}
	}
}

// TestThroughputOffered: one black offered line when every system ran the
// same schedule, one dotted line per system in its colour when not.
func TestThroughputOffered(t *testing.T) {
	for _, tc := range []struct {
		name        string
		kafkaRate   float64
		wantOffered []string // systems of the offered series ("" = black)
	}{
		{"same schedule", 1000, []string{""}},
		{"different rates", 500, []string{"webhook", "kafka", "bridge"}},
	} {
		r := fixture.Realistic()
		r.Points[1].OfferedPerS = tc.kafkaRate
		ds, err := Extract(r)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			if d.Name != "throughput" {
				continue
			}
			for _, s := range d.Series {
				if strings.HasPrefix(s.Label, "offered") {
					got = append(got, s.System)
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.wantOffered, ",") {
			t.Errorf("%s: offered series for %q, want %q", tc.name, got, tc.wantOffered)
		}
	}
}

func TestDetailPoints(t *testing.T) {
	r := fixture.Sweep()
	det := DetailPoints(r)
	if len(det) != 3 {
		t.Fatalf("detail points %v, want one per system", det)
	}
	for i, sys := range []string{"webhook", "kafka", "bridge"} {
		p := r.Points[det[i]]
		if p.System != sys || p.Params["rate_per_s"] != 8000 {
			t.Errorf("detail %d = %s at %g/s, want %s at 8000/s", i, p.System, p.Params["rate_per_s"], sys)
		}
	}
	if !IsSweep(r) || IsSweep(fixture.Realistic()) {
		t.Error("IsSweep wrong")
	}
}
