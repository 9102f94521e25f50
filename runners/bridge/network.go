package bridge

import (
	"fmt"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/netem"
	"github.com/evbench/evbench/scenarios"
)

// linkSender puts systems.bridge.ingress_network on the upstream sender ->
// ingress link: the sender's connections go through a netem.Dialer of
// links. Call it before the first Send. Without a network the sender dials
// directly.
func linkSender(links *netem.Links, n scenarios.Network, s *Sender) error {
	d, err := links.Add(results.LinkIngress, n, nil)
	if err != nil {
		return fmt.Errorf("bridge: ingress link: %w", err)
	}
	if d != nil {
		s.client.DialTimeout = d.FastHTTPDialTimeout
	}
	return nil
}
