package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func sample(t testing.TB) *Results {
	t.Helper()
	h := NewHistogram()
	for v := int64(1000); v <= 20000; v += 10 {
		_ = h.RecordValue(v)
	}
	lat, err := NewLatency(h)
	if err != nil {
		t.Fatal(err)
	}
	return &Results{
		Schema: Schema, Status: StatusComplete, Scenario: json.RawMessage(`{"name":"t"}`),
		Points: []Point{{System: "webhook", Params: map[string]float64{"rate_per_s": 100}, Status: StatusComplete,
			Subscribers: []Subscriber{{Name: "a", E2E: lat, Accounting: Accounting{Sent: 10, Delivered: 9, Lost: 1}}}}},
	}
}

func TestHistogramRoundTripAndMerge(t *testing.T) {
	r := sample(t)
	enc := r.Points[0].Subscribers[0].E2E.Histogram
	// The contract: base64 of the V2 compressed encoding, which any
	// HdrHistogram library decodes. Its payload starts with the V2
	// compressed cookie 0x1c849304, which base64-encodes as "HISTF".
	if !strings.HasPrefix(enc, "HISTF") {
		t.Fatalf("encoding %q... is not base64 of a V2 compressed histogram", enc[:12])
	}
	h, err := DecodeHistogram(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.TotalCount(), int64(1901); got != want {
		t.Fatalf("count %d, want %d", got, want)
	}
	s := Summarize(h)
	// 3 significant digits: values are exact to within 0.1%.
	if s.P50 < 10490 || s.P50 > 10510 {
		t.Errorf("p50 %d, want about 10500", s.P50)
	}
	h2 := h.Clone()
	h.Merge(h2)
	if h.TotalCount() != 3802 {
		t.Errorf("merged count %d, want 3802", h.TotalCount())
	}
}

func TestValidateAccounting(t *testing.T) {
	r := sample(t)
	if err := r.Validate(); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	r.Points[0].Subscribers[0].Accounting.Lost = 0
	err := r.Validate()
	if err == nil || !strings.Contains(err.Error(), "sent 10 != delivered 9 + lost 0") {
		t.Fatalf("identity violation not reported: %v", err)
	}
	r.Schema = "other/v9"
	if err := r.Validate(); err == nil {
		t.Fatal("wrong schema accepted")
	}
}

func TestWriteReadAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "results.json")
	r := sample(t)
	if err := WriteFile(p, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Points[0].Subscribers[0].Accounting != r.Points[0].Subscribers[0].Accounting {
		t.Fatal("accounting changed in round trip")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left behind: %v", ents)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := json.Marshal(sample(f))
	f.Add(b)
	f.Add([]byte(`{"schema":"evbench/results/v1","points":[{"subscribers":[{"accounting":{"sent":1}}]}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		// A decoded document satisfies the identity and its histograms
		// either decode or fail with an error, never a panic.
		if err := r.Validate(); err != nil {
			t.Fatalf("Decode returned an invalid document: %v", err)
		}
		for _, p := range r.Points {
			for _, s := range p.Subscribers {
				_, _ = DecodeHistogram(s.E2E.Histogram)
			}
		}
	})
}

// TestReadFileRefusesHostileFiles: ReadFile used to read any path whole:
// /dev/zero until memory ran out, a named pipe forever. Now only regular
// files of at most MaxFileBytes are read.
func TestReadFileRefusesHostileFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: error %v, want \"not a regular file\"", path, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: ReadFile did not return within 10s", path)
		}
	}
}

// TestValidateRejectsCorruptContent: documents that parse as JSON but whose
// content is wrong are refused with the place they are wrong (issue 9 item
// 13: `evbench report` drew them, or failed half-way through writing).
func TestValidateRejectsCorruptContent(t *testing.T) {
	foreign := func(lo, hi int64, digits int) string {
		h := hdr.New(lo, hi, digits)
		_ = h.RecordValue(lo + 1)
		enc, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		return enc
	}
	tests := []struct {
		name   string
		mutate func(r *Results)
		want   string
	}{
		{"bad base64", func(r *Results) { r.Points[0].Subscribers[0].E2E.Histogram = "HISTF!!not-base64" }, "base64"},
		{"not a histogram", func(r *Results) { r.Points[0].Subscribers[0].E2E.Histogram = "AAAAAAAAAAAAAAAA" }, "decode histogram"},
		{"foreign geometry (other range)", func(r *Results) {
			r.Points[0].Subscribers[0].E2E.Histogram = foreign(1, 1000000, 3)
		}, "foreign geometry"},
		{"foreign geometry (huge, refused before allocating)", func(r *Results) {
			r.Points[0].Subscribers[0].E2E.Histogram = foreign(1, 1<<40, 5)
		}, "foreign geometry"},
		{"summary count differs from the histogram", func(r *Results) { r.Points[0].Subscribers[0].E2E.LatencyUS.Count = 5 }, "holds 1901 values but the summary says 5"},
		{"negative sent with a balanced identity", func(r *Results) {
			r.Points[0].Subscribers[0].Accounting = Accounting{Sent: -5, Delivered: 0, Lost: -5}
		}, "negative"},
		{"negative retries", func(r *Results) { r.Points[0].Subscribers[0].Accounting.Retries = -1 }, "negative"},
		{"negative dead-lettered", func(r *Results) { r.Points[0].Subscribers[0].Accounting.DeadLettered = -1 }, "negative"},
		{"negative error class", func(r *Results) { r.Points[0].Subscribers[0].Errors.Timeout = -3 }, "negative"},
		{"negative offered rate", func(r *Results) { r.Points[0].OfferedPerS = -12 }, "offered_per_s is negative"},
		{"negative time series", func(r *Results) { r.Points[0].Timeseries = []Sample{{TS: 1, Delivered: -1}} }, "timeseries"},
		{"bad publish histogram", func(r *Results) { r.Points[0].Publish = &Latency{Histogram: "%%%"} }, "publish"},
		{"embedded broker without a kind", func(r *Results) { r.Points[0].BrokerEmbedded = true }, "broker_kind"},
	}
	for _, tc := range tests {
		r := sample(t)
		if err := r.Validate(); err != nil {
			t.Fatalf("sample invalid: %v", err)
		}
		tc.mutate(r)
		err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeHistogram: any input decodes or fails with an error, never a
// panic, and whatever decodes has a geometry no larger than evbench's own
// (so a crafted header cannot make a reader allocate more).
func FuzzDecodeHistogram(f *testing.F) {
	f.Add(sample(f).Points[0].Subscribers[0].E2E.Histogram)
	h := hdr.New(1, 1000, 3)
	_ = h.RecordValue(3)
	enc, _ := EncodeHistogram(h)
	f.Add(enc)
	f.Add("HISTFAAAAB")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := DecodeHistogram(s)
		if err != nil {
			return
		}
		if h.LowestTrackableValue() != HistMin || h.HighestTrackableValue() > HistMax || h.SignificantFigures() > HistDigits {
			t.Fatalf("decoded geometry %d..%d at %d digits", h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures())
		}
	})
}

// TestPointBroker: a point's typed broker fields win; a document written
// before points carried them falls back to the environment for points of
// a system with a broker (capability Broker, recorded or from the legacy
// table), and a point without a broker has none.
func TestPointBroker(t *testing.T) {
	env := Environment{BrokerKind: "embedded in-memory (kfake)", Embedded: true}
	pub := &Latency{}
	tests := []struct {
		name     string
		p        Point
		kind     string
		embedded bool
	}{
		{"typed, real", Point{BrokerKind: "Apache Kafka v4.1", Publish: pub}, "Apache Kafka v4.1", false},
		{"typed, embedded", Point{BrokerKind: "in-memory", BrokerEmbedded: true, Publish: pub}, "in-memory", true},
		{"old document, kafka", Point{System: "kafka", Publish: pub}, env.BrokerKind, true},
		{"old document, bridge", Point{System: "bridge", Publish: pub}, env.BrokerKind, true},
		{"old document, webhook", Point{System: "webhook"}, "", false},
		{"broker capability, no typed fields", Point{System: "nats", Capabilities: &Capabilities{Broker: true}}, env.BrokerKind, true},
		{"no broker capability", Point{System: "nats", Capabilities: &Capabilities{Publish: true}, Publish: pub}, "", false},
		{"no broker", Point{}, "", false},
	}
	for _, tc := range tests {
		k, e := tc.p.Broker(env)
		if k != tc.kind || e != tc.embedded {
			t.Errorf("%s: Broker = %q, %v; want %q, %v", tc.name, k, e, tc.kind, tc.embedded)
		}
	}
}
