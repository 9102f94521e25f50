package scenarios_test

// The scenario tests load real system blocks: the systems register them
// from their own packages (scenarios/registry.go).
import (
	_ "github.com/evbench/evbench/runners/bridge"
	_ "github.com/evbench/evbench/runners/flow"
	_ "github.com/evbench/evbench/runners/kafka"
	_ "github.com/evbench/evbench/runners/webhook"
)
