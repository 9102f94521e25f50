package kafka

import (
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
)

func TestResolve(t *testing.T) {
	no, yes := false, true
	for _, tc := range []struct {
		name    string
		in      *scenarios.Kafka
		brokers string
		check   func(t *testing.T, s Settings)
		err     string
	}{
		{name: "nil block: defaults", in: nil, check: func(t *testing.T, s Settings) {
			if !s.Embedded || s.Partitions != 12 || s.ReplicationFactor != 1 || s.Acks != AcksAll || !s.Idempotent ||
				s.Linger != 5*time.Millisecond || s.BatchMaxBytes != 1<<20 || s.Compression != "none" || s.Producers != 1 ||
				s.Members != 1 || s.Commit != CommitAfterProcessing || s.CommitMode != CommitAsync || s.StartOffset != StartEarliest ||
				s.MaxBufferedRecords != 100000 {
				t.Errorf("defaults: %+v", s)
			}
		}},
		{name: "override brokers", in: &scenarios.Kafka{Brokers: "embedded"}, brokers: " a:1, b:2 ", check: func(t *testing.T, s Settings) {
			if s.Embedded || len(s.Brokers) != 2 || s.Brokers[0] != "a:1" || s.Brokers[1] != "b:2" {
				t.Errorf("brokers %v embedded %v", s.Brokers, s.Embedded)
			}
		}},
		{name: "acks 1 turns idempotence off by default", in: &scenarios.Kafka{Acks: "1"}, check: func(t *testing.T, s Settings) {
			if s.Idempotent {
				t.Error("idempotent with acks 1")
			}
		}},
		{name: "acks -1 is all", in: &scenarios.Kafka{Acks: "-1"}, check: func(t *testing.T, s Settings) {
			if s.Acks != AcksAll {
				t.Errorf("acks %s", s.Acks)
			}
		}},
		{name: "explicit idempotent false", in: &scenarios.Kafka{Idempotent: &no}, check: func(t *testing.T, s Settings) {
			if s.Idempotent {
				t.Error("idempotent")
			}
		}},
		{name: "idempotent needs acks all", in: &scenarios.Kafka{Acks: "0", Idempotent: &yes}, err: "needs acks: all"},
		{name: "bad acks", in: &scenarios.Kafka{Acks: "2"}, err: `acks "2"`},
		{name: "bad compression", in: &scenarios.Kafka{Compression: "brotli"}, err: "compression"},
		{name: "bad commit", in: &scenarios.Kafka{Commit: "never"}, err: "commit"},
		{name: "bad commit mode", in: &scenarios.Kafka{CommitMode: "later"}, err: "commit_mode"},
		{name: "bad start offset", in: &scenarios.Kafka{StartOffset: "middle"}, err: "start_offset"},
		{name: "tls on embedded", in: &scenarios.Kafka{TLS: &scenarios.KafkaTLS{}}, err: "real brokers"},
		{name: "empty broker list", in: &scenarios.Kafka{Brokers: " , "}, err: "no host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Resolve(tc.in, tc.brokers)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

func TestSASLCredentialsComeFromEnvOnly(t *testing.T) {
	set, err := Resolve(&scenarios.Kafka{Brokers: "127.0.0.1:1", SASL: &scenarios.KafkaSASL{Mechanism: SASLScramSHA512, UsernameEnv: "EVB_TEST_USER", PasswordEnv: "EVB_TEST_PASS"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("EVB_TEST_USER", "alice")
	_, err = set.ConnOpts(nil)
	if err == nil || !strings.Contains(err.Error(), "EVB_TEST_PASS") {
		t.Fatalf("err %v: want one naming the unset variable", err)
	}
	t.Setenv("EVB_TEST_PASS", "s3cr3t-value")
	if _, err := set.ConnOpts(nil); err != nil {
		t.Fatal(err)
	}
	// The resolved settings never hold the secret, so printing them is safe.
	if s := strings.Join([]string{set.SASL.UsernameEnv, set.SASL.PasswordEnv}, " "); strings.Contains(s, "s3cr3t") {
		t.Errorf("settings hold the password")
	}
	set.SASL.Mechanism = "gssapi"
	if _, err := set.ConnOpts(nil); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad mechanism: err %v (must not contain the secret)", err)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		id       uint64
		intended int64
		key      string
		wantKey  int
	}{
		{1 << 63, 1_700_000_000_123_456_789, "key-0", 0},
		{42, 5, "key-999", 999},
		{7, -1, "customer-7", -1},
		{8, 1, "key-", -1},
		{9, 1, "key-12x", -1},
	} {
		r := NewRecord(tc.id, tc.intended, []byte(tc.key), []byte(`{}`))
		m, ok := ParseRecord(r)
		if !ok || m.ID != tc.id || m.Intended != tc.intended || m.Key != tc.wantKey {
			t.Errorf("%+v: parsed %+v ok %v", tc, m, ok)
		}
	}
	ev := load.Event{ID: 3, Key: 17, Intended: 99, Payload: []byte("x")}
	if m, ok := ParseRecord(EventRecord(ev)); !ok || m.ID != 3 || m.Key != 17 || m.Intended != 99 {
		t.Errorf("event record parsed %+v", m)
	}
	if _, ok := ParseRecord(&kgoRecordWithoutHeaders); ok {
		t.Error("a record without evbench headers parsed")
	}
}

func TestAutoTopicName(t *testing.T) {
	a, b := AutoTopicName("my scenario/1", "kafka"), AutoTopicName("my scenario/1", "kafka")
	if a == b {
		t.Errorf("two points got the same topic %s", a)
	}
	if !strings.HasPrefix(a, "evbench-my_scenario_1-kafka-") {
		t.Errorf("topic %s", a)
	}
	long := AutoTopicName(strings.Repeat("x", 400), "bridge")
	if len(long) > 249 {
		t.Errorf("topic name of %d characters: Kafka allows 249", len(long))
	}
}
