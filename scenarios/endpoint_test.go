package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/evbench/evbench/scenarios"
)

// TestEndpointValidation checks url subscribers: what loads, and that
// every refusal names the key and says why.
func TestEndpointValidation(t *testing.T) {
	dir := t.TempDir()
	writePEMs(t, filepath.Join(dir, "ca.pem"), filepath.Join(dir, "c.pem"), filepath.Join(dir, "c.key"))
	if err := os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "load: {rate: 10/s, duration: 1s, warmup: 0s}\nsystems: {webhook: {signing: {secret_env: EVB_SECRET}}}\nsubscribers:\n"
	cases := []struct {
		name, subs, want string
	}{
		{"plain http", "  - {name: a, url: 'http://127.0.0.1:9/hook'}", ""},
		{"https with options", "  - {name: a, url: 'https://h.example/x', headers: {Authorization: Bearer x}, keep_alive: false, tls: {ca_file: ca.pem, cert_file: c.pem, key_file: c.key}}", ""},
		{"insecure", "  - {name: a, url: 'https://h.example/x', tls: {insecure_skip_verify: true}}", ""},
		{"sink ledger", "  - {name: a, url: 'http://127.0.0.1:9/webhook/a', sink_ledger: true}", ""},
		{"keep_alive on a sink", "  - {name: a, keep_alive: false}", ""},
		{"bad scheme", "  - {name: a, url: 'ftp://h/x'}", `subscribers[0].url: scheme "ftp" is not http or https`},
		{"no host", "  - {name: a, url: 'http:///x'}", "has no host"},
		{"bad port", "  - {name: a, url: 'http://h:99999/x'}", "is not a TCP port"},
		{"userinfo", "  - {name: a, url: 'http://u:p@h/x'}", "user information"},
		{"headers without url", "  - {name: a, headers: {X-A: b}}", "subscribers[0].headers: headers need a url"},
		{"ledger without url", "  - {name: a, sink_ledger: true}", "subscribers[0].sink_ledger: sink_ledger need a url"},
		{"tls options without url", "  - {name: a, tls: {insecure_skip_verify: true}}", "subscribers[0].tls: TLS client options need a url"},
		{"tls options on http", "  - {name: a, url: 'http://h/x', tls: {insecure_skip_verify: true}}", "need an https:// url"},
		{"tls true with url", "  - {name: a, url: 'https://h/x', tls: true}", "tls: true makes an in-process sink serve HTTPS"},
		{"missing ca", "  - {name: a, url: 'https://h/x', tls: {ca_file: nope.pem}}", `subscribers[0].tls.ca_file: cannot read`},
		{"junk ca", "  - {name: a, url: 'https://h/x', tls: {ca_file: junk.pem}}", "holds no PEM certificate"},
		{"cert without key", "  - {name: a, url: 'https://h/x', tls: {cert_file: c.pem}}", "needs both cert_file and key_file"},
		{"fault on url", "  - {name: a, url: 'http://h/x', faults: [{kind: down, at: 0s}]}", "a down fault is applied by the in-process sink"},
		{"processing on url", "  - {name: a, url: 'http://h/x', processing: 5ms}", "subscribers[0].processing: a url subscriber's processing"},
		{"ack on url", "  - {name: a, url: 'http://h/x', ack: before-processing}", "subscribers[0].ack:"},
		{"reserved header", "  - {name: a, url: 'http://h/x', headers: {webhook-signature: x}}", "Webhook-Signature is set by the sender"},
		{"bad header name", "  - {name: a, url: 'http://h/x', headers: {'a b': x}}", "is not a valid HTTP header name"},
		{"header line break", "  - {name: a, url: 'http://h/x', headers: {X-A: \"a\\nb\"}}", "control character"},
		{"sweep copies a ledger subscriber", "  - {name: a, url: 'http://h/webhook/s', sink_ledger: true}\nsweep: {subscribers: [1, 2]}", "2 copies of a sink_ledger subscriber would read one sink's ledger"},
		{"count copies a ledger subscriber", "  - {name: a, url: 'http://h/webhook/s', sink_ledger: true, count: 2}", "reads the ledger of the same sink"},
		{"ledger with warm-up", "  - {name: a, url: 'http://h/webhook/s', sink_ledger: true}\nsweep: {rate: [5/s]}\n", ""},
		{"two ledgers one sink", "  - {name: a, url: 'http://h/webhook/s', sink_ledger: true}\n  - {name: b, url: 'http://h/webhook/s', sink_ledger: true}", "subscribers[1].url: subscribers[0] reads the ledger of the same sink"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadBytes(filepath.Join(dir, "s.yaml"), []byte(head+c.subs+"\n"))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("loaded; want an error with %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q does not say %q", err, c.want)
			}
		})
	}
	// Signing off or a generated secret cannot read a sink's ledger.
	_, err := LoadBytes("s.yaml", []byte("load: {rate: 10/s, duration: 1s, warmup: 0s}\nsystems: {webhook: {}}\nsubscribers: [{name: a, url: 'http://h/x', sink_ledger: true}]\n"))
	if err == nil || !strings.Contains(err.Error(), "needs systems.webhook.signing on with a secret_env") {
		t.Errorf("sink_ledger without secret_env: %v", err)
	}
	_, err = LoadBytes("s.yaml", []byte("load: {rate: 10/s, duration: 1s}\nsystems: {webhook: {signing: {secret_env: EVB}}}\nsubscribers: [{name: a, url: 'http://h/x', sink_ledger: true}]\n"))
	if err == nil || !strings.Contains(err.Error(), "load.warmup: 2s of warm-up with a sink_ledger subscriber") {
		t.Errorf("sink_ledger with the default warm-up: %v", err)
	}
	// Kafka and bridge would measure in-process consumers under the name.
	_, err = LoadBytes("s.yaml", []byte("load: {rate: 10/s, duration: 1s}\nsystems: {webhook: {}, kafka: {}}\nsubscribers: [{name: a, url: 'http://h/x'}]\n"))
	if err == nil || !strings.Contains(err.Error(), "systems kafka and bridge would measure an in-process consumer") {
		t.Errorf("url with kafka: %v", err)
	}
	// Relative TLS paths resolve against the scenario file.
	s, err := LoadBytes(filepath.Join(dir, "s.yaml"), []byte(head+"  - {name: a, url: 'https://h/x', tls: {ca_file: ca.pem}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Subscribers[0].ClientTLS.CAFile; got != filepath.Join(dir, "ca.pem") {
		t.Errorf("ca_file resolved to %q", got)
	}
}

// TestEndpointRedacted checks that header values and URL queries, which
// often carry credentials, never reach results, and that redaction leaves
// the scenario itself alone.
func TestEndpointRedacted(t *testing.T) {
	s, err := LoadBytes("s.yaml", []byte("load: {rate: 10/s, duration: 1s}\nsystems: {webhook: {}}\nsubscribers: [{name: a, url: 'http://h/x?token=sekrit', headers: {Authorization: Bearer sekrit}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "sekrit") || !strings.Contains(string(b), `"Authorization": "[redacted]"`) || !strings.Contains(string(b), `http://h/x?[redacted]`) {
		t.Errorf("results scenario not redacted:\n%s", b)
	}
	if s.Subscribers[0].Headers["Authorization"] != "Bearer sekrit" || s.Subscribers[0].URL != "http://h/x?token=sekrit" {
		t.Errorf("redaction changed the scenario: %+v", s.Subscribers[0])
	}
}
