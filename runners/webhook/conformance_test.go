package webhook_test

import (
	"testing"

	"github.com/evbench/evbench/runners/runnertest"
	"github.com/evbench/evbench/runners/webhook"
)

// TestConformance runs the conformance suite (runners/runnertest) on the
// webhook system with the loader's defaults.
func TestConformance(t *testing.T) {
	runnertest.Run(t, webhook.System, runnertest.Options{
		Systems: "webhook: {}",
	})
}
