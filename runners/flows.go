package runners

import (
	"context"
	"errors"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// FlowsFunc runs a scenario's multi-hop flows (scenario flows:). brokers
// overrides the Kafka brokers ("" keeps the scenario's).
type FlowsFunc func(ctx context.Context, sc *scenarios.Scenario, brokers string, logf func(string, ...any)) ([]results.Flow, error)

var flowsFunc FlowsFunc

// RegisterFlows installs the flows runner (runners/flow does, in its init,
// so the engine runs flows without importing the systems they use).
func RegisterFlows(f FlowsFunc) { flowsFunc = f }

// ErrNoFlowsRunner is returned by RunFlows when no flows runner is linked.
var ErrNoFlowsRunner = errors.New("runners: the scenario has flows but no flows runner is registered (import runners/flow)")

// RunFlows runs sc's flows with the registered runner.
func RunFlows(ctx context.Context, sc *scenarios.Scenario, brokers string, logf func(string, ...any)) ([]results.Flow, error) {
	if flowsFunc == nil {
		return nil, ErrNoFlowsRunner
	}
	return flowsFunc(ctx, sc, brokers, logf)
}
