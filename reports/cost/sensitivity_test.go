package cost

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVary(t *testing.T) {
	r, err := ParseVary("kafka.broker_month=50..300")
	if err != nil || r.Key != "kafka.broker_month" || r.Lo != 50 || r.Hi != 300 {
		t.Fatalf("ParseVary = %+v, %v", r, err)
	}
	for _, bad := range []string{"kafka.broker_month", "kafka.broker_month=50", "nope=1..2", "kafka.broker_month=3..1",
		"compute.utilization=0..1", "kafka.replication_factor=1.5..3", "kafka.broker_month=a..2"} {
		if _, err := ParseVary(bad); err == nil {
			t.Errorf("ParseVary(%q) accepted", bad)
		}
	}
}

func TestDefaultRangesValid(t *testing.T) {
	for _, name := range Builtins() {
		p, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]Range{}
		for _, r := range DefaultRanges(p) {
			keys[r.Key] = r
			if _, err := p.WithOverrides(map[string]float64{r.Key: r.Lo}, "t"); err != nil {
				t.Errorf("%s %s low: %v", name, r.Key, err)
			}
			if _, err := p.WithOverrides(map[string]float64{r.Key: r.Hi}, "t"); err != nil {
				t.Errorf("%s %s high: %v", name, r.Key, err)
			}
			if r.Lo >= r.Hi {
				t.Errorf("%s %s: empty range %v..%v", name, r.Key, r.Lo, r.Hi)
			}
		}
		if r := keys["webhook.tls_handshakes_per_delivery"]; r.Lo != 0 || r.Hi != 1 {
			t.Errorf("%s: TLS handshakes should span keep-alive (0) to a connection per delivery (1), got %+v", name, r)
		}
		if _, ok := keys["webhook.buy"]; ok {
			t.Errorf("%s: the build/buy switch is not an assumption to vary", name)
		}
	}
}

// TestSensitivityHandComputed: with handcalc, Kafka's fixed cost is
// 10 + 2*broker_month + 20 (partitions), webhook's 4, and the slopes
// differ by d = sw - sk (TestBreakEvenHandComputed), so broker_month 50
// and 200 put the break-even at 126/d and 426/d: a swing of
// log10(426/126) = 0.529 decades. Dead-letter retention moves the
// webhook slope by 4e-5 per 1000/h at most: far less.
func TestSensitivityHandComputed(t *testing.T) {
	p := handProfile(t)
	s, err := Analyze(p, handUsage(), []Range{
		{Key: "webhook.dead_letter_retention_hours", Lo: 50, Hi: 200},
		{Key: "kafka.broker_month", Lo: 50, Hi: 200},
	}, 2, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	sw := (5.0 + 0.004 + 1.0/60) / 1000
	sk := (1.01 + 1e-5/9) / 1000
	d := sw - sk
	top := s.Effects[0]
	if top.Key != "kafka.broker_month" {
		t.Fatalf("ranking %v, want kafka.broker_month first", s.Effects)
	}
	if !near(top.AtLo.BreakEven, 126/d) || !near(top.AtHi.BreakEven, 426/d) || math.Abs(top.Swing-math.Log10(426.0/126)) > 1e-9 {
		t.Errorf("broker_month: %+v, want break-even %v..%v", top, 126/d, 426/d)
	}
	if !near(s.Base.BreakEven, 226/d) || s.Base.Cheapest != "webhook" {
		t.Errorf("base %+v, want break-even %v and webhook cheaper at 10k/h (below it)", s.Base, 226/d)
	}
	st := s.Statement()
	if !strings.Contains(st, "hinges most on kafka.broker_month") {
		t.Errorf("statement %q does not name the hinge", st)
	}
	c, err := s.TornadoChart(10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(c.PNG)); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("EVBENCH_KEEP_CHARTS") != "" {
		_ = os.WriteFile(filepath.Join(os.TempDir(), c.Name+".png"), c.PNG, 0o644)
	}
}
