package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// resultsSchema compiles docs/results.schema.json with format assertions
// on (date-time is checked, not only annotated).
func resultsSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../docs/results.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("docs/results.schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("results.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("results.schema.json")
	if err != nil {
		t.Fatalf("compile docs/results.schema.json: %v", err)
	}
	return sch
}

func validateResults(t *testing.T, sch *jsonschema.Schema, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return sch.Validate(inst)
}

// TestResultsSchema validates real documents of every kind against the
// published schema: webhook, kafka and bridge points of a sweep on the
// embedded broker, a merged document and an interrupted run; and checks
// that the schema rejects broken documents and accepts new fields where
// they are expected to appear.
func TestResultsSchema(t *testing.T) {
	sch := resultsSchema(t)
	bin := binary(t)
	dir := t.TempDir()

	sweep := filepath.Join(dir, "sweep")
	if stdout, stderr, code := runBin(t, bin, "run", "testdata/schema.yaml", "--out", sweep, "--no-report", "--quiet"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	sweepDoc := filepath.Join(sweep, "results.json")
	// A second run to merge with: merge refuses one document twice (the
	// same events sent twice, reports/compare/mergeids.go).
	sweep2 := filepath.Join(dir, "sweep2")
	if stdout, stderr, code := runBin(t, bin, "run", "testdata/schema.yaml", "--out", sweep2, "--no-report", "--quiet"); code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	merged := filepath.Join(dir, "merged.json")
	if stdout, stderr, code := runBin(t, bin, "merge", sweepDoc, filepath.Join(sweep2, "results.json"), "--out", merged); code != 0 {
		t.Fatalf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	interrupted := interruptedRun(t, bin, filepath.Join(dir, "interrupted"))

	docs := map[string]string{"sweep of webhook, kafka and bridge": sweepDoc, "merged": merged, "interrupted": interrupted}
	for name, path := range docs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateResults(t, sch, b); err != nil {
			t.Errorf("%s (%s) does not match docs/results.schema.json:\n%v", name, path, err)
		}
	}
	// The sweep holds what the test means to cover.
	var sw struct {
		Status string
		Points []struct {
			System         string
			Publish        *json.RawMessage
			BrokerKind     string `json:"broker_kind"`
			BrokerEmbedded bool   `json:"broker_embedded"`
		}
	}
	b, _ := os.ReadFile(sweepDoc)
	if err := json.Unmarshal(b, &sw); err != nil {
		t.Fatal(err)
	}
	systems := map[string]int{}
	for _, p := range sw.Points {
		systems[p.System]++
		// Points that published carry the typed broker fields.
		if (p.Publish != nil) != (p.BrokerKind != "") || (p.Publish != nil) != p.BrokerEmbedded {
			t.Errorf("%s point: publish %v, broker_kind %q, broker_embedded %v: want the embedded broker on every point that published",
				p.System, p.Publish != nil, p.BrokerKind, p.BrokerEmbedded)
		}
	}
	if sw.Status != "complete" || systems["webhook"] != 2 || systems["kafka"] != 2 || systems["bridge"] != 2 {
		t.Errorf("sweep: status %s, points per system %v; want complete with 2 of each", sw.Status, systems)
	}

	t.Run("rejects broken documents", func(t *testing.T) {
		for name, mutate := range map[string]func(m map[string]any){
			"no schema":                func(m map[string]any) { delete(m, "schema") },
			"another schema":           func(m map[string]any) { m["schema"] = "evbench/results/v2" },
			"unknown status":           func(m map[string]any) { m["status"] = "done" },
			"cpus as a string":         func(m map[string]any) { env(m)["cpus"] = "2" },
			"started_at not date-time": func(m map[string]any) { env(m)["started_at"] = "yesterday" },
			"accounting without sent":  func(m map[string]any) { delete(acc(m), "sent") },
			"negative lost":            func(m map[string]any) { acc(m)["lost"] = -1 },
			"histogram not base64":     func(m map[string]any) { sub0(m)["e2e"].(map[string]any)["histogram"] = "not base64!" },
			"threshold pass as a string": func(m map[string]any) {
				point0(m)["thresholds"] = []any{map[string]any{"expr": "lost == 0", "value": 0, "pass": "yes"}}
			},
			"no_data as a string": func(m map[string]any) {
				point0(m)["thresholds"] = []any{map[string]any{"expr": "lost == 0", "value": 0, "pass": false, "no_data": "yes"}}
			},
			"overloaded as a string":               func(m map[string]any) { point0(m)["overloaded"] = "true" },
			"negative emitted_s":                   func(m map[string]any) { point0(m)["emitted_s"] = -1 },
			"broker_embedded as a string":          func(m map[string]any) { point0(m)["broker_embedded"] = "yes" },
			"empty broker_kind":                    func(m map[string]any) { point0(m)["broker_kind"] = "" },
			"negative delivered_after_dead_letter": func(m map[string]any) { acc(m)["delivered_after_dead_letter"] = -3 },
		} {
			m := decodeMap(t, b)
			mutate(m)
			out, _ := json.Marshal(m)
			if err := validateResults(t, sch, out); err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
	})
	t.Run("accepts new fields where they will appear", func(t *testing.T) {
		m := decodeMap(t, b)
		m["generated_by"] = "a later evbench"
		env(m)["kernel"] = "6.12"
		point0(m)["overloaded"] = true
		acc(m)["delivered_after_dead_letter"] = 3
		sub0(m)["errors"].(map[string]any)["throttled"] = 2
		out, _ := json.Marshal(m)
		if err := validateResults(t, sch, out); err != nil {
			t.Errorf("additional fields rejected: %v", err)
		}
	})
}

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func env(m map[string]any) map[string]any    { return m["environment"].(map[string]any) }
func point0(m map[string]any) map[string]any { return m["points"].([]any)[0].(map[string]any) }
func sub0(m map[string]any) map[string]any {
	return point0(m)["subscribers"].([]any)[0].(map[string]any)
}
func acc(m map[string]any) map[string]any { return sub0(m)["accounting"].(map[string]any) }

// interruptedRun starts testdata/long.yaml, interrupts it after its first
// second and returns the partial results' path.
func interruptedRun(t *testing.T, bin, out string) string {
	t.Helper()
	cmd := exec.Command(bin, "run", "testdata/long.yaml", "--out", out, "--no-report")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	go func() {
		for s := bufio.NewScanner(stderr); s.Scan(); {
		}
	}()
	time.Sleep(2 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var ee *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("interrupted run: %v, want exit %d", err, exitInterrupted)
	}
	path := filepath.Join(out, "results.json")
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"status": "interrupted"`) {
		t.Fatalf("interrupted results: %v\n%.300s", err, b)
	}
	return path
}
