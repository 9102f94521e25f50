package kafka

import (
	"fmt"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/netem"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Network is a point's emulated Kafka links (docs/network.md): the
// producers' link to the brokers (systems.kafka.producer_network) and one
// per consumer group (the subscriber's network, else
// systems.kafka.consumer_network), each its own netem.Dialer routing every
// broker address the client learns through its own proxy. The admin client
// that measures lag stays direct: it is the harness, not the system.
type Network struct {
	// Links holds every dialer; close it when the point ends.
	Links *netem.Links
	// Producer are the producers' connection options.
	Producer []kgo.Opt
	// Groups are a group's connection options by subscriber name; a group
	// without a link is absent and uses Env.Conn.
	Groups map[string][]kgo.Opt
}

// OpenNetwork makes the links of sc's Kafka side over env's brokers.
func OpenNetwork(sc *scenarios.Scenario, env *Env, logf func(string, ...any)) (*Network, error) {
	n := &Network{Links: netem.NewLinks(logf), Producer: env.Conn, Groups: map[string][]kgo.Opt{}}
	d, err := n.Links.Add(results.LinkProducer, ProducerNetwork(sc), nil)
	if err == nil && d != nil {
		n.Producer, err = env.Settings.ConnOptsVia(env.Brokers, d)
	}
	for _, sub := range sc.Subscribers {
		if err != nil {
			break
		}
		d, err = n.Links.Add(results.LinkGroupPrefix+sub.Name, ConsumerNetwork(sc, sub), sub.Partitions())
		if err == nil && d != nil {
			n.Groups[sub.Name], err = env.Settings.ConnOptsVia(env.Brokers, d)
		}
	}
	if err != nil {
		_ = n.Links.Close()
		return nil, fmt.Errorf("kafka: network: %w", err)
	}
	return n, nil
}

// ConnOptsVia is ConnOpts with every connection dialled through d. With
// TLS the handshake is done by d.TLSDialContext (through the link), since
// franz-go refuses kgo.Dialer together with kgo.DialTLSConfig.
func (s Settings) ConnOptsVia(brokers []string, d *netem.Dialer) ([]kgo.Opt, error) {
	plain := s
	plain.TLS = nil
	opts, err := plain.ConnOpts(brokers)
	if err != nil {
		return nil, err
	}
	if s.TLS == nil {
		return append(opts, kgo.Dialer(d.DialContext)), nil
	}
	cfg, err := tlsConfig(s.TLS)
	if err != nil {
		return nil, err
	}
	return append(opts, kgo.Dialer(d.TLSDialContext(cfg))), nil
}

// conn are the group's connection options: its own link's, else the
// shared ones.
func (g *Group) conn() []kgo.Opt {
	if c, ok := g.gs.cfg.GroupConn[g.Name]; ok {
		return c
	}
	return g.gs.cfg.Conn
}
