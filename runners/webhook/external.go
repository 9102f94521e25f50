package webhook

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/evbench/evbench/internal/limitedfile"
	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/scenarios"
)

// External receivers (issue 11 item 1): a subscriber with a url is
// delivered to over the network like an in-process sink, but the runner
// only sees its answers. Without a ledger a 2xx is the delivery (the
// dispatcher records it, Target.Acks); with sink_ledger the receiver is an
// `evbench sink` whose ledger replaces those counts at the end (ledgerread.go).

// clientTLS builds the TLS client configuration of a url subscriber. The
// scenario loader has read and checked the files already; they are read
// again here, bounded, because they may have changed since.
func clientTLS(t *scenarios.ClientTLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t == nil {
		return cfg, nil
	}
	cfg.InsecureSkipVerify = t.InsecureSkipVerify //nolint:gosec // opt-in, labelled in results and the report
	if t.CAFile != "" {
		pem, err := limitedfile.Read(t.CAFile, scenarios.MaxSecretFileBytes)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificate in it", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, fmt.Errorf("tls: cert_file and key_file go together")
	}
	if t.CertFile != "" {
		cert, err := limitedfile.Read(t.CertFile, scenarios.MaxSecretFileBytes)
		if err != nil {
			return nil, fmt.Errorf("tls cert_file: %w", err)
		}
		key, err := limitedfile.Read(t.KeyFile, scenarios.MaxSecretFileBytes)
		if err != nil {
			return nil, fmt.Errorf("tls key_file: %w", err)
		}
		c, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

// externalTarget builds the dispatcher target of a url subscriber.
func externalTarget(spec scenarios.Subscriber, t *Target) error {
	t.URL = spec.URL
	t.Headers = spec.Headers
	t.Acks = true
	if spec.ClientTLS != nil {
		cfg, err := clientTLS(spec.ClientTLS)
		if err != nil {
			return fmt.Errorf("subscriber %s: %w", spec.Name, err)
		}
		t.TLS = cfg
	}
	return nil
}

// endpointResult describes a url subscriber for results.json.
func endpointResult(spec scenarios.Subscriber) *results.Endpoint {
	if !spec.External() {
		return nil
	}
	red := scenarios.Scenario{Subscribers: []scenarios.Subscriber{spec}}
	ep := &results.Endpoint{URL: red.Redacted().Subscribers[0].URL, Mode: results.EndpointAck, Headers: len(spec.Headers)}
	if spec.SinkLedger {
		ep.Mode = results.EndpointSinkLedger
	}
	if t := spec.ClientTLS; t != nil {
		ep.InsecureSkipVerify = t.InsecureSkipVerify
		ep.ClientCertificate = t.CertFile != ""
	}
	return ep
}

// keepAlive is the subscriber's connection mode.
func keepAlive(spec scenarios.Subscriber, w Config) bool {
	if spec.KeepAlive != nil {
		return *spec.KeepAlive
	}
	return w.Connections != scenarios.ConnPerDelivery
}

// endpointNotes are the notes a point with url subscribers carries.
func endpointNotes(subs []scenarios.Subscriber) []string {
	var out []string
	for _, s := range subs {
		if !s.External() {
			continue
		}
		ep := endpointResult(s)
		if s.SinkLedger {
			out = append(out, fmt.Sprintf("subscriber %s is an evbench sink at %s: delivered, duplicates and lost come from its ledger, e2e is intended -> processing done on the sink's clock", s.Name, ep.URL))
		} else {
			out = append(out, fmt.Sprintf("subscriber %s is an external receiver at %s: delivered counts 2xx acknowledgements and e2e is intended -> 2xx received, not processing complete", s.Name, ep.URL))
		}
		if ep.InsecureSkipVerify {
			out = append(out, fmt.Sprintf("subscriber %s: INSECURE: its TLS certificate was not verified (insecure_skip_verify)", s.Name))
		}
	}
	return out
}

// attachEndpoints adds each subscriber's attempt phases and, for a url
// subscriber, its endpoint description to the point's results.
func attachEndpoints(res *results.Point, subs []scenarios.Subscriber, w Config, phases []*Phases) error {
	for i := range res.Subscribers {
		if i >= len(subs) || i >= len(phases) {
			break
		}
		ph, err := phases[i].Result(keepAlive(subs[i], w))
		if err != nil {
			return fmt.Errorf("subscriber %s: %w", subs[i].Name, err)
		}
		res.Subscribers[i].AttemptPhases = ph
		if ep := endpointResult(subs[i]); ep != nil {
			res.Subscribers[i].Endpoint = ep
		}
	}
	return nil
}
