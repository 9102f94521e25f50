// Package netlinks reports the emulated network on a run's links
// (points[].network, docs/network.md) and states two widely repeated
// latency claims beside what the run measured over those links. It only
// reads results: the figures are the run's, never tuned to the claims.
package netlinks

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/evbench/evbench/reports/chart"
	"github.com/evbench/evbench/reports/plot"
	"github.com/evbench/evbench/reports/results"
)

// The claims, as they are usually worded.
const (
	ClaimWebhookLatency = "webhook delivery takes 10-100 ms end to end depending on network"
	ClaimKafkaOverhead  = "Kafka adds slight overhead"
)

// The claim's range of end-to-end latency, in microseconds.
const (
	claimLoUS = 10_000
	claimHiUS = 100_000
)

// Row is one subscriber of one system's detail point: its end-to-end
// latency and the link it was measured over.
type Row struct {
	System, Subscriber string
	// Link names the networks on the event's path to the subscriber
	// ("none" for a link without one): the webhook sender -> subscriber
	// link; for Kafka the producer's link and the group's; for the bridge
	// also the ingress link before them.
	Link     string
	P50, P99 int64 // e2e, microseconds
	Count    int64
	// Caps are the point's capabilities: a system that delivers attempt
	// by attempt (Attempts) is what the webhook claim is about, one with a
	// broker (Broker) what the overhead claim is about.
	Caps results.Capabilities
}

// Rows returns a row per subscriber of each system's detail point (the
// point the report details), systems in canonical order.
func Rows(r *results.Results) []Row {
	var out []Row
	for _, i := range plot.DetailPoints(r) {
		p := r.Points[i]
		for _, s := range p.Subscribers {
			out = append(out, Row{System: p.System, Subscriber: s.Name, Link: pathLabel(p, s.Name),
				P50: s.E2E.LatencyUS.P50, P99: s.E2E.LatencyUS.P99, Count: s.E2E.LatencyUS.Count, Caps: p.Caps()})
		}
	}
	ord := results.OrderOf(r.Points)
	sort.SliceStable(out, func(a, b int) bool { return ord.Less(out[a].System, out[b].System) })
	return out
}

// pathLabel names the networks an event crossed to reach sub in p: the
// sender -> subscriber link of a system that delivers attempt by attempt,
// else the producer's and the subscriber's group's links, after the
// ingress link of a system with an ingress.
func pathLabel(p results.Point, sub string) string {
	c := p.Caps()
	if c.Attempts {
		return linkLabel(p, results.LinkWebhookPrefix+sub)
	}
	s := "producer " + linkLabel(p, results.LinkProducer) + ", group " + linkLabel(p, results.LinkGroupPrefix+sub)
	if c.Ingress {
		s = "ingress " + linkLabel(p, results.LinkIngress) + ", " + s
	}
	return s
}

// linkLabel names the network of link name in p: "internet", "inline
// {latency: 20ms}", or "none".
func linkLabel(p results.Point, name string) string {
	l, ok := p.Network[name]
	if !ok {
		return "none"
	}
	s := l.Profile
	if s == "" {
		s = "inline " + l.Spec
	}
	if len(l.Partitions) > 0 {
		s += ", partitions " + strings.Join(l.Partitions, " ")
	}
	return s
}

// hasLinks reports whether any point recorded a link.
func hasLinks(r *results.Results) bool {
	for _, p := range r.Points {
		if len(p.Network) > 0 {
			return true
		}
	}
	return false
}

func ms(us int64) string {
	return strconv.FormatFloat(float64(us)/1000, 'f', 1, 64) + " ms"
}

func signedMS(us int64) string {
	if us >= 0 {
		return "+" + ms(us)
	}
	return "-" + ms(-us)
}

// Section builds the report section, or ok false when no point recorded
// a link (a loopback-only run: the claims would be about the lab).
func Section(r *results.Results) (sec chart.Section, ok bool) {
	if !hasLinks(r) {
		return sec, false
	}
	sec = chart.Section{ID: "network", Title: "Network links and the latency claims"}
	sec.Paragraphs = append(sec.Paragraphs,
		"Every link listed below carried an emulated network (Toxiproxy in-process, docs/network.md). "+
			"Latency in a link's spec is one-way, added in each direction: a 39 ms link is a 78 ms round trip, "+
			"and a new connection pays one more round trip for its TCP handshake (and one for TLS). "+
			"End-to-end latency is measured from the event's intended send time to the end of the subscriber's processing.")
	rows := Rows(r)
	sec.Paragraphs = append(sec.Paragraphs, Claims(rows)...)
	lat := chart.Table{Caption: "End-to-end latency per system and subscriber, with the link it crossed",
		Header: []string{"system", "subscriber", "networks on its path", "deliveries", "e2e p50", "e2e p99", "p50 in 10-100 ms", "p99 in 10-100 ms"}}
	in := func(us int64) string {
		if us >= claimLoUS && us <= claimHiUS {
			return "yes"
		}
		return "no"
	}
	for _, x := range rows {
		lat.Rows = append(lat.Rows, []string{x.System, x.Subscriber, x.Link, strconv.FormatInt(x.Count, 10), ms(x.P50), ms(x.P99), in(x.P50), in(x.P99)})
	}
	links := chart.Table{Caption: "Emulated links (detail points)", Header: []string{"system", "link", "profile", "spec", "partitions (at+for)"}}
	for _, i := range plot.DetailPoints(r) {
		p := r.Points[i]
		var names []string
		for n := range p.Network {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			l := p.Network[n]
			prof := l.Profile
			if prof == "" {
				prof = "inline"
			}
			links.Rows = append(links.Rows, []string{p.System, n, prof, l.Spec, strings.Join(l.Partitions, " ")})
		}
	}
	sec.Tables = append(sec.Tables, lat, links)
	return sec, true
}

// Claims states the two claims, each followed by what the rows measured.
func Claims(rows []Row) []string {
	var out []string
	// wh: the subscribers of systems that deliver attempt by attempt
	// (webhooks), whatever their name; brokers: systems with a broker, in
	// the rows' order.
	var wh []Row
	var brokers []string
	bySys := map[string]map[string]Row{}
	for _, x := range rows {
		if bySys[x.System] == nil {
			bySys[x.System] = map[string]Row{}
			if x.Caps.Broker {
				brokers = append(brokers, x.System)
			}
		}
		bySys[x.System][x.Subscriber] = x
		if x.Caps.Attempts {
			wh = append(wh, x)
		}
	}
	if len(wh) > 0 {
		var parts []string
		in50, in99 := 0, 0
		for _, x := range wh {
			if x.P50 >= claimLoUS && x.P50 <= claimHiUS {
				in50++
			}
			if x.P99 >= claimLoUS && x.P99 <= claimHiUS {
				in99++
			}
			parts = append(parts, fmt.Sprintf("%s (%s) p50 %s, p99 %s", x.Subscriber, x.Link, ms(x.P50), ms(x.P99)))
		}
		out = append(out, fmt.Sprintf("Claim: %q. Measured, not tuned: %s. "+
			"%d of %d webhook subscribers had their p50 within 10-100 ms and %d of %d their p99 (processing included).",
			ClaimWebhookLatency, strings.Join(parts, "; "), in50, len(wh), in99, len(wh)))
	}
	for _, sys := range brokers {
		k := bySys[sys]
		if len(wh) == 0 {
			continue
		}
		var parts []string
		for _, w := range wh {
			x, ok := k[w.Subscriber]
			if !ok {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s p50 %s (%s over %s vs %s over %s), p99 %s",
				w.Subscriber, signedMS(x.P50-w.P50), ms(x.P50), x.Link, ms(w.P50), w.Link, signedMS(x.P99-w.P99)))
		}
		if len(parts) == 0 {
			continue
		}
		what := sys + " (through its broker)"
		for _, x := range k {
			if x.Caps.Ingress {
				what = sys + " (one webhook hop to its ingress, then its broker)"
			}
			break
		}
		out = append(out, fmt.Sprintf("Claim: %q. Measured, not tuned, %s minus webhook end to end per subscriber: %s. "+
			"A positive figure is overhead; the links differ by design where the scenario says so (the link of each is named).",
			ClaimKafkaOverhead, what, strings.Join(parts, "; ")))
	}
	return out
}
