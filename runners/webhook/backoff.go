package webhook

import (
	"math"
	"time"

	"github.com/evbench/evbench/scenarios"
	"github.com/valyala/fasthttp"
)

// Defaults applied by Resolve to a webhook block's zero values. They match
// the documented defaults in scenarios/types.go, so a scenario built in Go
// without the loader behaves like the same scenario loaded from YAML.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxInFlight = 64
	DefaultQueueLimit  = 100000
	DefaultMaxAttempts = 5
	DefaultInitial     = 100 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
)

// Resolve returns w with zero values replaced by defaults (nil means all
// defaults). Jitter is left as given: 0 is a legitimate "no jitter".
func Resolve(w *Config) Config {
	var out Config
	if w != nil {
		out = *w
	}
	if out.Timeout <= 0 {
		out.Timeout = scenarios.Duration(DefaultTimeout)
	}
	if out.MaxInFlight <= 0 {
		out.MaxInFlight = DefaultMaxInFlight
	}
	if out.QueueLimit <= 0 {
		out.QueueLimit = DefaultQueueLimit
	}
	if out.MaxInFlightTotal <= 0 {
		out.MaxInFlightTotal = DefaultMaxInFlightTotal // inflight.go
	}
	if out.Connections == "" {
		out.Connections = scenarios.ConnKeepalive
	}
	r := &out.Retry
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	if r.Backoff == "" {
		r.Backoff = scenarios.BackoffExponential
	}
	if r.Initial <= 0 {
		r.Initial = scenarios.Duration(DefaultInitial)
	}
	if r.Max <= 0 {
		r.Max = scenarios.Duration(DefaultMaxBackoff)
	}
	if r.Jitter < 0 {
		r.Jitter = 0
	}
	if r.Jitter > 1 {
		r.Jitter = 1
	}
	return out
}

// Backoff is the delay before retry number n (n = 1 after the first failed
// attempt), before jitter: exponential doubles from Initial, linear grows
// by Initial per retry, both capped at Max; schedule takes the n-th entry
// (the last one repeats) and is not capped, since the user wrote it out.
func Backoff(r scenarios.Retry, n int) time.Duration {
	if n < 1 {
		n = 1
	}
	initial, max := r.Initial.D(), r.Max.D()
	var d time.Duration
	switch r.Backoff {
	case scenarios.BackoffSchedule:
		if len(r.Schedule) == 0 {
			return initial
		}
		if n > len(r.Schedule) {
			n = len(r.Schedule)
		}
		return r.Schedule[n-1].D()
	case scenarios.BackoffLinear:
		d = initial * time.Duration(n)
		if n > 0 && d/time.Duration(n) != initial { // overflow
			d = max
		}
	default:
		f := float64(initial) * math.Pow(2, float64(n-1))
		if f > float64(math.MaxInt64) {
			d = max
		} else {
			d = time.Duration(f)
		}
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// jitter spreads d by +/- frac using u, a uniform number in [0, 1).
func jitter(d time.Duration, frac, u float64) time.Duration {
	if frac <= 0 || d <= 0 {
		return d
	}
	j := time.Duration(float64(d) * (1 + frac*(2*u-1)))
	if j < 0 {
		j = 0
	}
	return j
}

// ParseRetryAfter parses a Retry-After value: delay-seconds or an HTTP
// date (relative to now). ok is false for an absent or malformed value.
// A date in the past means "retry now" (0).
func ParseRetryAfter(v []byte, now time.Time) (time.Duration, bool) {
	if len(v) == 0 {
		return 0, false
	}
	if secs, ok := parseInt(v); ok {
		return time.Duration(secs) * time.Second, true
	}
	t, err := fasthttp.ParseHTTPDate(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}
