package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCrashRuns: evbench's own binary serves as the webhook sender and the
// bridge child processes that sender-crash and bridge-crash kill; the
// results validate against docs/results.schema.json, the crash is recorded
// and the summary names it.
func TestCrashRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two points with child processes")
	}
	sch := resultsSchema(t)
	bin := binary(t)
	for _, c := range []struct{ file, kind, field string }{
		{"testdata/crash-webhook.yaml", "sender-crash", "sender_process"},
		{"testdata/crash-bridge.yaml", "bridge-crash", "bridge_process"},
	} {
		t.Run(c.kind, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			stdout, stderr, code := runBin(t, bin, "run", c.file, "--out", out, "--no-report", "--quiet")
			if code != 0 {
				t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, c.kind+" ") || !strings.Contains(stdout, "killed at") {
				t.Errorf("summary does not name the crash:\n%s", stdout)
			}
			b, err := os.ReadFile(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := validateResults(t, sch, b); err != nil {
				t.Errorf("results do not match docs/results.schema.json: %v", err)
			}
			var doc struct {
				Points []map[string]json.RawMessage
			}
			if err := json.Unmarshal(b, &doc); err != nil || len(doc.Points) != 1 {
				t.Fatalf("results: %v, %d points", err, len(doc.Points))
			}
			var proc struct {
				Restarts int
				Crashes  []struct {
					Kind string
					Held int64
				}
			}
			if err := json.Unmarshal(doc.Points[0][c.field], &proc); err != nil || proc.Restarts != 1 || len(proc.Crashes) != 1 || proc.Crashes[0].Kind != c.kind {
				t.Errorf("%s: %s (%v), want one %s and one restart", c.field, doc.Points[0][c.field], err, c.kind)
			}
		})
	}
}
