package html

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// External references that would make the browser fetch something.
var fetches = regexp.MustCompile(`(?i)(\ssrc\s*=\s*["']?(https?:)?//|\shref\s*=\s*["']?(https?:)?//|<script|<link[^>]+stylesheet|@import|url\(|<iframe|<object|<embed)`)

func TestRenderSelfContainedAndOrdered(t *testing.T) {
	for name, r := range map[string]*results.Results{"realistic": fixture.Realistic(), "sweep": fixture.Sweep()} {
		page, charts, err := Render(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := string(page)
		if m := fetches.FindString(s); m != "" {
			t.Errorf("%s: report would fetch something: %q", name, m)
		}
		// The page order the issue asks for.
		last := -1
		for _, id := range []string{`id="verdict"`, `id="caveats"`, `id="environment"`, `id="thresholds"`, `id="systems"`,
			`id="charts"`, `id="scenario"`, `id="reproduce"`} {
			i := strings.Index(s, id)
			if i < 0 || i < last {
				t.Errorf("%s: %s missing or out of order", name, id)
			}
			last = i
		}
		if len(charts) != 7 {
			t.Errorf("%s: %d charts, want 7", name, len(charts))
		}
		for _, c := range charts {
			if !strings.Contains(s, `data-chart="`+c.Name+`"`) {
				t.Errorf("%s: chart %s not on the page", name, c.Name)
			}
		}
		if strings.Contains(s, "<?xml") {
			t.Errorf("%s: an XML prolog was inlined", name)
		}
		if !strings.Contains(s, r.Command) {
			t.Errorf("%s: reproduce command missing", name)
		}
	}
}

func TestWriteAndGenerate(t *testing.T) {
	r := fixture.Realistic()
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, r); err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	if len(pngs) != 7 {
		t.Errorf("%d PNGs beside report.html, want 7: %v", len(pngs), pngs)
	}
	for _, p := range pngs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if hl, _ := filepath.Glob(filepath.Join(dir, "*.hlog")); len(hl) != 0 {
		t.Errorf("Write wrote hlog files: %v", hl)
	}

	dir2 := t.TempDir()
	path, err := Generate(dir2, r)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir2, ReportName) {
		t.Errorf("report path %s", path)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("report.html mode %v (err %v), want 0644 so it can be shared", st.Mode().Perm(), err)
	}
	hl, _ := filepath.Glob(filepath.Join(dir2, "*.hlog"))
	if len(hl) != 15 {
		t.Errorf("%d hlog files, want 15", len(hl))
	}
	for _, h := range hl {
		if !bytes.Contains(page, []byte(`href="`+filepath.Base(h)+`"`)) {
			t.Errorf("report does not link %s", filepath.Base(h))
		}
	}
}

func TestHonestyLabels(t *testing.T) {
	tests := []struct {
		name    string
		opts    fixture.Options
		mutate  func(*results.Results)
		want    []string
		notWant []string
	}{
		{name: "embedded broker and late generator", opts: fixture.Options{},
			want:    []string{"embedded in-memory broker, not a disk-backed one", "The load generator ran late", "for webhook: p99 1.45 ms"},
			notWant: []string{"kafka: p99", "interrupted"}},
		{name: "real broker, punctual generator", opts: fixture.Options{RealBroker: true, GeneratorLagUS: 200},
			notWant: []string{"in-memory", "ran late"}},
		{name: "lag just above 1 ms", opts: fixture.Options{RealBroker: true, GeneratorLagUS: 1001},
			want: []string{"kafka: p99 1.00 ms", "webhook: p99", "bridge: p99"}},
		{name: "lag over 10% of the fastest p50", opts: fixture.Options{RealBroker: true, GeneratorLagUS: 400},
			mutate: func(r *results.Results) {
				for i := range r.Points {
					r.Points[i].Subscribers[0].E2E.LatencyUS.P50 = 3000 // 400 us is 13% of 3 ms
				}
			},
			want: []string{"bridge: p99 0.400 ms"}},
		{name: "lag under 10% of the fastest p50", opts: fixture.Options{RealBroker: true, GeneratorLagUS: 250},
			mutate: func(r *results.Results) {
				for i := range r.Points {
					r.Points[i].Subscribers[0].E2E.LatencyUS.P50 = 3000 // 250 us is 8%
				}
			},
			notWant: []string{"ran late"}},
		{name: "interrupted run", opts: fixture.Options{RealBroker: true, GeneratorLagUS: 200, Status: results.StatusInterrupted},
			want: []string{"This run was interrupted"}},
		{name: "failed point without measurements", opts: fixture.Options{RealBroker: true, GeneratorLagUS: 200},
			mutate: func(r *results.Results) {
				r.Status = results.StatusFailed
				r.Error = "kafka: broker unreachable"
				r.Points[1] = results.Point{System: "kafka", Status: results.StatusFailed, Error: "dial tcp 127.0.0.1:9092: connection refused"}
			},
			want: []string{"This run failed: kafka: broker unreachable", "kafka: point failed: dial tcp 127.0.0.1:9092"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture.Build(tc.opts)
			if tc.mutate != nil {
				tc.mutate(r)
			}
			page, _, err := Render(r)
			if err != nil {
				t.Fatal(err)
			}
			caveats := section(string(page), "caveats")
			for _, w := range tc.want {
				if !strings.Contains(caveats, w) {
					t.Errorf("caveats lack %q:\n%s", w, caveats)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(caveats, w) {
					t.Errorf("caveats wrongly contain %q:\n%s", w, caveats)
				}
			}
		})
	}
}

// section returns the HTML of <section id="id"> up to the next section.
func section(page, id string) string {
	i := strings.Index(page, `<section id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i+1:]
	if j := strings.Index(rest, "<section id="); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestExtraSections(t *testing.T) {
	r := fixture.Realistic()
	cs, err := plot.Charts(r)
	if err != nil {
		t.Fatal(err)
	}
	good := cs[0]
	good.Name = "latency-spectrum" // collides with the report's own chart
	good.Caption = "How to read <this> section chart."
	extra := chart.Section{ID: "cost", Title: "Cost", Paragraphs: []string{"Webhooks cost <b>less</b> below 10k events/h."},
		Tables: []chart.Table{{Caption: "Break-even", Header: []string{"profile", "events/h", "note"},
			Rows: [][]string{{"aws-list", "12,000", "the curves do not cross between 100 and 1G events per hour"}, {"self-hosted", "3.5k/h", "-"}}}},
		Charts: []chart.Chart{good}}
	page, charts, err := Render(r, extra)
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if !strings.Contains(s, "Webhooks cost &lt;b&gt;less&lt;/b&gt;") {
		t.Error("paragraph not escaped")
	}
	// Words left-aligned, numbers (with units) right-aligned, sentences
	// given room to wrap.
	if !strings.Contains(s, `<td class="text">aws-list</td><td>12,000</td><td class="text long">the curves`) ||
		!strings.Contains(s, `<td class="text">self-hosted</td><td>3.5k/h</td>`) || !strings.Contains(s, "Break-even") {
		t.Error("table not rendered with column classes")
	}
	// A section chart's caption is shown like the report's own (escaped).
	if !strings.Contains(s, "How to read &lt;this&gt; section chart.") {
		t.Error("section chart caption not shown")
	}
	if !strings.Contains(s, `data-chart="latency-spectrum-2"`) || charts[len(charts)-1].Name != "latency-spectrum-2" {
		t.Error("duplicate chart name not made unique")
	}
	if i, j := strings.Index(s, `id="charts"`), strings.Index(s, `id="cost"`); j < i {
		t.Error("extra section before the charts")
	}

	evil := good
	evil.SVG = []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	if _, _, err := Render(r, chart.Section{ID: "x", Charts: []chart.Chart{evil}}); err == nil {
		t.Error("an SVG with a script was accepted")
	}
	remote := good
	remote.SVG = []byte(`<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/x.png"/></svg>`)
	if _, _, err := Render(r, chart.Section{ID: "x", Charts: []chart.Chart{remote}}); err == nil {
		t.Error("an SVG with a remote image was accepted")
	}
	pngOnly := chart.Chart{Name: "only-png", Title: "PNG only", PNG: good.PNG}
	page, _, err = Render(r, chart.Section{ID: "y", Charts: []chart.Chart{pngOnly}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`src="data:image/png;base64,`)) {
		t.Error("a PNG-only chart was not inlined as a data URI")
	}
}

// TestSizes: a one-hour run and a large sweep stay under 5 MB.
func TestSizes(t *testing.T) {
	var rates []float64
	for r := 100.0; len(rates) < 40; r *= 1.2 {
		rates = append(rates, float64(int(r)))
	}
	tests := []struct {
		name string
		r    *results.Results
	}{
		{"realistic", fixture.Realistic()},
		{"one hour", fixture.Hour()},
		{"sweep of 120 points", fixture.Build(fixture.Options{Seconds: 60, Rates: rates})},
	}
	for _, tc := range tests {
		page, _, err := Render(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: report.html %d bytes (%d points)", tc.name, len(page), len(tc.r.Points))
		if len(page) >= 5<<20 {
			t.Errorf("%s: report.html is %d bytes, want < 5 MB", tc.name, len(page))
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ms(0), "0 ms"}, {ms(412), "0.412 ms"}, {ms(4123), "4.12 ms"}, {ms(41234), "41.2 ms"}, {ms(412345), "412 ms"},
		{ms(14335000), "14,335 ms"}, {rate(1000), "1,000/s"}, {rate(52.54), "52.5/s"}, {rate(99.96), "100.0/s"},
		{count(0), "0"}, {count(29988), "29,988"}, {count(-1234567), "-1,234,567"}, {bytesHuman(180 << 20), "180.0 MiB"},
		{thresholdValue(results.Threshold{Expr: "e2e.p99 < 250ms", Value: 5242880}), "5,243 ms"},
		{thresholdValue(results.Threshold{Expr: "lost == 0", Value: 12}), "12"},
		{thresholdValue(results.Threshold{Expr: "e2e.p99 < 100ms", NoData: true}), "no data"},
		{thresholdValue(results.Threshold{Expr: "achieved_per_s >= 900/s", Value: 999.5}), "1,000/s"},
		{thresholdValue(results.Threshold{Expr: "loss_ratio<0.01", Value: 0.0004}), "0.0004"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestVerdictOverloaded is issue 9 item 4: a point whose generator could not
// keep its schedule says so in the verdict box, next to its achieved rate.
func TestVerdictOverloaded(t *testing.T) {
	r := fixture.Build(fixture.Options{RealBroker: true, GeneratorLagUS: 200})
	page, _, err := Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if v := section(string(page), "verdict"); strings.Contains(v, "OVERLOADED") {
		t.Fatalf("verdict flags a punctual run as overloaded:\n%s", v)
	}
	r.Points[0].Overloaded = true
	r.Points[0].OverloadReason = "the generator took 25.0 s to emit a 11.0 s schedule"
	page, _, err = Render(r)
	if err != nil {
		t.Fatal(err)
	}
	v := section(string(page), "verdict")
	for _, want := range []string{"OVERLOADED: the generator took 25.0 s to emit a 11.0 s schedule", `badge failed overloaded`} {
		if !strings.Contains(v, want) {
			t.Errorf("verdict lacks %q:\n%s", want, v)
		}
	}
	if n := strings.Count(v, "OVERLOADED:"); n != 1 {
		t.Errorf("%d overload notes in the verdict, want 1 (only the overloaded point)", n)
	}
}
