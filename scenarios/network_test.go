package scenarios_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/bridge"
	"github.com/evbench/evbench/runners/kafka"
	"github.com/evbench/evbench/scenarios"
)

const netBase = `name: net
load: {rate: 10/s, duration: 5s}
subscribers:
  - name: a
`

// TestNetworkKeys: every network key loads a profile or an inline spec,
// and every mistake names file:line:column, the key and what is allowed.
func TestNetworkKeys(t *testing.T) {
	ok := []struct {
		name, src string
		check     func(t *testing.T, s *scenarios.Scenario)
	}{
		{"profile", netBase + "    network: internet\nsystems: {webhook: {}}\n", func(t *testing.T, s *scenarios.Scenario) {
			n := s.Subscribers[0].Network
			if n.Profile != "internet" || n.Spec.Latency != 39*time.Millisecond {
				t.Errorf("network = %+v", n)
			}
		}},
		{"inline", netBase + "    network: {latency: 50ms, jitter: 5ms, bandwidth: 10MiB/s, reset_probability: 0.001}\nsystems: {webhook: {}}\n", func(t *testing.T, s *scenarios.Scenario) {
			n := s.Subscribers[0].Network
			if n.Profile != "" || n.Spec.Latency != 50*time.Millisecond || n.Spec.Jitter != 5*time.Millisecond || n.Spec.Bandwidth != 10<<20 || n.Spec.ResetProbability != 0.001 {
				t.Errorf("network = %+v", n)
			}
		}},
		{"kafka and bridge", netBase + "    network: cross-region\nsystems:\n  kafka: {producer_network: cross-zone, consumer_network: same-zone}\n  bridge: {ingress_network: internet}\n", func(t *testing.T, s *scenarios.Scenario) {
			k, b := kafka.ConfigOf(s), bridge.ConfigOf(s)
			if k.ProducerNetwork.Profile != "cross-zone" || k.ConsumerNetwork.Profile != "same-zone" || b.IngressNetwork.Profile != "internet" {
				t.Errorf("kafka %+v bridge %+v", k, b)
			}
			// The subscriber's own network overrides consumer_network.
			if got := kafka.ConsumerNetwork(s, s.Subscribers[0]).Profile; got != "cross-region" {
				t.Errorf("ConsumerNetwork = %q, want cross-region", got)
			}
			if got := kafka.ConsumerNetwork(s, scenarios.Subscriber{Name: "x"}).Profile; got != "same-zone" {
				t.Errorf("ConsumerNetwork default = %q, want same-zone", got)
			}
		}},
		{"subscriber consumer_network", netBase + "    network: internet\n    consumer_network: same-zone\nsystems:\n  kafka: {consumer_network: cross-zone}\n", func(t *testing.T, s *scenarios.Scenario) {
			// The webhook link stays on the internet; the subscriber's
			// consumer group runs next to the brokers.
			sub := s.Subscribers[0]
			if sub.Network.Profile != "internet" || kafka.ConsumerNetwork(s, sub).Profile != "same-zone" {
				t.Errorf("network %q, consumer network %q: want internet and same-zone", sub.Network.Profile, kafka.ConsumerNetwork(s, sub).Profile)
			}
		}},
		{"partition", netBase + "    faults: [{kind: partition, at: 1s, for: 2s}]\nsystems: {webhook: {}}\n", func(t *testing.T, s *scenarios.Scenario) {
			p := s.Subscribers[0].Partitions()
			if len(p) != 1 || p[0].At.D() != time.Second || p[0].For.D() != 2*time.Second {
				t.Errorf("partitions = %+v", p)
			}
		}},
		{"partition on a url subscriber", "name: net\nload: {rate: 10/s, duration: 5s}\nsubscribers:\n  - name: a\n    url: http://127.0.0.1:9/\n    faults: [{kind: partition, at: 1s, for: 2s}]\nsystems: {webhook: {}}\n", nil},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.LoadBytes("net.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
			// The resolved scenario validates and survives results.json.
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var back scenarios.Scenario
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.Subscribers[0].Network != s.Subscribers[0].Network {
				t.Errorf("json round trip: %+v, want %+v", back.Subscribers[0].Network, s.Subscribers[0].Network)
			}
		})
	}
	bad := []struct{ name, src, want string }{
		{"unknown profile", netBase + "    network: moon\nsystems: {webhook: {}}\n",
			`net.yaml:5:14: subscribers[0].network: unknown profile "moon" (allowed: a profile name (loopback, same-zone, cross-zone, cross-region, internet, flaky-internet)`},
		{"unknown key", netBase + "    network: {latency: 5ms, loss: 0.1}\nsystems: {webhook: {}}\n",
			`net.yaml:5:29: subscribers[0].network.loss: unknown key "loss"`},
		{"no unit", netBase + "    network: {latency: 50}\nsystems: {webhook: {}}\n",
			`net.yaml:5:24: subscribers[0].network.latency: "50" has no unit`},
		{"jitter above latency", netBase + "    network: {latency: 5ms, jitter: 10ms}\nsystems: {webhook: {}}\n",
			`net.yaml:5:37: subscribers[0].network.jitter: 10ms must be between 0 and latency (5ms)`},
		{"bad bandwidth unit", "name: net\nload: {rate: 10/s, duration: 5s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {producer_network: {bandwidth: 10mbps}}\n",
			`net.yaml:5:41: systems.kafka.producer_network.bandwidth: "10mbps": unknown unit "mbps"`},
		{"probability as a string", "name: net\nload: {rate: 10/s, duration: 5s}\nsubscribers: [{name: a}]\nsystems:\n  bridge: {ingress_network: {reset_probability: \"0.1\"}}\n",
			`systems.bridge.ingress_network.reset_probability: "0.1" is a string`},
		{"probability above 1", "name: net\nload: {rate: 10/s, duration: 5s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {consumer_network: {reset_probability: 2}}\n",
			`systems.kafka.consumer_network.reset_probability: 2 is not a number from 0 to 1`},
		{"a list", netBase + "    network: [internet]\nsystems: {webhook: {}}\n",
			`net.yaml:5:14: subscribers[0].network: must be a profile name or a mapping, got a list`},
		{"partition without for", netBase + "    faults: [{kind: partition, at: 1s}]\nsystems: {webhook: {}}\n",
			`subscribers[0].faults[0].for: missing; a partition black-holes the link for ` + "`for`"},
		{"partition with add", netBase + "    faults: [{kind: partition, at: 1s, for: 1s, add: 1s}]\nsystems: {webhook: {}}\n",
			`subscribers[0].faults[0].add: not meaningful for a partition fault`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.LoadBytes("net.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}

// TestNetworkValidateInGo: a scenario changed in Go is checked too.
func TestNetworkValidateInGo(t *testing.T) {
	s, err := scenarios.LoadBytes("net.yaml", []byte(netBase+"    network: internet\nsystems: {webhook: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s.Subscribers[0].Network.Spec.Jitter = time.Second
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "subscribers[0].network") {
		t.Errorf("Validate = %v, want an error about subscribers[0].network", err)
	}
}
