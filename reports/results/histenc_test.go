package results

import (
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestEncodeV2MatchesLibrary: the pooled encoder writes exactly what
// hdrhistogram-go's Encode writes, so every reader (this package's
// DecodeHistogram, other HdrHistogram libraries) sees the same bytes.
func TestEncodeV2MatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []struct {
		name    string
		highest int64
		fill    func(h *hdr.Histogram)
	}{
		{"empty", HistMax, func(*hdr.Histogram) {}},
		{"one value", HistMax, func(h *hdr.Histogram) { _ = h.RecordValue(1234) }},
		{"lowest value only", HistMax, func(h *hdr.Histogram) { _ = h.RecordValues(1, 7) }},
		{"latencies", HistMax, func(h *hdr.Histogram) {
			for range 10_000 {
				_ = h.RecordValue(100 + rng.Int64N(200_000))
			}
		}},
		{"whole range", HistMax, func(h *hdr.Histogram) {
			for range 5_000 {
				_ = h.RecordValue(1 + rng.Int64N(HistMax))
			}
		}},
		{"huge counts (9-byte zigzag)", HistMax, func(h *hdr.Histogram) {
			_ = h.RecordValues(5, 1<<62)
			_ = h.RecordValues(HistMax, 1<<40)
		}},
		{"attempts geometry", 1000, func(h *hdr.Histogram) {
			for range 300 {
				_ = h.RecordValue(1 + rng.Int64N(4))
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := hdr.New(1, c.highest, HistDigits)
			c.fill(h)
			want, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second encoding reuses the pooled compressor
				got, err := EncodeHistogram(h)
				if err != nil {
					t.Fatal(err)
				}
				if got != string(want) {
					t.Fatalf("encoding differs from the library's:\n got %.80s...\nwant %.80s...", got, want)
				}
			}
			back, err := DecodeHistogram(string(want))
			if c.highest == HistMax && (err != nil || !back.Equals(h)) {
				t.Errorf("round trip: %v", err)
			}
		})
	}
}

// TestEncodeHistogramAllocations bounds what encoding allocates: a
// results document of 1,000 webhook subscribers encodes six histograms
// each, and a new compressor per histogram (about 800 KiB) made building
// it allocate gigabytes and raised the process's peak RSS (issue 15 item
// 5). Pooled, an encoding allocates about a counts copy (184 KiB) and its
// output; the bound is 400 KiB each, well under one compressor.
func TestEncodeHistogramAllocations(t *testing.T) {
	h := NewHistogram()
	for v := int64(1); v < 100_000; v += 37 {
		_ = h.RecordValue(v)
	}
	if _, err := EncodeHistogram(h); err != nil { // warm the pool
		t.Fatal(err)
	}
	const n = 50
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	runtime.GC()
	metrics.Read(s)
	before := s[0].Value.Uint64()
	for range n {
		if _, err := EncodeHistogram(h); err != nil {
			t.Fatal(err)
		}
	}
	metrics.Read(s)
	per := (s[0].Value.Uint64() - before) / n
	t.Logf("%d KiB allocated per encoding", per>>10)
	if per > 400<<10 {
		t.Errorf("%d KiB allocated per encoding, want at most 400 KiB", per>>10)
	}
}
