package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/reports/results"
	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/runners/netem"
	"github.com/evbench/evbench/scenarios"
)

// TestAttemptPhasesTLS: over TLS, per-delivery connections (keep_alive:
// false) pay a TCP connect and a handshake on every attempt, which the
// split shows and which makes their attempts slower than on kept-alive
// connections; the phases fit inside the attempt they split.
func TestAttemptPhasesTLS(t *testing.T) {
	skipTimingUnderRace(t)
	boundedRuns(t, func() (bad []string) {
		reuse, fresh := subscriber("reuse", 0), subscriber("fresh", 0)
		reuse.TLS, fresh.TLS = true, true
		reuse.KeepAlive, fresh.KeepAlive = yes(), no()
		sc := testScenario(50, 2*time.Second, 0, 3*time.Second, reuse, fresh)
		out := run(t, t.Context(), sc)
		r, f := out.byKey["reuse"], out.byKey["fresh"]
		for _, s := range []*results.Subscriber{r, f} {
			ph := s.AttemptPhases
			if ph == nil {
				t.Fatalf("%s: no attempt phases", s.Name)
			}
			t.Logf("%s: keep_alive %v, %d new connections; means: attempt %.0f us = connect %.0f + tls %.0f + ttfb %.0f + rest",
				s.Name, ph.KeepAlive, ph.NewConnections, s.Attempt.LatencyUS.Mean, ph.Connect.LatencyUS.Mean, ph.TLS.LatencyUS.Mean, ph.TTFB.LatencyUS.Mean)
			if n := ph.Connect.LatencyUS.Count; n != 100 || ph.TLS.LatencyUS.Count != n || ph.TTFB.LatencyUS.Count != n || s.Attempt.LatencyUS.Count != n {
				t.Fatalf("%s: %d/%d/%d phase values for %d attempts, want 100 each", s.Name, n, ph.TLS.LatencyUS.Count, ph.TTFB.LatencyUS.Count, s.Attempt.LatencyUS.Count)
			}
			// The phases are parts of the attempt (rounding: 1 us each).
			if sum := ph.Connect.LatencyUS.Mean + ph.TLS.LatencyUS.Mean + ph.TTFB.LatencyUS.Mean; sum > s.Attempt.LatencyUS.Mean+3 {
				t.Errorf("%s: phases add up to %.0f us, more than the attempt's %.0f us", s.Name, sum, s.Attempt.LatencyUS.Mean)
			}
			if ph.TTFB.LatencyUS.P50 <= 0 {
				t.Errorf("%s: ttfb p50 %d us", s.Name, ph.TTFB.LatencyUS.P50)
			}
		}
		if f.AttemptPhases.KeepAlive || f.AttemptPhases.NewConnections != 100 || f.AttemptPhases.Connect.LatencyUS.P50 <= 0 || f.AttemptPhases.TLS.LatencyUS.P50 <= 0 {
			t.Fatalf("fresh: %+v: want a connection, a connect and a handshake per attempt", f.AttemptPhases)
		}
		if !r.AttemptPhases.KeepAlive || r.AttemptPhases.NewConnections > 64 || r.AttemptPhases.TLS.LatencyUS.P50 != 0 {
			t.Fatalf("reuse: %+v: want a few connections, most attempts without a handshake", r.AttemptPhases)
		}
		// Timing comparisons: on a loaded machine a run may miss them.
		if ft, rt := f.AttemptPhases.TLS.LatencyUS.Mean, r.AttemptPhases.TLS.LatencyUS.Mean; ft <= rt {
			bad = append(bad, fmt.Sprintf("tls mean per attempt: per-delivery %.0f us <= keep-alive %.0f us", ft, rt))
		}
		if fa, ra := f.Attempt.LatencyUS.P50, r.Attempt.LatencyUS.P50; fa <= ra {
			bad = append(bad, fmt.Sprintf("attempt p50: per-delivery %d us <= keep-alive %d us", fa, ra))
		}
		return bad
	})
}

// TestExternalTLSOptions: a plain net/http HTTPS receiver that demands a
// client certificate is reached with ca_file, cert_file and key_file; a
// second subscriber reaches it without the CA through insecure_skip_verify,
// which results and the notes mark.
func TestExternalTLSOptions(t *testing.T) {
	sc := testScenario(20, time.Second, 0, 3*time.Second)
	sec := withSecret(t, sc)
	dir := t.TempDir()
	certPEM, keyPEM := clientCert(t)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srv := httptest.NewUnstartedServer(newReceiver(t, sec))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	ca := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	verified, insecure := external("verified", srv.URL), external("insecure", srv.URL+"/other")
	verified.ClientTLS = &scenarios.ClientTLS{CAFile: ca, CertFile: write("c.pem", certPEM), KeyFile: write("c.key", keyPEM)}
	insecure.ClientTLS = &scenarios.ClientTLS{CertFile: verified.ClientTLS.CertFile, KeyFile: verified.ClientTLS.KeyFile, InsecureSkipVerify: true}
	sc.Subscribers = []scenarios.Subscriber{verified, insecure}

	out := run(t, t.Context(), sc)
	for _, name := range []string{"verified", "insecure"} {
		s := out.byKey[name]
		if s.Accounting.Delivered != 20 || s.Accounting.Lost != 0 || s.Errors.Other != 0 {
			t.Errorf("%s: accounting %+v, errors %+v", name, s.Accounting, s.Errors)
		}
		if s.Endpoint == nil || !s.Endpoint.ClientCertificate || s.Endpoint.InsecureSkipVerify != (name == "insecure") {
			t.Errorf("%s: endpoint %+v", name, s.Endpoint)
		}
	}
	if !hasNote(out.pt, "insecure: INSECURE") || hasNote(out.pt, "verified: INSECURE") {
		t.Errorf("notes: %q", out.pt.Notes)
	}

	// Without the CA and without insecure_skip_verify, nothing is delivered:
	// every attempt fails the certificate check.
	sc2 := testScenario(5, time.Second, 0, time.Second)
	ConfigOf(sc2).Retry.MaxAttempts = 1
	withSecret(t, sc2)
	sc2.Subscribers = []scenarios.Subscriber{external("unverified", srv.URL)}
	s := run(t, t.Context(), sc2).byKey["unverified"]
	if s.Accounting.Delivered != 0 || s.Accounting.DeadLettered != 5 || s.Errors.Other != 5 {
		t.Errorf("unverified: accounting %+v, errors %+v: want every attempt refused by the certificate check", s.Accounting, s.Errors)
	}
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Errorf("server at %s", srv.URL)
	}
}

// clientCert makes a self-signed client certificate (its own CA) and key.
func clientCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "evbench sender"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestAttemptPhasesOverLink: over an emulated 50 ms round-trip link
// (runners/netem, 25 ms each way), a delivery on a new TLS connection pays
// a TCP connect (one round trip) and a TLS 1.3 handshake (one more) before
// its request's own round trip; on a kept-alive connection it pays only the
// request's. The per-delivery deliveries take at least two round trips
// longer, and the connect and TLS phases account for the difference.
func TestAttemptPhasesOverLink(t *testing.T) {
	skipTimingUnderRace(t)
	const rtt = 50 * time.Millisecond
	const n = 10
	wall := map[bool]time.Duration{}
	phases := map[bool]*results.AttemptPhases{}
	for _, keep := range []bool{true, false} {
		gen, mp := newPoint(t, "s")
		secret, _ := NewSecret()
		sink := startSink(t, SinkConfig{Name: "s", TLS: true, Secret: secret, Recorder: mp.Subs[0]})
		link, err := netem.NewDialer(netem.Spec{Latency: rtt / 2})
		if err != nil {
			t.Fatal(err)
		}
		defer link.Close()
		cfg := DispatcherConfig{Webhook: *ConfigOf(testScenario(1, time.Second, 0, 0)), Secret: secret, RootCAs: sink.Cert().Pool()}
		ph := NewPhases()
		d, err := NewDispatcher(cfg, []Target{{Name: "s", URL: sink.URL(), Sub: mp.Subs[0], KeepAlive: &keep, Phases: ph, Dial: link.FastHTTPDialTimeout}})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		// One delivery at a time (sent -> 2xx received), after one to open
		// the first connection.
		send := func(i int) time.Duration {
			t0 := time.Now()
			d.Dispatch(load.Event{ID: gen.IDBase() + uint64(i), Seq: uint64(i), Intended: load.Now(), Payload: []byte(`{}`)})
			waitFor(t, "answer", 10*time.Second, func() bool { return d.Acked() == int64(i+1) })
			return time.Since(t0)
		}
		send(0)
		var total time.Duration
		for i := 1; i <= n; i++ {
			total += send(i)
		}
		wall[keep] = total / n
		r, err := ph.Result(keep)
		if err != nil {
			t.Fatal(err)
		}
		phases[keep] = r
		t.Logf("keep_alive %v: delivery %v on average; phase means: connect %.1f ms, tls %.1f ms, ttfb %.1f ms; %d new connections",
			keep, wall[keep], r.Connect.LatencyUS.Mean/1000, r.TLS.LatencyUS.Mean/1000, r.TTFB.LatencyUS.Mean/1000, r.NewConnections)
	}
	ka, pd := phases[true], phases[false]
	if ka.NewConnections != 1 || pd.NewConnections != n+1 {
		t.Fatalf("new connections: keep-alive %d (want 1), per-delivery %d (want %d)", ka.NewConnections, pd.NewConnections, n+1)
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) }
	// Each phase of a new connection is at least one round trip.
	if pd.Connect.LatencyUS.P50 < rtt.Microseconds() || pd.TLS.LatencyUS.P50 < rtt.Microseconds() || pd.TTFB.LatencyUS.P50 < rtt.Microseconds() {
		t.Errorf("per-delivery phase p50s: connect %d us, tls %d us, ttfb %d us: want each >= one round trip (%v)",
			pd.Connect.LatencyUS.P50, pd.TLS.LatencyUS.P50, pd.TTFB.LatencyUS.P50, rtt)
	}
	if ka.TTFB.LatencyUS.P50 < rtt.Microseconds() || ka.Connect.LatencyUS.P50 != 0 || ka.TLS.LatencyUS.P50 != 0 {
		t.Errorf("keep-alive phase p50s: connect %d us, tls %d us, ttfb %d us: want 0, 0 and >= one round trip",
			ka.Connect.LatencyUS.P50, ka.TLS.LatencyUS.P50, ka.TTFB.LatencyUS.P50)
	}
	diff := wall[false] - wall[true]
	if diff < 2*rtt*9/10 {
		t.Errorf("per-delivery deliveries took %v longer than kept-alive ones, want at least two round trips (%v, less 10%% for jitter in the timers)", diff, 2*rtt)
	}
	// The connect and TLS phases account for the difference (within half
	// a round trip: scheduling, the sink's accept, the machine's load).
	split := pd.Connect.LatencyUS.Mean + pd.TLS.LatencyUS.Mean - ka.Connect.LatencyUS.Mean - ka.TLS.LatencyUS.Mean
	if d := split - us(diff); d < -us(rtt/2) || d > us(rtt/2) {
		t.Errorf("connect + TLS account for %.1f ms of the %v difference", split/1000, diff)
	}
}

// TestAttemptPhasesWarmupConnection: a connection opened during the
// warm-up is paid for there; measured attempts reusing it record no
// connect or handshake. (Before the fix the first measured attempt on it
// claimed its opening cost.)
func TestAttemptPhasesWarmupConnection(t *testing.T) {
	sub := subscriber("kept", 0)
	sub.TLS = true
	sc := testScenario(20, time.Second, time.Second, 2*time.Second, sub)
	ConfigOf(sc).MaxInFlight = 1 // one connection, opened in the warm-up
	ph := run(t, t.Context(), sc).byKey["kept"].AttemptPhases
	if ph == nil || ph.Connect.LatencyUS.Count != 20 || ph.NewConnections != 0 || ph.TLS.LatencyUS.Max != 0 || ph.Connect.LatencyUS.Max != 0 {
		t.Fatalf("attempt phases %+v: want 20 measured attempts, none opening a connection", ph)
	}
}
