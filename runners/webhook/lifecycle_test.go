package webhook_test

import (
	"testing"

	"github.com/evbench/evbench/runners/runnertest"
	"github.com/evbench/evbench/runners/webhook"
)

// TestConformanceChildSender runs the conformance suite on the webhook
// system with its sender in a child process (durable_queue: the same
// process sender-crash kills): that sender shares the run lifecycle
// (runners.RunPoint) with the in-process one, so warm-up, the drain and
// Ctrl-C during the load and the drain behave the same.
func TestConformanceChildSender(t *testing.T) {
	if testing.Short() {
		t.Skip("the child-process variant of the conformance suite is not run with -short")
	}
	runnertest.Run(t, webhook.System, runnertest.Options{
		Systems: "webhook: {durable_queue: true}",
	})
}
