package scenarios

import "slices"

// subscribers[].retry: one subscriber's own webhook retry policy, written
// like systems.webhook.retry (a preset or a hand-written policy) and
// replacing it for that subscriber, so that one run can put several
// providers' schedules side by side (scenarios/examples/outage.yaml).
// Unwritten keys take the defaults of systems.webhook.retry, not the
// system's policy: the subscriber's policy reads the same wherever it is.
// A preset's per-attempt timeout is not applied per subscriber: every
// attempt keeps systems.webhook.timeout. Kafka and the bridge ignore it.

// subscriberRetry decodes a subscriber's retry block.
func (d *decoder) subscriberRetry(n *node, path string) *Retry {
	r := DefaultRetry()
	d.retry(n, path, &r)
	return &r
}

// cloneRetry deep-copies r (nil stays nil).
func cloneRetry(r *Retry) *Retry {
	if r == nil {
		return nil
	}
	c := *r
	c.Schedule = slices.Clone(r.Schedule)
	c.HonourRetryAfter = cloneBool(r.HonourRetryAfter)
	return &c
}

// compressRetry divides r's delays with c (time_scale); nil is a no-op.
func compressRetry(r *Retry, c func(*Duration)) {
	if r == nil {
		return
	}
	for i := range r.Schedule {
		c(&r.Schedule[i])
	}
	c(&r.Initial)
	c(&r.Max)
}
