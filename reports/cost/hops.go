package cost

import (
	"fmt"
	"sort"
	"strings"

	"github.com/evbench/evbench/reports/results"
)

// Hop classes: where a link's bytes travel, so what a GB on it costs. A
// measured link (results.Point.Network) is classed by its network
// profile's name (scenarios/netspec/profiles.yaml); see docs/cost.md.
const (
	// HopAssumed is a link with no billing location: no network written,
	// `loopback`, or an inline spec. It is priced as before links were
	// recorded: the system's per-GB price for network.cross_zone_fraction
	// of its bytes.
	HopAssumed = "assumed"
	// HopSameZone is free (no transfer charge inside a zone).
	HopSameZone = "same-zone"
	// HopCrossZone is priced at the system's per-GB hop price
	// (webhook.egress_per_gb, kafka.transfer_per_gb) for every byte.
	HopCrossZone = "cross-zone"
	// HopCrossRegion is priced at network.cross_region_per_gb.
	HopCrossRegion = "cross-region"
	// HopInternet is priced at network.internet_egress_per_gb.
	HopInternet = "internet"
)

// hopOfProfile maps a network profile name to its hop class; names not
// listed (loopback, inline specs) are HopAssumed.
var hopOfProfile = map[string]string{
	"same-zone":      HopSameZone,
	"cross-zone":     HopCrossZone,
	"cross-region":   HopCrossRegion,
	"internet":       HopInternet,
	"flaky-internet": HopInternet,
}

// HopClass returns the hop class of a link recorded with network profile
// name ("" for an inline spec or no link).
func HopClass(profile string) string {
	if c, ok := hopOfProfile[profile]; ok {
		return c
	}
	return HopAssumed
}

// Mix is the share of a kind of link per hop class (shares add up to 1).
type Mix map[string]float64

// Hops is where a system's bytes travelled in the measured points, read
// from the links the points recorded: the subscriber links (webhook
// sender -> subscriber, or consumer group <-> brokers), the producers'
// link to the brokers and the bridge's upstream sender -> ingress link.
// Replication between brokers has no emulated link: it stays priced by
// kafka.replication_transfer_per_gb.
type Hops struct {
	Subscribers Mix `json:"subscribers"`
	Producer    Mix `json:"producer,omitempty"`
	Ingress     Mix `json:"ingress,omitempty"`
}

// measuredHops reads the hop classes of sys's links from the points used
// (each subscriber link weighted as one subscriber of its point). It
// returns nil when none of them recorded a link: then every byte is priced
// by the profile's cross-zone assumption, as before links were recorded.
func measuredHops(points []*results.Point) *Hops {
	any := false
	for _, p := range points {
		any = any || len(p.Network) > 0
	}
	if !any {
		return nil
	}
	h := &Hops{Subscribers: Mix{}, Producer: Mix{}, Ingress: Mix{}}
	var subs, prods, ins float64
	for _, p := range points {
		class := func(name string) string { return HopClass(p.Network[name].Profile) }
		c := p.Caps()
		prefix := results.LinkGroupPrefix
		if c.Attempts {
			prefix = results.LinkWebhookPrefix
		}
		for _, s := range p.Subscribers {
			h.Subscribers[class(prefix+s.Name)]++
			subs++
		}
		if c.Publish {
			h.Producer[class(results.LinkProducer)]++
			prods++
		}
		if c.Ingress {
			h.Ingress[class(results.LinkIngress)]++
			ins++
		}
	}
	norm := func(m Mix, n float64) Mix {
		if n == 0 {
			return nil
		}
		for k := range m {
			m[k] /= n
		}
		return m
	}
	h.Subscribers, h.Producer, h.Ingress = norm(h.Subscribers, subs), norm(h.Producer, prods), norm(h.Ingress, ins)
	return h
}

// hopPricePerGB is the price of one GB over a hop of class c, where
// billed is the system's per-GB price for a zone-crossing hop.
func (p *Profile) hopPricePerGB(c string, billed float64) float64 {
	switch c {
	case HopSameZone:
		return 0
	case HopCrossZone:
		return billed
	case HopCrossRegion:
		return v(p.Network.CrossRegionPerGB)
	case HopInternet:
		return v(p.Network.InternetEgressPerGB)
	}
	return billed * v(p.Network.CrossZoneFraction)
}

// perGB is the mean price of one GB over links of mix m (nil: every link
// HopAssumed).
func (p *Profile) perGB(m Mix, billed float64) float64 {
	if m == nil {
		return p.hopPricePerGB(HopAssumed, billed)
	}
	var sum float64
	for c, share := range m {
		sum += share * p.hopPricePerGB(c, billed)
	}
	return sum
}

// String describes a mix: "internet 75%, assumed 25%".
func (m Mix) String() string {
	var cs []string
	for c := range m {
		cs = append(cs, c)
	}
	sort.Strings(cs)
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s %s", c, pct(m[c])))
	}
	return strings.Join(parts, ", ")
}

// hopsParagraph says how the measured links price bytes under p ("" when
// no system recorded links).
func hopsParagraph(p *Profile, usage map[string]Usage, systems []string) string {
	var parts []string
	for _, s := range systems {
		u := usage[s]
		if u.Hops == nil {
			continue
		}
		if u.Family == results.FamilyPush {
			parts = append(parts, fmt.Sprintf("%s deliveries %s (%s/GB on average)",
				s, u.Hops.Subscribers, Money(p.perGB(u.Hops.Subscribers, v(p.Push.EgressPerGB)))))
			continue
		}
		x := fmt.Sprintf("%s produce %s (%s/GB), fetch %s (%s/GB)", s,
			u.Hops.Producer, Money(p.perGB(u.Hops.Producer, v(p.Log.TransferPerGB))),
			u.Hops.Subscribers, Money(p.perGB(u.Hops.Subscribers, v(p.Log.TransferPerGB))))
		if u.Hops.Ingress != nil {
			x += fmt.Sprintf(", ingress %s (%s/GB)", u.Hops.Ingress, Money(p.perGB(u.Hops.Ingress, v(p.Push.EgressPerGB))))
		}
		parts = append(parts, x)
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("Bytes are priced on the links the run emulated (results' network): a same-zone link is free, a cross-zone link pays the system's per-GB price on every byte, "+
		"cross-region %s/GB, internet %s/GB (paid by the sending side); a link without a billing location (none, loopback, an inline spec) pays on %s of its bytes as assumed. "+
		"Measured links: %s; replication between brokers has no emulated link and stays at %s/GB. ",
		Money(v(p.Network.CrossRegionPerGB)), Money(v(p.Network.InternetEgressPerGB)), pct(v(p.Network.CrossZoneFraction)),
		strings.Join(parts, "; "), Money(v(p.Log.ReplicationTransferPerGB)))
}

// hops returns u.Hops, or empty hops (every link HopAssumed) when the run
// recorded no links.
func (u Usage) hops() *Hops {
	if u.Hops == nil {
		return &Hops{}
	}
	return u.Hops
}
