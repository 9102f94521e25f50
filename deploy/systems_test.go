package deploy_test

// The compose file's scenarios enable the real systems, whose packages
// register their scenario blocks (scenarios/registry.go).
import (
	_ "github.com/evbench/evbench/runners/bridge"
	_ "github.com/evbench/evbench/runners/flow"
	_ "github.com/evbench/evbench/runners/kafka"
	_ "github.com/evbench/evbench/runners/webhook"
)
