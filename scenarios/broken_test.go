package scenarios_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	. "github.com/evbench/evbench/scenarios"
)

// minimal is the smallest valid scenario; broken cases change one thing.
const minimal = `load: {rate: 100/s}
subscribers: [{name: a}]
systems: {webhook: {}}
`

// brokenCases are scenario files with exactly one mistake each, the
// position the error must name and a fragment of its message. Positions
// are 1-based line:column of the offending key or value.
var brokenCases = []struct {
	name      string
	yaml      string
	line, col int
	key       string
	frag      string
}{
	{"empty file", ``, 1, 1, "", "empty scenario"},
	{"only comments", "# nothing here\n", 1, 1, "", "empty scenario"},
	{"list root", "- load\n- systems\n", 1, 1, "", "top level of a scenario must be a mapping"},
	{"scalar root", "hello\n", 1, 1, "", "must be a mapping"},
	{"syntax error", "load: {rate: 100/s\nsystems: {}\n", 2, 1, "", "YAML syntax error"},
	{"duplicate key", minimal + "load: {rate: 5/s}\n", 4, 1, "", "duplicate key"},
	{"two documents", minimal + "---\n" + minimal, 4, 1, "", "exactly one YAML document"},
	{"yaml tag", "load: !!map {rate: 100/s}\n", 1, 7, "", "tags"},
	{"unknown top key", minimal + "subscriber: []\n", 4, 1, "subscriber", `unknown key "subscriber" (did you mean "subscribers"?)`},
	{"unknown load key", "load: {rate: 100/s, duraton: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 21, "load.duraton", `did you mean "duration"`},
	{"bare rate", "load: {rate: 100}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 14, "load.rate", `"100" has no unit`},
	{"bad rate unit", "load: {rate: 100/sec}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 14, "load.rate", `unknown rate unit "/sec"`},
	{"zero rate", "load: {rate: 0/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 14, "load.rate", "needs a rate greater than 0"},
	{"missing rate", "load: {duration: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 1, "load.rate", "needs a rate greater than 0"},
	{"bare duration", "load:\n  rate: 100/s\n  duration: 30\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 3, 13, "load.duration", `"30" has no unit`},
	{"negative duration", "load:\n  rate: 100/s\n  warmup: -1s\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 3, 11, "load.warmup", "negative"},
	{"unknown arrival", "load: {arrival: burst, rate: 1/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 17, "load.arrival", `"burst" is not allowed`},
	{"ramp without to", "load: {arrival: ramp, from: 1/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 17, "load.to", "ramp"},
	{"rate on a ramp", "load: {arrival: ramp, from: 1/s, to: 5/s, rate: 3/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 43, "load.rate", "not used by arrival ramp"},
	{"steps empty", "load: {arrival: steps, steps: []}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 24, "load.steps", "at least one step"},
	{"step without for", "load:\n  arrival: steps\n  steps:\n    - {rate: 10/s, for: 5s}\n    - {rate: 20/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 5, 8, "load.steps[1].for", "for"},
	{"spike missing peak", "load: {arrival: spike, base: 10/s, at: 5s, for: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 17, "load.peak", "spike"},
	{"spike after the end", "load: {arrival: spike, base: 10/s, peak: 50/s, at: 25s, for: 10s, duration: 30s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 62, "load.for", "ends after the measured period"},
	{"bad size unit", "load: {rate: 1/s}\nevent: {size: 1kb}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 2, 15, "event.size", `unknown size unit "kb"`},
	{"keys zero", "load: {rate: 1/s}\nevent: {keys: 0}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 2, 15, "event.keys", "out of range"},
	{"keys not a number", "load: {rate: 1/s}\nevent: {keys: many}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 2, 15, "event.keys", "must be a whole number"},
	{"no subscribers", "load: {rate: 1/s}\nsubscribers: []\nsystems: {webhook: {}}\n", 2, 1, "subscribers", "no subscribers"},
	{"missing subscribers", "load: {rate: 1/s}\nsystems: {webhook: {}}\n", 1, 1, "subscribers", "missing subscribers"},
	{"subscriber without name", "load: {rate: 1/s}\nsubscribers:\n  - processing: 5ms\nsystems: {webhook: {}}\n", 3, 5, "subscribers[0].name", "needs a name"},
	{"lognormal p99 below median", "load: {rate: 1/s}\nsubscribers:\n  - name: fraud\n    processing: {dist: lognormal, median: 20ms, p99: 10ms}\nsystems: {webhook: {}}\n", 4, 54, "subscribers[0].processing.p99", "below the median"},
	{"dist field for another kind", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    processing: {dist: uniform, min: 1ms, max: 2ms, mean: 3ms}\nsystems: {webhook: {}}\n", 4, 53, "subscribers[0].processing.mean", "not used by dist uniform"},
	{"unknown dist", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    processing: {dist: normal, mean: 3ms}\nsystems: {webhook: {}}\n", 4, 24, "subscribers[0].processing.dist", `"normal" is not allowed`},
	{"processing without unit", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    processing: 5\nsystems: {webhook: {}}\n", 4, 17, "subscribers[0].processing", `"5" has no unit`},
	{"count zero", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    count: 0\nsystems: {webhook: {}}\n", 4, 12, "subscribers[0].count", "out of range"},
	{"count too large", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    count: 10001\nsystems: {webhook: {}}\n", 4, 12, "subscribers[0].count", "1 to 10000"},
	{"duplicate after expansion", "load: {rate: 1/s}\nsubscribers:\n  - name: sink\n    count: 3\n  - name: sink-2\nsystems: {webhook: {}}\n", 5, 11, "subscribers[1].name", `"sink-2" is already used by subscribers[0]`},
	{"bad ack", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    ack: later\nsystems: {webhook: {}}\n", 4, 10, "subscribers[0].ack", "after-processing, before-processing"},
	{"unknown fault kind", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    faults:\n      - kind: flaky\n        at: 1s\nsystems: {webhook: {}}\n", 5, 15, "subscribers[0].faults[0].kind", "down, errors, slow, pause, hang"},
	{"fault field for another kind", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    faults:\n      - kind: down\n        status: 503\nsystems: {webhook: {}}\n", 6, 9, "subscribers[0].faults[0].status", "not meaningful for a down fault"},
	{"probability above 1", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    faults:\n      - kind: errors\n        probability: 1.5\nsystems: {webhook: {}}\n", 6, 22, "subscribers[0].faults[0].probability", "outside (0, 1]"},
	{"probability zero", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    faults:\n      - kind: errors\n        probability: 0\nsystems: {webhook: {}}\n", 6, 22, "subscribers[0].faults[0].probability", "0 would never inject an error"},
	{"status outside 100-599", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    faults:\n      - {kind: errors, status: 600}\nsystems: {webhook: {}}\n", 5, 32, "subscribers[0].faults[0].status", "100 to 599"},
	{"slow without add", "load: {rate: 1/s}\nsubscribers:\n  - name: a\n    faults:\n      - {kind: slow, at: 1s}\nsystems: {webhook: {}}\n", 5, 16, "subscribers[0].faults[0].add", "adds latency"},
	{"fault after the run", "load: {rate: 1/s, duration: 5s, drain: 5s}\nsubscribers:\n  - name: a\n    faults:\n      - {kind: down, at: 10s}\nsystems: {webhook: {}}\n", 5, 26, "subscribers[0].faults[0].at", "never happen"},
	{"fault in an expanded subscriber", "load: {rate: 1/s}\nsubscribers:\n  - {name: ok}\n  - name: many\n    count: 3\n    faults: [{kind: errors, probability: -0.5}]\nsystems: {webhook: {}}\n", 6, 42, "subscribers[1].faults[0].probability", "outside (0, 1]"},
	{"no systems", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems: {}\n", 3, 1, "systems", "no systems"},
	{"unknown system", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems: {rabbitmq: {}}\n", 3, 11, "systems.rabbitmq", "webhook, kafka, bridge"},
	{"acks 2", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {acks: 2}\n", 4, 17, "systems.kafka.acks", "0, 1, all"},
	{"idempotent without acks all", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    acks: 1\n    idempotent: true\n", 6, 17, "systems.kafka.idempotent", "requires acks: all"},
	{"bad compression", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {compression: brotli}\n", 4, 24, "systems.kafka.compression", "none, gzip, snappy, lz4, zstd"},
	{"partitions zero", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    topic: {partitions: 0}\n", 5, 25, "systems.kafka.topic.partitions", "out of range"},
	{"commit_mode with auto commit", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {commit: auto, commit_mode: sync}\n", 4, 25, "systems.kafka.commit_mode", "not used with commit: auto"},
	{"bad brokers", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {brokers: \"localhost\"}\n", 4, 20, "systems.kafka.brokers", "host:port"},
	{"tls on the embedded broker", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    tls: {ca_file: ca.pem}\n", 5, 5, "systems.kafka.tls", "real clusters"},
	{"sasl mechanism", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k:9092\n    sasl: {mechanism: gssapi, username_env: U, password_env: P}\n", 6, 23, "systems.kafka.sasl.mechanism", "plain, scram-sha-256, scram-sha-512"},
	{"secret in the file", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n    signing: {secret: whsec_abc}\n", 5, 15, "systems.webhook.signing.secret", "enabled, secret_env"},
	{"max_attempts zero", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n    retry: {max_attempts: 0}\n", 5, 27, "systems.webhook.retry.max_attempts", "out of range"},
	{"schedule backoff without list", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n    retry:\n      backoff: schedule\n", 6, 16, "systems.webhook.retry.schedule", "needs a schedule"},
	{"schedule shorter than attempts", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n    retry: {schedule: [1s, 2s], max_attempts: 6}\n", 5, 47, "systems.webhook.retry.max_attempts", "at most 3"},
	{"jitter above 1", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n    retry: {jitter: 2}\n", 5, 21, "systems.webhook.retry.jitter", "outside [0, 1]"},
	{"bad connections", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook: {connections: pooled}\n", 4, 26, "systems.webhook.connections", "keepalive, per-delivery"},
	{"bool as string", "load: {rate: 1/s}\nsubscribers: [{name: a, tls: \"yes\"}]\nsystems: {webhook: {}}\n", 2, 30, "subscribers[0].tls", "true or false"},
	{"bridge ack", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  bridge: {ack: never}\n", 4, 17, "systems.bridge.ack", "after-produce, before-produce"},
	{"threshold without unit", minimal + "thresholds: [\"e2e.p99 < 500\"]\n", 4, 14, "thresholds[0]", "has no unit"},
	{"threshold unknown metric", minimal + "thresholds:\n  - \"e2e.p98 < 5ms\"\n", 5, 5, "thresholds[0]", `unknown metric "e2e.p98"`},
	{"threshold bad op", minimal + "thresholds: [\"lost = 0\"]\n", 4, 14, "thresholds[0]", "expected a comparison"},
	{"threshold metric no system measures", minimal + "thresholds: [\"publish.p99 < 5ms\"]\n", 4, 14, "thresholds[0]", "kafka and bridge systems only"},
	{"sweep unknown param", minimal + "sweep:\n  params:\n    webhook.max_inflight: [1, 2]\n", 6, 5, "sweep.params.webhook.max_inflight", `did you mean "webhook.max_in_flight"`},
	{"sweep param fractional", minimal + "sweep:\n  params:\n    webhook.max_in_flight: [1, 2.5]\n", 6, 32, "sweep.params.webhook.max_in_flight[1]", "not a whole number"},
	{"sweep param for absent system", minimal + "sweep:\n  params: {kafka.members: [1, 2]}\n", 5, 12, "sweep.params.kafka.members", "systems.kafka is not in the scenario"},
	{"sweep subscribers beyond declared", "load: {rate: 1/s}\nsubscribers: [{name: a}, {name: b}]\nsystems: {webhook: {}}\nsweep: {subscribers: [1, 3]}\n", 4, 26, "sweep.subscribers[1]", "only 2 are declared"},
	{"sweep rate without unit", minimal + "sweep: {rate: [100/s, 200]}\n", 4, 23, "sweep.rate[1]", "has no unit"},
	{"find_max bad slo", minimal + "sweep:\n  find_max: {slo: \"e2e.p99 < 100\"}\n", 5, 19, "sweep.find_max.slo", "has no unit"},
	{"find_max tolerance", minimal + "sweep:\n  find_max: {slo: \"e2e.p99 < 100ms\", tolerance: 0.9}\n", 5, 49, "sweep.find_max.tolerance", "outside (0, 0.5]"},
	{"find_max confirm too high", minimal + "sweep:\n  find_max: {slo: \"lost == 0\", confirm: 9}\n", 5, 41, "sweep.find_max.confirm", "0 to 5"},
	{"find_max confirm negative", minimal + "sweep:\n  find_max: {slo: \"lost == 0\", confirm: -1}\n", 5, 41, "sweep.find_max.confirm", "0 to 5"},
	{"find_max limit below start", minimal + "sweep:\n  find_max: {slo: \"lost == 0\", start: 100/s, limit: 50/s}\n", 5, 53, "sweep.find_max.limit", "must be above start"},
	{"sweep param breaks a relation", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook: {retry: {schedule: [1s]}}\nsweep:\n  params: {webhook.retry.max_attempts: [1, 2, 3]}\n", 6, 47, "sweep.params.webhook.retry.max_attempts[2]", "the schedule lists 1"},
	{"event bigger than a batch", "load: {rate: 1/s}\nevent: {size: 2MiB}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {batch_max_bytes: 1MiB}\n", 5, 28, "systems.kafka.batch_max_bytes", "do not fit in a producer batch"},
	// Issue 9 item 11: values that passed and ran nonsense.
	{"1ns duration", "load: {rate: 100/s, duration: 1ns}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 31, "load.duration", "1ns is less than the minimum 1s"},
	{"rate of 1e-300/s", "load: {rate: 1e-300/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 14, "load.rate", "events in the measured period (rate x duration): a run needs at least 1"},
	{"half an event", "load: {rate: 1/min, duration: 30s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 14, "load.rate", "0.5 events in the measured period"},
	{"spike of a tenth of an event", "load: {arrival: spike, base: 0/s, peak: 1/s, at: 1s, for: 100ms, duration: 2s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 41, "load.peak", "0.1 events in the measured period"},
	{"100-year duration", "load: {rate: 1/s, duration: 876000h}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 29, "load.duration", "more than the maximum 24h0m0s"},
	{"100-year warmup", "load: {rate: 1/s, warmup: 876000h}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 27, "load.warmup", "more than the maximum 24h0m0s"},
	{"drain over a day", "load: {rate: 1/s, drain: 25h}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 1, 26, "load.drain", "more than the maximum 24h0m0s"},
	{"steps shorter than a second", "load:\n  arrival: steps\n  steps: [{rate: 10/s, for: 100ms}, {rate: 10/s, for: 200ms}]\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n", 3, 3, "load.steps", "the steps last 300ms in all, less than the minimum 1s"},
	{"find_max probe of 10ms", "load: {rate: 1/s, duration: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\nsweep:\n  find_max: {slo: \"lost == 0\", duration: 10ms}\n", 5, 42, "sweep.find_max.duration", "less than the minimum 1s"},
	{"swept rate without an event", "load: {rate: 1/s, duration: 5s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\nsweep: {rate: [1/s, 1/h]}\n", 4, 21, "sweep.rate[1]", "a point needs at least 1"},
	{"missing TLS CA file", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k:9092\n    tls: {ca_file: missing-ca.pem}\n", 6, 20, "systems.kafka.tls.ca_file", `cannot read "missing-ca.pem": no such file`},
	{"TLS CA file without a certificate", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k:9092\n    tls: {ca_file: docs_test.go}\n", 6, 20, "systems.kafka.tls.ca_file", "holds no PEM certificate"},
	{"TLS cert and key not PEM", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k:9092\n    tls: {cert_file: docs_test.go, key_file: errors.go}\n", 6, 22, "systems.kafka.tls.cert_file", "are not a matching PEM certificate and private key"},
	{"TLS key file missing", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k:9092\n    tls: {cert_file: docs_test.go, key_file: nope.key}\n", 6, 46, "systems.kafka.tls.key_file", `cannot read "nope.key"`},
	{"secret pasted into secret_env", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  webhook:\n    signing: {secret_env: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}\n", 5, 27, "systems.webhook.signing.secret_env", "the value (38 characters, not shown: it may be a secret) is not an environment variable name"},
	{"password pasted into password_env", "load: {rate: 1/s}\nsubscribers: [{name: a}]\nsystems:\n  kafka:\n    brokers: k:9092\n    sasl: {mechanism: plain, username_env: KU, password_env: hunter2}\n", 6, 62, "systems.kafka.sasl.password_env", "not shown: it may be a secret"},
	{"10 KB name", "name: x" + strings.Repeat("y", 10000) + "\n" + minimal, 1, 7, "name", `"xyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy..." (10001 characters in all) is not a valid scenario name`},
	{"16MiB events x 64 in flight", "load: {rate: 1/s}\nevent: {size: 16MiB}\nsubscribers: [{name: a}]\nsystems:\n  webhook: {max_in_flight: 64}\n", 5, 28, "systems.webhook.max_in_flight", "can hold 1GiB of payloads in flight, more than the 512MiB memory bound (allowed: at most 32"},
	{"40 subscribers of 16MiB events", "load: {rate: 1/s}\nevent: {size: 16MiB}\nsubscribers: [{name: a, count: 40}]\nsystems:\n  webhook: {max_in_flight: 1}\n", 5, 28, "systems.webhook.max_in_flight", "smaller events or fewer subscribers"},
	{"bridge in flight", "load: {rate: 1/s}\nevent: {size: 4MiB}\nsubscribers: [{name: a}]\nsystems:\n  kafka: {batch_max_bytes: 8MiB}\n  bridge: {}\n", 6, 3, "systems.bridge.max_in_flight", "256 in flight x 4MiB mean event size can hold 1GiB"},
	{"alias to nothing", minimal + "description: *nope\n", 4, 14, "", "refers to no anchor"},
	{"self-referencing alias", "x: &a [*a]\n", 1, 8, "", "nesting deeper"},
}

func TestBrokenScenarios(t *testing.T) {
	if len(brokenCases) < 25 {
		t.Fatalf("only %d broken cases", len(brokenCases))
	}
	for _, tc := range brokenCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadBytes("broken.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("loaded without error: %+v", s)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, want *scenarios.Error: %v", err, err)
			}
			if e.File != "broken.yaml" || e.Line != tc.line || e.Column != tc.col {
				t.Errorf("position %s:%d:%d, want broken.yaml:%d:%d\n  %v", e.File, e.Line, e.Column, tc.line, tc.col, err)
			}
			if tc.key != "" && e.Key != tc.key {
				t.Errorf("key %q, want %q\n  %v", e.Key, tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.frag) {
				t.Errorf("message lacks %q:\n  %v", tc.frag, err)
			}
			// Values from the file are echoed clipped (a 10 KB name was
			// echoed whole), and a value refused as an environment
			// variable name is not echoed at all (it may be the secret).
			if n := len(err.Error()); n > 1000 {
				t.Errorf("message is %d bytes long", n)
			}
			for _, secret := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "hunter2"} {
				if strings.Contains(tc.yaml, secret) && strings.Contains(err.Error(), secret) {
					t.Errorf("message repeats the secret: %v", err)
				}
			}
			prefix := fmt.Sprintf("broken.yaml:%d:%d: ", tc.line, tc.col)
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("message does not start with %q: %v", prefix, err)
			}
		})
	}
}
