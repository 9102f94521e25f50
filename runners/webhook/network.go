package webhook

import (
	"fmt"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/netem"
	"github.com/evbench/evbench/scenarios"
)

// linkTarget puts subscriber spec's network (subscribers[].network and its
// partition faults) on the sender -> subscriber link: one netem.Dialer per
// subscriber becomes the target's Dial, for an in-process sink and a url
// receiver alike. Without a network the target dials directly.
func linkTarget(links *netem.Links, spec scenarios.Subscriber, t *Target) error {
	d, err := links.Add(results.LinkWebhookPrefix+spec.Name, spec.Network, spec.Partitions())
	if err != nil {
		return fmt.Errorf("subscriber %s: %w", spec.Name, err)
	}
	if d != nil {
		t.Dial = d.FastHTTPDialTimeout
	}
	return nil
}
