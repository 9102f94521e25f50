package webhook

import (
	"fmt"

	"github.com/evbench/evbench/scenarios"
)

// retryPolicy is the retry policy one endpoint follows: the system's
// (systems.webhook.retry) or the subscriber's own (subscribers[].retry).
type retryPolicy struct {
	retry       scenarios.Retry
	maxAttempts int
	honourRA    bool
}

// policyFor returns t's retry policy: its own when Target.Retry is set,
// else the dispatcher's.
func (d *Dispatcher) policyFor(t Target) (retryPolicy, error) {
	if t.Retry == nil {
		return retryPolicy{retry: d.cfg.Retry, maxAttempts: d.maxAttempts, honourRA: d.honourRA}, nil
	}
	r := *t.Retry
	switch r.Backoff {
	case scenarios.BackoffExponential, scenarios.BackoffLinear, scenarios.BackoffSchedule:
	default:
		return retryPolicy{}, fmt.Errorf("webhook target %s: unknown backoff %q (want exponential, linear or schedule)", t.Name, r.Backoff)
	}
	if r.MaxAttempts < 1 {
		return retryPolicy{}, fmt.Errorf("webhook target %s: max_attempts %d, want at least 1", t.Name, r.MaxAttempts)
	}
	return retryPolicy{retry: r, maxAttempts: r.MaxAttempts, honourRA: r.HonourRetryAfter == nil || *r.HonourRetryAfter}, nil
}
