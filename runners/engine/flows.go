package engine

import (
	"context"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners"
	"github.com/evbench/evbench/scenarios"
)

// runFlows runs the scenario's multi-hop flows (scenario flows:) after its
// points, each once with the scenario's load, and records them in res.
func runFlows(ctx context.Context, sc *scenarios.Scenario, res *results.Results, opts Options) error {
	if len(sc.Flows) == 0 || ctx.Err() != nil {
		return nil
	}
	if opts.OnPoint != nil {
		// Announced as one more step, so progress displays stop showing
		// the last point's live figures while the flows run.
		opts.OnPoint(1, 1, "flows", nil)
	}
	fl, err := runners.RunFlows(ctx, sc, opts.Brokers, opts.Logf)
	res.Flows = fl
	if opts.Checkpoint != nil {
		opts.Checkpoint(res)
	}
	return err
}
