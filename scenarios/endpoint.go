package scenarios

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
)

// ClientTLS configures the TLS client of a subscriber with a url: the CA
// that signed the receiver's certificate, a client certificate and key, or
// (test receivers only) no verification at all. It has the keys of
// systems.kafka.tls and is written as subscribers[].tls: {...}.
type ClientTLS = KafkaTLS

// External reports whether the subscriber is a real receiver at URL rather
// than an in-process sink.
func (s Subscriber) External() bool { return s.URL != "" }

// Limits of a subscriber's endpoint settings.
const (
	// MaxHeaders bounds subscribers[].headers.
	MaxHeaders = 64
	// MaxHeaderBytes bounds one header's name plus value.
	MaxHeaderBytes = 8 << 10
	// MaxURLBytes bounds subscribers[].url.
	MaxURLBytes = 2048
)

// tlsKeys are the keys of a TLS client block (a url subscriber's tls:, and
// systems.kafka.tls, which has the same form).
var tlsKeys = []string{"ca_file", "cert_file", "key_file", "insecure_skip_verify"}

// reservedHeaders are set by the sender on every attempt; a subscriber's
// headers may not replace them (a signature over another id would fail).
var reservedHeaders = []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Content-Type", "Content-Length",
	"Host", "Connection", "Transfer-Encoding", "X-Evbench-Intended", "X-Evbench-Key"}

// endpoint decodes the endpoint keys of one subscriber: url, headers,
// keep_alive, sink_ledger, and tls (a boolean for an in-process sink, or a
// mapping of client options for a url subscriber). recorded is the
// scenario file relative TLS paths resolve against.
func (d *decoder) endpoint(so *Object, sub *Subscriber, recorded string) {
	if !d.ok() {
		return
	}
	so.str("url", &sub.URL)
	so.boolp("keep_alive", &sub.KeepAlive)
	so.boolv("sink_ledger", &sub.SinkLedger)
	if so.has("headers") && d.ok() {
		hp, hn := so.p("headers"), so.val("headers")
		if hn.kind != kindMap && hn.kind != kindNull {
			d.fail(hn, hp, "must be a mapping of HTTP header names to values, e.g. {Authorization: Bearer abc}, got "+hn.describe(), "")
			return
		}
		sub.Headers = map[string]string{}
		for i, key := range hn.keys {
			kp := join(hp, key.text)
			d.record(kp, key, hn.vals[i])
			v, ok := d.scalarText(hn.vals[i], kp)
			if !ok {
				return
			}
			sub.Headers[key.text] = v
		}
	}
	if !so.has("tls") || !d.ok() {
		return
	}
	tn := so.val("tls")
	if tn.kind != kindMap {
		so.boolv("tls", &sub.TLS)
		return
	}
	to := d.object(tn, so.p("tls"), tlsKeys)
	if to == nil {
		return
	}
	t := &ClientTLS{}
	to.str("ca_file", &t.CAFile)
	to.str("cert_file", &t.CertFile)
	to.str("key_file", &t.KeyFile)
	to.boolv("insecure_skip_verify", &t.InsecureSkipVerify)
	if dir := filepath.Dir(recorded); recorded != "" && dir != "." {
		for _, p := range []*string{&t.CAFile, &t.CertFile, &t.KeyFile} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
	sub.ClientTLS = t
}

// endpoint checks a subscriber's endpoint settings: a url subscriber is a
// real receiver, so everything only an in-process sink can do (simulated
// processing, ack mode, faults, serving TLS) is refused, as are systems
// that would measure an in-process consumer under the same name.
func (c *Checker) endpoint(p string, s *Scenario, sub Subscriber) {
	if sub.URL == "" {
		for key, set := range map[string]bool{"headers": len(sub.Headers) > 0, "sink_ledger": sub.SinkLedger, "tls": sub.ClientTLS != nil} {
			if set {
				what := "TLS client options"
				if key != "tls" {
					what = key
				}
				c.add(p+"."+key, what+" need a url: an in-process sink needs none", "a url subscriber, or leave it out")
			}
		}
		return
	}
	if len(sub.URL) > MaxURLBytes {
		c.add(p+".url", fmt.Sprintf("%d bytes is longer than the maximum %d", len(sub.URL), MaxURLBytes), "")
		return
	}
	u, err := url.Parse(sub.URL)
	switch {
	case err != nil:
		c.add(p+".url", fmt.Sprintf("%q is not a URL: %v", sub.URL, strings.TrimPrefix(err.Error(), "parse ")), allowedURL)
		return
	case u.Scheme != "http" && u.Scheme != "https":
		c.add(p+".url", fmt.Sprintf("scheme %q is not http or https", u.Scheme), allowedURL)
		return
	case u.Hostname() == "":
		c.add(p+".url", fmt.Sprintf("%q has no host", sub.URL), allowedURL)
		return
	case u.User != nil:
		c.add(p+".url", "user information in the URL is not sent; use headers (e.g. Authorization) instead", allowedURL)
		return
	case u.Fragment != "":
		c.add(p+".url", "a fragment (#...) is never sent to a server", allowedURL)
		return
	}
	if port := u.Port(); port != "" {
		if _, err := net.LookupPort("tcp", port); err != nil || port == "0" {
			c.add(p+".url", fmt.Sprintf("port %q is not a TCP port", port), allowedURL)
		}
	}
	// Only an in-process sink can simulate these.
	if sub.Processing.Kind != DistFixed || sub.Processing.Value != 0 {
		c.add(p+".processing", "a url subscriber's processing is whatever the receiver does: it cannot be simulated", "leave processing out for a url subscriber")
	}
	if sub.Ack != DefaultAck {
		c.add(p+".ack", "a url subscriber answers when it chooses: the ack mode cannot be simulated", "leave ack out for a url subscriber")
	}
	if sub.TLS {
		c.add(p+".tls", "tls: true makes an in-process sink serve HTTPS; a url subscriber uses https:// and optional TLS client options", "https:// in the url, tls: {ca_file, cert_file, key_file, insecure_skip_verify}")
	}
	for j, f := range sub.Faults {
		if f.Kind == FaultPartition {
			continue // on the network link, not in a sink
		}
		c.add(index(p+".faults", j)+".kind", fmt.Sprintf("a %s fault is applied by the in-process sink, which a url subscriber does not have", f.Kind), "no faults on a url subscriber (network faults on its link are separate)")
	}
	if enabled, others := urlSystems(s); len(enabled) > 0 {
		c.add(p+".url", "a url subscriber is a real webhook receiver, but systems "+others+" would measure an in-process consumer group under the same name", "run "+others+" in a scenario without url subscribers")
	}
	if sub.ClientTLS != nil {
		if u.Scheme != "https" {
			c.add(p+".tls", "TLS client options need an https:// url", "an https:// url")
		}
		if (sub.ClientTLS.CertFile == "") != (sub.ClientTLS.KeyFile == "") {
			missing := "key_file"
			if sub.ClientTLS.CertFile == "" {
				missing = "cert_file"
			}
			c.add(p+".tls."+missing, "a client certificate needs both cert_file and key_file", "")
		}
		c.tlsFiles(p+".tls", sub.ClientTLS)
	}
	if len(sub.Headers) > MaxHeaders {
		c.add(p+".headers", fmt.Sprintf("%d headers is more than the maximum %d", len(sub.Headers), MaxHeaders), "")
	}
	for k, v := range sub.Headers {
		hp := p + ".headers." + k
		switch {
		case !validHeaderName(k):
			c.add(hp, fmt.Sprintf("%q is not a valid HTTP header name", k), "letters, digits and !#$%&'*+-.^_`|~")
		case !validHeaderValue(v):
			c.add(hp, "the value holds a control character (a line break would split the request)", "printable characters and tabs")
		case len(k)+len(v) > MaxHeaderBytes:
			c.add(hp, fmt.Sprintf("%d bytes is more than the maximum %d", len(k)+len(v), MaxHeaderBytes), "")
		default:
			for _, r := range reservedHeaders {
				if http.CanonicalHeaderKey(k) == r {
					c.add(hp, fmt.Sprintf("%s is set by the sender on every attempt", r), "any other header")
				}
			}
		}
	}
	if sub.SinkLedger {
		if !s.Systems.deliversToURLs() { // else that block checks the signing secret
			c.add(p+".sink_ledger", SinkLedgerNeedsSecret, SinkLedgerNeedsSecretAllowed)
		}
		if s.Load.Warmup > 0 {
			c.addAt("load.warmup", p+".sink_ledger", fmt.Sprintf("%v of warm-up with a sink_ledger subscriber: the sink's latency histogram cannot tell warm-up deliveries from measured ones", s.Load.Warmup), "warmup: 0s in a scenario with a sink_ledger subscriber")
		}
	}
}

// urlSystems returns the enabled systems that cannot deliver to a url
// subscriber (SystemBlock.URLSubscribers false) and, for messages, every
// registered one that cannot ("kafka and bridge").
func urlSystems(s *Scenario) (enabled []string, registered string) {
	for _, n := range s.Systems.Names() {
		if b, ok := LookupSystem(n); !ok || !b.URLSubscribers {
			enabled = append(enabled, n)
		}
	}
	var all []string
	for _, b := range SystemBlocks() {
		if !b.URLSubscribers {
			all = append(all, b.Name)
		}
	}
	return enabled, andList(all)
}

// andList joins names as "a", "a and b", "a, b and c".
func andList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// deliversToURLs reports whether an enabled system delivers to url
// subscribers.
func (s Systems) deliversToURLs() bool {
	for _, n := range s.Names() {
		if b, ok := LookupSystem(n); ok && b.URLSubscribers {
			return true
		}
	}
	return false
}

// The problem of a sink_ledger subscriber whose sink's ledger cannot be
// read (its signing secret is unknown); the webhook block reports it too.
const (
	SinkLedgerNeedsSecret        = "the ledger is read with the signing secret the sink was started with: it needs systems.webhook.signing on with a secret_env"
	SinkLedgerNeedsSecretAllowed = "systems.webhook.signing.secret_env set to the variable the sink reads (--secret-env)"
)

// sinkLedgers refuses two subscribers reading one sink's ledger: the sink
// keeps one set per run, so their deliveries could not be told apart.
func (c *Checker) sinkLedgers(s *Scenario) {
	seen := map[string]int{}
	for i, sub := range s.Subscribers {
		if !sub.SinkLedger || sub.URL == "" {
			continue
		}
		if j, dup := seen[sub.URL]; dup {
			c.add(index("subscribers", i)+".url", fmt.Sprintf("subscribers[%d] reads the ledger of the same sink: the sink keeps one set of ids per run, so the two could not be told apart", j), "one evbench sink per sink_ledger subscriber (start one per --name)")
			continue
		}
		seen[sub.URL] = i
	}
	// A sweep over subscriber counts copies a single subscriber N times.
	if t := s.template(); t != nil && t.SinkLedger && s.Sweep != nil {
		for i, n := range s.Sweep.Subscribers {
			if n > 1 {
				c.add(index("sweep.subscribers", i), fmt.Sprintf("%d copies of a sink_ledger subscriber would read one sink's ledger", n), "1, or a scenario with one evbench sink per subscriber")
				return
			}
		}
	}
}

const allowedURL = "http://host[:port]/path or https://host[:port]/path"

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		b := k[i]
		if b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0 {
			continue
		}
		return false
	}
	return true
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// redactEndpoints replaces what may be credentials of url subscribers:
// every header value (Authorization, API keys: there is no telling which
// are secret) and the URL's query string (tokens are often passed there).
func redactEndpoints(subs []Subscriber) {
	for i := range subs {
		s := &subs[i]
		for k := range s.Headers {
			s.Headers[k] = redactedMark
		}
		if q := strings.IndexByte(s.URL, '?'); q >= 0 {
			s.URL = s.URL[:q+1] + redactedMark
		}
	}
}
