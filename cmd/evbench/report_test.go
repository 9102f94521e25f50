package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/evbench/evbench/reports/results"
)

// tinyResults is a small but complete results document: one webhook point,
// two subscribers, a few seconds of time series.
func tinyResults(t *testing.T) *results.Results {
	t.Helper()
	r := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Command: "evbench run quickstart",
		Scenario:    []byte(`{"name":"tiny"}`),
		Environment: results.Environment{Go: "go1.26", OS: "linux", CPUs: 2, StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	p := results.Point{System: "webhook", Params: map[string]float64{"rate_per_s": 100}, Status: results.StatusComplete,
		OfferedPerS: 100, AchievedPerS: 100, DurationS: 5, StartedAt: r.Environment.StartedAt.Add(time.Second)}
	for i, name := range []string{"a", "b"} {
		h := results.NewHistogram()
		for v := int64(1); v <= 500; v++ {
			_ = h.RecordValue(1000 + v*int64(i+1))
		}
		l, err := results.NewLatency(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Subscribers = append(p.Subscribers, results.Subscriber{Name: name, E2E: l, Attempt: &l,
			Accounting: results.Accounting{Sent: 500, Delivered: 500}})
	}
	for s := 1; s <= 6; s++ {
		p.Timeseries = append(p.Timeseries, results.Sample{TS: float64(s), Offered: 100, Achieved: 100, P50US: 1250, P99US: 1490, Delivered: 200})
	}
	r.Points = []results.Point{p}
	return r
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	resPath := filepath.Join(dir, "results.json")
	r := tinyResults(t)
	if err := results.WriteFile(resPath, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "garbage.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "elsewhere")
	tests := []struct {
		name  string
		args  []string
		code  int
		files string // a glob that must match in the folder below
		in    string
	}{
		{"default folder is the results folder", []string{"report", resPath}, 0, "report.html", dir},
		{"--out", []string{"report", resPath, "--out", out}, 0, "report.html", out},
		{"pngs beside the report", []string{"report", resPath, "--out", out}, 0, "latency-spectrum.png", out},
		{"hlog beside the report", []string{"report", resPath, "--out", out}, 0, "webhook-a.e2e.hlog", out},
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, exitBadInput, "", ""},
		{"not a results document", []string{"report", filepath.Join(dir, "garbage.json")}, exitBadInput, "", ""},
		{"unknown profile", []string{"report", resPath, "--profile", "no-such-profile"}, exitBadInput, "", ""},
		{"no argument", []string{"report"}, exitBadInput, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := run(tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d", code, tc.code)
			}
			if tc.files == "" {
				return
			}
			m, _ := filepath.Glob(filepath.Join(tc.in, tc.files))
			if len(m) == 0 {
				t.Errorf("no %s in %s", tc.files, tc.in)
			}
		})
	}
	page, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	// Subscriber b is the slower one: its p99 is the verdict's.
	want := fmt.Sprintf(`data-metric="p99_us" data-value="%d"`, r.Points[0].Subscribers[1].E2E.LatencyUS.P99)
	if !strings.Contains(string(page), want) {
		t.Errorf("verdict lacks %s", want)
	}
}

// TestReportRefusesCorruptResults: `evbench report` on a document that
// parses but is corrupt exits 2 with the place it is wrong and writes
// nothing (issue 9 item 13).
func TestReportRefusesCorruptResults(t *testing.T) {
	foreign := results.Latency{}
	{
		h := hdr.New(1, 1_000_000, 2)
		_ = h.RecordValue(1000)
		enc, err := results.EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		foreign = results.Latency{LatencyUS: results.Summarize(h), Histogram: enc}
	}
	tests := []struct {
		name   string
		mutate func(r *results.Results)
		want   string
	}{
		{"bad histogram base64", func(r *results.Results) { r.Points[0].Subscribers[0].E2E.Histogram = "HISTF@@@" }, "base64"},
		{"negative counts", func(r *results.Results) {
			r.Points[0].Subscribers[0].Accounting.Retries = -3
			r.Points[0].Subscribers[0].Accounting.DeadLettered = -1
		}, "negative"},
		{"foreign histogram geometry", func(r *results.Results) { r.Points[0].Subscribers[1].E2E = foreign }, "foreign geometry"},
		{"no points", func(r *results.Results) { r.Points = nil }, "no points"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := tinyResults(t)
			tc.mutate(r)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "results.json")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			stderr := captureStderr(t, func() {
				if code := run([]string{"report", path}); code != exitBadInput {
					t.Errorf("exit %d, want %d", code, exitBadInput)
				}
			})
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want it to mention %q", stderr, tc.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("report wrote files for a corrupt document: %v", names)
			}
		})
	}
}

// captureStderr runs f with os.Stderr redirected and returns what it wrote.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() { os.Stderr = old }()
	f()
	w.Close()
	os.Stderr = old
	return <-done
}
