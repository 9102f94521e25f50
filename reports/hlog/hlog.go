// Package hlog writes HdrHistogram interval logs (.hlog, log format 1.3)
// from a results document, so latency data can be opened with
// HdrHistogram's own tools (HistogramLogProcessor, HistogramLogAnalyzer,
// hdrhistogram-go's HistogramLogReader) without evbench.
//
// Intervals: results.json keeps one whole-point histogram per subscriber
// (its per-second time series has only p50/p99 across subscribers, not
// histograms), so each log has one interval per measured point: a plain run
// gives a single interval covering the measured period, a sweep gives one
// interval per swept point in run order. Per-second interval logs would
// need per-second histograms in the results.
//
// Units: values are microseconds, as everywhere in evbench. The
// Interval_Max column is in milliseconds (value unit ratio 1000); with
// HistogramLogProcessor pass -outputValueUnitRatio 1000 to print
// milliseconds.
package hlog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/evbench/evbench/reports/results"
)

// FormatVersion is the HdrHistogram interval log format written.
const FormatVersion = "1.3"

// MaxValueUnitRatio converts recorded values (us) to the Interval_Max
// column's unit (ms).
const MaxValueUnitRatio = 1000.0

// Interval is one line of an interval log.
type Interval struct {
	// Start and Length place the interval on the timeline.
	Start  time.Time
	Length time.Duration
	// Histogram holds the interval's values in microseconds.
	Histogram *hdr.Histogram
	// Encoded, when Histogram is nil, is the interval's histogram already
	// in the V2 compressed base64 form the log holds, written as is, and
	// Max its largest value. Logs uses it so that a sweep of thousands of
	// points is not held decoded in memory all at once (each decoded
	// latency histogram is about 190 KB).
	Encoded string
	Max     int64
	// Comment is written as a "#" line before the interval (optional).
	Comment string
}

// Log is one interval log file's content.
type Log struct {
	// Base is the StartTime and BaseTime of the log; interval timestamps
	// are seconds relative to it.
	Base time.Time
	// Description is written as a comment line after the header.
	Description string
	Intervals   []Interval
}

// Write writes l in the standard interval log format: version comment,
// #[StartTime], #[BaseTime], description, legend, then one
// "start,length,max,base64-V2-compressed-histogram" line per interval.
func Write(w io.Writer, l Log) error {
	bw := bufio.NewWriter(w)
	base := l.Base.UTC()
	secs := float64(base.UnixMilli()) / 1000
	fmt.Fprintf(bw, "#[Histogram log format version %s]\n", FormatVersion)
	fmt.Fprintf(bw, "#[StartTime: %.3f (seconds since epoch), %s]\n", secs, base.Format(time.RFC3339Nano))
	fmt.Fprintf(bw, "#[BaseTime: %.3f (seconds since epoch)]\n", secs)
	for _, line := range strings.Split(l.Description, "\n") {
		if line != "" {
			fmt.Fprintf(bw, "#%s\n", line)
		}
	}
	fmt.Fprintln(bw, `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`)
	for i, iv := range l.Intervals {
		enc, max := iv.Encoded, iv.Max
		switch {
		case iv.Histogram != nil:
			// Encode returns the base64 text of the V2 compressed encoding.
			b, err := iv.Histogram.Encode(hdr.V2CompressedEncodingCookieBase)
			if err != nil {
				return fmt.Errorf("interval %d: encode histogram: %w", i, err)
			}
			enc, max = string(b), iv.Histogram.Max()
		case enc == "":
			return fmt.Errorf("interval %d: no histogram", i)
		}
		if iv.Comment != "" {
			fmt.Fprintf(bw, "#%s\n", strings.ReplaceAll(iv.Comment, "\n", " "))
		}
		start := float64(iv.Start.UTC().UnixMilli()-base.UnixMilli()) / 1000
		fmt.Fprintf(bw, "%.3f,%.3f,%.3f,%s\n", start, iv.Length.Seconds(), float64(max)/MaxValueUnitRatio, enc)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write interval log: %w", err)
	}
	return nil
}

// Logs builds the interval logs for r, keyed by file name:
// "<system>-<subscriber>.e2e.hlog" per system and subscriber (end-to-end
// latency), "<system>-<subscriber>.attempt.hlog" (webhook per-attempt
// latency), "<system>.publish.hlog" (kafka, bridge publish latency) and
// "<system>.ingress.hlog" (bridge ingress latency). Points without a
// histogram for a stream are skipped; a stream with no interval at all has
// no file. Intervals carry the results' own encodings (Encoded); each is
// decoded once, on its own, to check it and find its maximum.
func Logs(r *results.Results) (map[string]Log, error) {
	base := r.Environment.StartedAt
	for _, p := range r.Points {
		if !p.StartedAt.IsZero() && (base.IsZero() || p.StartedAt.Before(base)) {
			base = p.StartedAt
		}
	}
	logs := map[string]*Log{}
	add := func(file, what, system, sub string, p results.Point, idx int, start time.Time, encoded string) error {
		if encoded == "" {
			return nil
		}
		h, err := results.DecodeHistogram(encoded)
		if err != nil {
			return fmt.Errorf("point %d (%s) %s: %w", idx, system, file, err)
		}
		max := h.Max()
		l := logs[file]
		if l == nil {
			desc := fmt.Sprintf("evbench %s latency, system=%s", what, system)
			if sub != "" {
				desc += " subscriber=" + sub
			}
			if kind, embedded := p.Broker(r.Environment); embedded {
				desc += "\nbroker: " + kind
			}
			desc += "\nValues in microseconds; Interval_Max in milliseconds (HistogramLogProcessor -outputValueUnitRatio 1000)." +
				"\nOne interval per measured point (results.json keeps whole-point histograms only)."
			l = &Log{Base: base, Description: desc}
			logs[file] = l
		}
		l.Intervals = append(l.Intervals, Interval{
			Start: start, Length: time.Duration(p.DurationS * float64(time.Second)), Encoded: encoded, Max: max,
			Comment: fmt.Sprintf("point %d: %s status=%s", idx+1, params(p), p.Status),
		})
		return nil
	}
	// A point without a start time (never started) is placed right after
	// the previous one so the timeline stays ordered.
	next := base
	for i, p := range r.Points {
		start := p.StartedAt
		if start.IsZero() {
			start = next
		}
		next = start.Add(time.Duration(p.DurationS * float64(time.Second)))
		sys := fileSafe(p.System)
		for _, s := range p.Subscribers {
			sub := fileSafe(s.Name)
			if err := add(sys+"-"+sub+".e2e.hlog", "end-to-end", p.System, s.Name, p, i, start, s.E2E.Histogram); err != nil {
				return nil, err
			}
			if s.Attempt != nil {
				if err := add(sys+"-"+sub+".attempt.hlog", "per-attempt", p.System, s.Name, p, i, start, s.Attempt.Histogram); err != nil {
					return nil, err
				}
			}
		}
		if p.Publish != nil {
			if err := add(sys+".publish.hlog", "publish (intended -> acked)", p.System, "", p, i, start, p.Publish.Histogram); err != nil {
				return nil, err
			}
		}
		if p.Ingress != nil {
			if err := add(sys+".ingress.hlog", "ingress (intended -> HTTP ack)", p.System, "", p, i, start, p.Ingress.Histogram); err != nil {
				return nil, err
			}
		}
	}
	out := make(map[string]Log, len(logs))
	for k, v := range logs {
		out[k] = *v
	}
	return out, nil
}

// WriteDir writes every log of Logs(r) into dir (created if needed) and
// returns the paths written, sorted. Files are written atomically.
func WriteDir(dir string, r *results.Results) ([]string, error) {
	logs, err := Logs(r)
	if err != nil {
		return nil, fmt.Errorf("hlog: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("hlog: %w", err)
	}
	names := make([]string, 0, len(logs))
	for n := range logs {
		names = append(names, n)
	}
	sort.Strings(names)
	var paths []string
	for _, n := range names {
		var b bytes.Buffer
		if err := Write(&b, logs[n]); err != nil {
			return paths, fmt.Errorf("hlog %s: %w", n, err)
		}
		path := filepath.Join(dir, n)
		if err := results.WriteAtomic(path, b.Bytes()); err != nil {
			return paths, fmt.Errorf("hlog: %w", err)
		}
		// WriteAtomic's temporary file is 0600; logs are for sharing.
		if err := os.Chmod(path, 0o644); err != nil {
			return paths, fmt.Errorf("hlog: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// params renders a point's parameters as key=value pairs, sorted.
func params(p results.Point) string {
	keys := make([]string, 0, len(p.Params))
	for k := range p.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%g ", k, p.Params[k])
	}
	return strings.TrimSpace(b.String())
}

// fileSafe keeps letters, digits, '-', '_' and '.'; everything else
// becomes '_', so a subscriber name can never escape the directory.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && b.Len() > 0:
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
