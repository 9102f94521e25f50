package scenarios

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/evbench/evbench/scenarios/netspec"
	"github.com/goccy/go-yaml"
)

// FaultPartition black-holes a subscriber's network link for a window
// (`{kind: partition, at: 10s, for: 2s}`): the webhook sender -> subscriber
// link, or that subscriber's consumer group <-> brokers. Unlike the other
// kinds it is applied by the network (runners/netem), not by the
// subscriber, so it is allowed on url subscribers too.
const FaultPartition = "partition"

// Network is the emulated network on one link (docs/network.md): a named
// profile from scenarios/netspec/profiles.yaml or an inline spec. The zero
// Network is no emulation (plain loopback).
type Network struct {
	// Profile is the profile's name ("" for an inline spec).
	Profile string `yaml:"-"`
	// Spec is the resolved link: latency is one-way, added in each
	// direction.
	Spec netspec.Spec `yaml:"-"`
}

// IsZero reports whether n was not written (no profile, nothing added).
func (n Network) IsZero() bool { return n.Profile == "" && n.Spec.IsZero() }

// Label is the profile name, or "inline" for a written spec, or "none".
func (n Network) Label() string {
	switch {
	case n.Profile != "":
		return n.Profile
	case n.Spec.IsZero():
		return "none"
	default:
		return "inline"
	}
}

// networkJSON is how a Network appears in results.json's scenario.
type networkJSON struct {
	Profile string `json:"profile,omitempty"`
	Spec    string `json:"spec"`
}

// MarshalJSON writes {"profile": name, "spec": "{latency: 39ms, ...}"}.
func (n Network) MarshalJSON() ([]byte, error) {
	return json.Marshal(networkJSON{Profile: n.Profile, Spec: n.Spec.String()})
}

// UnmarshalJSON reads what MarshalJSON wrote (the spec text is the inline
// form netspec.ParseSpec reads).
func (n *Network) UnmarshalJSON(b []byte) error {
	var v networkJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var m map[string]any
	if v.Spec != "" {
		if err := yaml.Unmarshal([]byte(v.Spec), &m); err != nil {
			return fmt.Errorf("network spec %q: %w", v.Spec, err)
		}
	}
	s, err := netspec.ParseSpec(m)
	if err != nil {
		return err
	}
	*n = Network{Profile: v.Profile, Spec: s}
	return nil
}

// allowedNetwork is the "allowed" text of every network error.
func allowedNetwork() string {
	return "a profile name (" + strings.Join(netspec.Names(), ", ") + ") or a map of " + strings.Join(netspec.SpecKeys, ", ") + ", e.g. {latency: 50ms, jitter: 5ms}"
}

// network decodes o's key as a Network: a profile name or an inline map
// whose keys and values are checked one by one, so an error names the
// exact line and column.
func (d *decoder) network(o *Object, key string, dst *Network) {
	n := o.val(key)
	if n == nil || !d.ok() {
		return
	}
	path := o.p(key)
	switch n.kind {
	case kindScalar:
		if n.stype != scalarString {
			d.fail(n, path, "must be a profile name or a mapping, got "+n.describe(), allowedNetwork())
			return
		}
		p, err := netspec.Lookup(n.text)
		if err != nil {
			d.fail(n, path, fmt.Sprintf("unknown profile %q", n.text), allowedNetwork())
			return
		}
		*dst = Network{Profile: p.Name, Spec: p.Spec}
	case kindMap:
		m := map[string]any{}
		mo := d.object(n, path, netspec.SpecKeys)
		if mo == nil {
			return
		}
		for i, k := range n.keys {
			v := n.vals[i]
			kp := join(path, k.text)
			if v.kind != kindScalar {
				d.fail(v, kp, "must be a single value, got "+v.describe(), "")
				return
			}
			var val any = v.text
			switch v.stype {
			case scalarInt, scalarFloat:
				if k.text == "reset_probability" || k.text == "blackhole_probability" {
					val = v.fval
					if v.stype == scalarInt {
						val = float64(v.ival)
					}
				}
			case scalarString:
			default:
				d.fail(v, kp, "must be a value with a unit or a number, got "+v.describe(), "")
				return
			}
			if _, err := netspec.ParseFields(map[string]any{k.text: val}); err != nil {
				msg := strings.TrimPrefix(err.Error(), "network: ")
				msg = strings.TrimPrefix(msg, k.text+": ")
				d.fail(v, kp, msg, "")
				return
			}
			m[k.text] = val
		}
		s, err := netspec.ParseSpec(m)
		if err != nil {
			// Point at the key the message names (Validate's messages
			// start with it), else at the mapping.
			msg := strings.TrimPrefix(err.Error(), "network: ")
			at, ap := n, path
			for i, k := range n.keys {
				if rest, ok := strings.CutPrefix(msg, k.text+": "); ok {
					at, ap, msg = n.vals[i], join(path, k.text), rest
					break
				}
			}
			d.fail(at, ap, msg, "")
			return
		}
		*dst = Network{Spec: s}
	default:
		d.fail(n, path, "must be a profile name or a mapping, got "+n.describe(), allowedNetwork())
	}
}

// networks checks the resolved networks of a scenario (for scenarios built
// or changed in Go; files are checked while decoding).
func (c *Checker) networks(s *Scenario) {
	for i, sub := range s.Subscribers {
		c.network(index("subscribers", i)+".network", sub.Network)
		c.network(index("subscribers", i)+".consumer_network", sub.ConsumerNetwork)
	}
	for _, n := range s.Systems.Names() {
		if b, ok := s.Systems.Get(n).(BlockLinks); ok {
			for _, l := range b.Links() {
				c.network("systems."+n+"."+l.Key, l.Network)
			}
		}
	}
}

// network checks one resolved link.
func (c *Checker) network(key string, n Network) {
	if n.Profile != "" {
		p, err := netspec.Lookup(n.Profile)
		if err != nil {
			c.add(key, fmt.Sprintf("unknown profile %q", n.Profile), allowedNetwork())
			return
		}
		if p.Spec != n.Spec {
			c.add(key, fmt.Sprintf("profile %q is %s, not %s", n.Profile, p.Spec, n.Spec), "the profile's own spec, or an inline spec without a profile name")
			return
		}
	}
	if err := n.Spec.Validate(); err != nil {
		c.add(key, err.Error(), allowedNetwork())
	}
}

// Partitions returns sub's partition faults.
func (sub Subscriber) Partitions() []Fault {
	var out []Fault
	for _, f := range sub.Faults {
		if f.Kind == FaultPartition {
			out = append(out, f)
		}
	}
	return out
}
