package hlog

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/internal/fixture"
	"github.com/evbench/evbench/reports/results"
)

// readAll reads every interval with hdrhistogram-go's own log reader.
func readAll(t *testing.T, path string) []*hdr.Histogram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := hdr.NewHistogramLogReader(f)
	var out []*hdr.Histogram
	for i := 0; i < 10000; i++ {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("%s: interval %d: %v", path, i, err)
		}
		if h == nil {
			return out
		}
		out = append(out, h)
	}
	t.Fatalf("%s: too many intervals", path)
	return nil
}

func TestWriteDirReadBack(t *testing.T) {
	tests := []struct {
		name      string
		r         *results.Results
		files     int // expected number of files
		intervals int // per e2e file
	}{
		// 9 e2e + 3 webhook attempt + kafka, bridge publish + bridge ingress
		{"realistic", fixture.Realistic(), 9 + 3 + 2 + 1, 1},
		{"sweep", fixture.Sweep(), 9 + 3 + 2 + 1, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			paths, err := WriteDir(dir, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) != tc.files {
				t.Errorf("wrote %d files, want %d: %v", len(paths), tc.files, paths)
			}
			if !sort.StringsAreSorted(paths) {
				t.Error("paths not sorted")
			}
			for _, p := range tc.r.Points {
				for _, s := range p.Subscribers {
					path := filepath.Join(dir, p.System+"-"+s.Name+".e2e.hlog")
					hs := readAll(t, path)
					if len(hs) != tc.intervals {
						t.Fatalf("%s: %d intervals, want %d", path, len(hs), tc.intervals)
					}
					// Find this point's interval by its start time.
					var h *hdr.Histogram
					for _, c := range hs {
						if c.StartTimeMs() == p.StartedAt.UnixMilli() {
							h = c
						}
					}
					if h == nil {
						t.Fatalf("%s: no interval starting at %v", path, p.StartedAt)
					}
					if got, want := h.EndTimeMs()-h.StartTimeMs(), int64(p.DurationS*1000); got != want {
						t.Errorf("%s: interval length %d ms, want %d", path, got, want)
					}
					sum := s.E2E.LatencyUS
					if h.TotalCount() != sum.Count || h.ValueAtQuantile(99) != sum.P99 || h.Max() != sum.Max {
						t.Errorf("%s: count/p99/max %d/%d/%d, results say %d/%d/%d", path,
							h.TotalCount(), h.ValueAtQuantile(99), h.Max(), sum.Count, sum.P99, sum.Max)
					}
				}
			}
			// Publish latency of kafka matches too.
			for _, p := range tc.r.Points {
				if p.System != "kafka" || p.Params["rate_per_s"] != tc.r.Points[len(tc.r.Points)-1].Params["rate_per_s"] {
					continue
				}
				hs := readAll(t, filepath.Join(dir, "kafka.publish.hlog"))
				last := hs[len(hs)-1]
				if last.ValueAtQuantile(99) != p.Publish.LatencyUS.P99 {
					t.Errorf("publish p99 %d, want %d", last.ValueAtQuantile(99), p.Publish.LatencyUS.P99)
				}
			}
		})
	}
}

// TestFormat checks the header lines HdrHistogram's Java tools look for.
func TestFormat(t *testing.T) {
	dir := t.TempDir()
	r := fixture.Realistic()
	if _, err := WriteDir(dir, r); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "kafka-shipping.e2e.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	// The log's base is the run's start (2 s before the first point).
	base := r.Environment.StartedAt
	want := []string{
		"#[Histogram log format version 1.3]",
		"#[StartTime: 1773480413.000 (seconds since epoch), " + base.Format("2006-01-02T15:04:05Z07:00") + "]",
		"#[BaseTime: 1773480413.000 (seconds since epoch)]",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
	if !containsLine(lines, `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`) {
		t.Error("legend line missing")
	}
	if !containsLine(lines, "#broker: embedded in-memory (kfake, not disk-backed)") {
		t.Error("embedded broker label missing from a kafka log")
	}
	last := lines[len(lines)-1]
	parts := strings.Split(last, ",")
	if len(parts) != 4 || !strings.HasPrefix(parts[3], "HISTF") {
		t.Fatalf("interval line %q: want start,length,max,HISTF...", last)
	}
	// kafka is the second system: it started 2 s + 44 s after the run.
	if parts[0] != "46.000" || parts[1] != "30.000" {
		t.Errorf("interval start,length = %s,%s, want 46.000,30.000", parts[0], parts[1])
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{"inventory": "inventory", "fraud check": "fraud_check", "../etc": "_._etc",
		"a/b": "a_b", "": "_", "v1.2": "v1.2"} {
		if got := fileSafe(in); got != want {
			t.Errorf("fileSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestJavaHistogramLogProcessor reads a log with HdrHistogram's reference
// tool, the Java HistogramLogProcessor, when Java and the HdrHistogram jar
// (fetched into ~/.m2 with the Kafka jars by scripts/kafka.sh) are present.
func TestJavaHistogramLogProcessor(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not installed")
	}
	home, _ := os.UserHomeDir()
	jars, _ := filepath.Glob(filepath.Join(home, ".m2/repository/org/hdrhistogram/HdrHistogram/*/HdrHistogram-*.jar"))
	if len(jars) == 0 {
		t.Skip("HdrHistogram jar not in ~/.m2 (scripts/kafka.sh up fetches it)")
	}
	dir := t.TempDir()
	r := fixture.Realistic()
	if _, err := WriteDir(dir, r); err != nil {
		t.Fatal(err)
	}
	sub := r.Points[0].Subscribers[2] // webhook fraud-check: the long tail
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, java, "-cp", jars[len(jars)-1], "org.HdrHistogram.HistogramLogProcessor",
		"-i", filepath.Join(dir, "webhook-fraud-check.e2e.hlog"), "-outputValueUnitRatio", "1000").CombinedOutput()
	if err != nil {
		t.Fatalf("HistogramLogProcessor: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`#\[Max\s+=\s+([\d.]+), Total count\s+=\s+(\d+)\]`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no summary line in HistogramLogProcessor output:\n%s", out)
	}
	if want := fmt.Sprintf("%.3f", float64(sub.E2E.LatencyUS.Max)/1000); m[1] != want {
		t.Errorf("Java tool reads max %s ms, results say %s ms", m[1], want)
	}
	if want := strconv.FormatInt(sub.E2E.LatencyUS.Count, 10); m[2] != want {
		t.Errorf("Java tool reads %s values, results say %s", m[2], want)
	}
}
