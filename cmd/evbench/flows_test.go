package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/engine"
	"github.com/evbench/evbench/runners/flow"
	"github.com/evbench/evbench/scenarios"
)

// TestFlowsSchemaAndSummary: the flows a real run writes validate against
// docs/results.schema.json, and the summary prints every hop and route.
func TestFlowsSchemaAndSummary(t *testing.T) {
	sc, err := scenarios.LoadBytes("flows.yaml", []byte(`
load: {rate: 40/s, duration: 1s, warmup: 200ms, drain: 5s}
subscribers: [{name: unused}]
systems: {webhook: {}}
flows:
  - name: f
    services: [{name: a, processing: 1ms}, {name: b}, {name: c}]
    hops:
      - {name: ab, from: a, to: b, via: webhook}
      - {name: bc, from: b, to: c, via: bridge}
`))
	if err != nil {
		t.Fatal(err)
	}
	fl, err := flow.Run(context.Background(), sc, flow.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := sc.Redacted().JSON()
	doc := &results.Results{Schema: results.Schema, Status: results.StatusComplete, Scenario: raw,
		Environment: engine.Environment(), Points: []results.Point{}, Flows: fl}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateResults(t, resultsSchema(t), b); err != nil {
		t.Fatalf("flows do not validate against the schema: %v", err)
	}
	var out bytes.Buffer
	printFlows(&out, fl)
	for _, want := range []string{"flow f — status complete", "ab", "bc", "webhook", "bridge", "ab > bc > c (100%)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
