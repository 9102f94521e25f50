package kafka

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evbench/evbench/runners/load"
	"github.com/evbench/evbench/scenarios"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaBlock is the loader's default systems.kafka block with edits, as
// a scenario file that sets only those keys would load.
func kafkaBlock(edit func(k *Config)) *Config {
	k := DefaultConfig()
	if edit != nil {
		edit(k)
	}
	return k
}

func TestResolve(t *testing.T) {
	no, yes := false, true
	for _, tc := range []struct {
		name    string
		in      *Config
		brokers string
		check   func(t *testing.T, s Settings)
		err     string
	}{
		{name: "nil block: the loader's defaults", in: nil, check: func(t *testing.T, s Settings) {
			if !s.Embedded || s.Partitions != 12 || s.ReplicationFactor != 1 || s.Acks != AcksAll || !s.Idempotent ||
				s.Linger != 5*time.Millisecond || s.BatchMaxBytes != 1<<20 || s.Compression != "none" || s.Producers != 1 ||
				s.Members != 1 || s.Commit != CommitAfterProcessing || s.CommitMode != CommitAsync || s.StartOffset != StartEarliest ||
				s.MaxBufferedRecords != 100000 {
				t.Errorf("defaults: %+v", s)
			}
		}},
		{name: "override brokers", in: kafkaBlock(nil), brokers: " a:1, b:2 ", check: func(t *testing.T, s Settings) {
			if s.Embedded || len(s.Brokers) != 2 || s.Brokers[0] != "a:1" || s.Brokers[1] != "b:2" {
				t.Errorf("brokers %v embedded %v", s.Brokers, s.Embedded)
			}
		}},
		{name: "idempotent unset follows acks 1", in: kafkaBlock(func(k *Config) { k.Acks, k.Idempotent = "1", nil }), check: func(t *testing.T, s Settings) {
			if s.Idempotent {
				t.Error("idempotent with acks 1")
			}
		}},
		{name: "explicit idempotent false", in: kafkaBlock(func(k *Config) { k.Idempotent = &no }), check: func(t *testing.T, s Settings) {
			if s.Idempotent {
				t.Error("idempotent")
			}
		}},
		{name: "commit auto without commit_mode", in: kafkaBlock(func(k *Config) { k.Commit, k.CommitMode = CommitAuto, "" }), check: func(t *testing.T, s Settings) {
			if s.Commit != CommitAuto || s.CommitMode != "" {
				t.Errorf("commit %q mode %q", s.Commit, s.CommitMode)
			}
		}},
		{name: "idempotent needs acks all", in: kafkaBlock(func(k *Config) { k.Acks, k.Idempotent = "0", &yes }), err: "needs acks: all"},
		{name: "bad acks", in: kafkaBlock(func(k *Config) { k.Acks = "-1" }), err: `acks "-1"`},
		{name: "bad compression", in: kafkaBlock(func(k *Config) { k.Compression = "brotli" }), err: "compression"},
		{name: "empty compression is not defaulted", in: kafkaBlock(func(k *Config) { k.Compression = "" }), err: "compression"},
		{name: "bad commit", in: kafkaBlock(func(k *Config) { k.Commit = "never" }), err: "commit"},
		{name: "bad commit mode", in: kafkaBlock(func(k *Config) { k.CommitMode = "later" }), err: "commit_mode"},
		{name: "bad start offset", in: kafkaBlock(func(k *Config) { k.StartOffset = "middle" }), err: "start_offset"},
		{name: "tls on embedded", in: kafkaBlock(func(k *Config) { k.TLS = &scenarios.KafkaTLS{} }), err: "real brokers"},
		{name: "empty broker list", in: kafkaBlock(func(k *Config) { k.Brokers = " , " }), err: "no host:port"},
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

// TestNumericSettingsReachTheClient is the regression test for issue 8
// item 2: the runner defaulted and validated systems.kafka a second time,
// so an explicit "linger: 0s" became 5 ms (and zeros of other settings
// became defaults) while results recorded the scenario's value, and its
// limits differed from the loader's. Every explicit valid value, zeros
// included, must reach the kgo client configuration (or the topic and
// group set-up) unchanged; values the loader rejects are errors here too,
// at the loader's limits.
func TestNumericSettingsReachTheClient(t *testing.T) {
	type get func(s Settings, cl *kgo.Client) int64
	fromClient := func(opt any) get {
		return func(_ Settings, cl *kgo.Client) int64 { return reflect.ValueOf(cl.OptValue(opt)).Int() }
	}
	for _, tc := range []struct {
		key     string
		set     func(k *Config, v int64)
		got     get
		valid   []int64
		invalid []int64
	}{
		{"linger", func(k *Config, v int64) { k.Linger = scenarios.Duration(v) }, fromClient(kgo.ProducerLinger),
			[]int64{0, 1, int64(time.Millisecond), int64(5 * time.Millisecond), int64(time.Minute)}, []int64{-1, int64(time.Minute) + 1}},
		{"batch_max_bytes", func(k *Config, v int64) { k.BatchMaxBytes = scenarios.ByteSize(v) }, fromClient(kgo.ProducerBatchMaxBytes),
			[]int64{1 << 10, 1 << 20, 1 << 30}, []int64{0, 1<<10 - 1, 1<<30 + 1}},
		{"max_buffered_records", func(k *Config, v int64) { k.MaxBufferedRecords = int(v) }, fromClient(kgo.MaxBufferedRecords),
			[]int64{1, 100, 100_000_000}, []int64{0, -1, 100_000_001}},
		{"topic.partitions", func(k *Config, v int64) { k.Topic.Partitions = int(v) },
			func(s Settings, _ *kgo.Client) int64 { return int64(s.topicSpec("t", false).Partitions) },
			[]int64{1, 7, 10_000}, []int64{0, -1, 10_001, 100_000}},
		{"topic.replication_factor", func(k *Config, v int64) { k.Topic.ReplicationFactor = int(v) },
			func(s Settings, _ *kgo.Client) int64 { return int64(s.topicSpec("t", false).ReplicationFactor) },
			[]int64{1, 3, 32}, []int64{0, 33, 32767}},
		{"producers", func(k *Config, v int64) { k.Producers = int(v) },
			func(s Settings, _ *kgo.Client) int64 { return int64(s.Producers) },
			[]int64{1, 4, 1000}, []int64{0, 1001}},
		{"members", func(k *Config, v int64) { k.Members = int(v) },
			func(s Settings, _ *kgo.Client) int64 { return int64(s.Members) },
			[]int64{1, 3, 1000}, []int64{0, 1001}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			for _, v := range tc.valid {
				s, err := Resolve(kafkaBlock(func(k *Config) { tc.set(k, v) }), "")
				if err != nil {
					t.Errorf("%s %d: %v", tc.key, v, err)
					continue
				}
				cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers("127.0.0.1:1")}, ProducerOpts(s)...)...)
				if err != nil {
					t.Fatalf("%s %d: client: %v", tc.key, v, err)
				}
				if got := tc.got(s, cl); got != v {
					t.Errorf("%s: scenario value %d reached the client as %d", tc.key, v, got)
				}
				cl.Close()
			}
			for _, v := range tc.invalid {
				if _, err := Resolve(kafkaBlock(func(k *Config) { tc.set(k, v) }), ""); err == nil || !strings.Contains(err.Error(), tc.key) {
					t.Errorf("%s %d: err %v, want one naming %s (the loader rejects it)", tc.key, v, err, tc.key)
				}
			}
		})
	}
}

// TestLoadedLingerZeroReachesTheClient follows "linger: 0s" from a scenario
// file through the loader and Resolve to the producer client.
func TestLoadedLingerZeroReachesTheClient(t *testing.T) {
	sc, err := scenarios.LoadBytes("linger0.yaml", []byte(`name: linger0
load: {rate: 100/s, duration: 1s}
subscribers: [{name: a}]
systems:
  kafka: {linger: 0s}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Resolve(ConfigOf(sc), "")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers("127.0.0.1:1")}, ProducerOpts(s)...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if got := cl.OptValue(kgo.ProducerLinger).(time.Duration); got != 0 || ConfigOf(sc).Linger != 0 {
		t.Errorf("linger: scenario %v, client %v: want 0 for both", ConfigOf(sc).Linger.D(), got)
	}
}

func TestSASLCredentialsComeFromEnvOnly(t *testing.T) {
	set, err := Resolve(kafkaBlock(func(k *Config) {
		k.Brokers = "127.0.0.1:1"
		k.SASL = &scenarios.KafkaSASL{Mechanism: SASLScramSHA512, UsernameEnv: "EVB_TEST_USER", PasswordEnv: "EVB_TEST_PASS"}
	}), "")
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
