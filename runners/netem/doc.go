// Package netem puts an emulated network between two endpoints that really
// sit on one loopback interface.
//
// Why it exists: every figure evbench measured before it came from
// 127.0.0.1, where a webhook subscriber is 0.1 ms away and a Kafka consumer
// sits next to its broker. Real webhook receivers are other companies'
// servers across the internet and real Kafka clients talk to brokers in the
// same or another zone, so a comparison run on loopback says more about the
// lab than about the designs. This package adds the missing network, per
// link, with Toxiproxy (github.com/Shopify/toxiproxy/v2) used in-process as a
// library: a Link is one Toxiproxy proxy listening on 127.0.0.1:0 with
// toxics for latency and jitter, bandwidth, connection resets, black holes,
// slow close and data limits, plus a partition window that can be switched
// on at run time.
//
// Convention: Spec.Latency is the one-way delay added in EACH direction, so
// a link with latency 50ms adds 100 ms to every request/response round trip.
// A TCP handshake never crosses the toxics (the client connects to a local
// listener), so the Dialers add the handshake's round trip themselves: they
// return a connection only after 2 x latency (plus jitter), as a real
// connect over that link would. A bare Link does not.
//
// Dialers route connections through links created on demand, one per
// destination address: Dialer.DialContext has the shape of franz-go's
// kgo.Dialer and Dialer.FastHTTPDial is a fasthttp.DialFunc. Network profiles
// (loopback, same-zone, cross-zone, cross-region, internet, flaky-internet)
// and the Spec type live in scenarios/netspec (profiles.yaml, embedded, each
// figure with a public source or labelled an assumption), so the scenario
// loader can validate them; docs/network.md lists them.
package netem
