package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
)

// TestRunFlows: flows run after the points, land in the document, and a
// failed flow fails the run.
func TestRunFlows(t *testing.T) {
	register(t)
	sc, err := scenarios.LoadBytes("t.yaml", []byte(`load: {rate: 100/s, duration: 1s}
subscribers: [{name: w}]
systems: {webhook: {}}
flows:
  - name: f
    services: [{name: a}, {name: b}]
    hops: [{name: h, from: a, to: b, via: kafka}]
`))
	if err != nil {
		t.Fatal(err)
	}
	var fail error
	var pointsBefore int
	var res *results.Results
	runners.RegisterFlows(func(_ context.Context, s *scenarios.Scenario, _ string, _ func(string, ...any)) ([]results.Flow, error) {
		pointsBefore = len(res.Points)
		return []results.Flow{{Name: s.Flows[0].Name, Status: results.StatusComplete}}, fail
	})
	defer runners.RegisterFlows(nil)
	res, err = Run(context.Background(), sc, Options{Checkpoint: func(p *results.Results) { res = p }})
	if err != nil || res.Status != results.StatusComplete || len(res.Flows) != 1 || res.Flows[0].Name != "f" || pointsBefore != 1 {
		t.Fatalf("err %v status %s flows %+v, %d points before the flows", err, res.Status, res.Flows, pointsBefore)
	}
	fail = errors.New("synthetic flow failure")
	res, err = Run(context.Background(), sc, Options{Checkpoint: func(p *results.Results) { res = p }})
	if err == nil || res.Status != results.StatusFailed {
		t.Fatalf("a failed flow: err %v status %s, want failed", err, res.Status)
	}
	runners.RegisterFlows(nil)
	if _, err := Run(context.Background(), sc, Options{}); !errors.Is(err, runners.ErrNoFlowsRunner) {
		t.Fatalf("no flows runner linked: err %v", err)
	}
}
