package cost

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBuiltinsParseAndCiteEveryPrice(t *testing.T) {
	names := Builtins()
	want := []string{"aws-list", "buy-webhooks", "managed-kafka-entry", "msk-serverless", "self-hosted"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("Builtins() = %v, want %v", names, want)
	}
	for _, n := range names {
		p, err := Builtin(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if p.Name != n {
			t.Errorf("%s: name field is %q", n, p.Name)
		}
		if p.Currency != "USD" || p.Description == "" {
			t.Errorf("%s: currency %q, description %q", n, p.Currency, p.Description)
		}
		prices := p.Prices()
		if len(prices) != len(Keys()) {
			t.Errorf("%s: %d prices, want %d", n, len(prices), len(Keys()))
		}
		for _, kp := range prices {
			// A source is a price page or an explicit assumption.
			src := strings.ToLower(kp.Source)
			if len(kp.Source) < 20 {
				t.Errorf("%s %s: source %q is too short to be a citation", n, kp.Key, kp.Source)
			}
			// Either labelled an assumption, or citing a public page
			// (pricing page or documentation) by name.
			cited := strings.HasPrefix(src, "assumption") || strings.Contains(src, "page") ||
				strings.Contains(src, "documentation") || strings.Contains(src, "calculator convention")
			if !cited {
				t.Errorf("%s %s: source %q names neither a price page nor an assumption", n, kp.Key, kp.Source)
			}
		}
	}
}

// TestManagedEntryInQuotedRange checks the entry-level cluster price sits
// inside the widely quoted $200-500/month, as its source says.
func TestManagedEntryInQuotedRange(t *testing.T) {
	p, err := Builtin("managed-kafka-entry")
	if err != nil {
		t.Fatal(err)
	}
	monthly := v(p.Log.BrokerMonth)*v(p.Log.MinBrokers) + v(p.Log.ClusterMonth)
	if monthly < 200 || monthly > 500 {
		t.Errorf("entry-level cluster costs %v/month, outside the quoted 200-500", monthly)
	}
	aws, _ := Builtin("aws-list")
	// 3 x kafka.m5.large at $0.21/h x 730 h.
	if got := v(aws.Log.BrokerMonth) * v(aws.Log.MinBrokers); !near(got, 3*0.21*730) {
		t.Errorf("aws-list MSK cluster = %v, want 3 x 0.21 x 730 = %v", got, 3*0.21*730)
	}
}

func TestParseProfileErrors(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		line, col int
		contains  string
	}{
		{"unknown key", "name: x\nextends: aws-list\nkafka:\n  broker_monthly: {value: 1, source: a}\n", 4, 3, `unknown key (did you mean "broker_month"?)`},
		{"unknown top-level key", "nam: x\n", 1, 1, "allowed: name"},
		{"missing source", "name: x\nextends: aws-list\nkafka:\n  broker_month:\n    value: 1\n", 5, 12, "missing source"},
		{"impossible value", "name: x\nextends: aws-list\ncompute:\n  utilization: {value: 1.5, source: s}\n", 4, 24, "must be in (0, 1]"},
		{"fractional brokers", "name: x\nextends: aws-list\nkafka:\n  min_brokers: {value: 2.5, source: s}\n", 4, 24, "whole number"},
		{"not a number", "name: x\nextends: aws-list\ncompute:\n  utilization: {value: abc, source: s}\n", 4, 24, "cannot unmarshal"},
		{"duplicate key", "name: x\nextends: aws-list\nname: y\n", 3, 1, "already defined"},
		{"unknown base", "name: x\nextends: nope\n", 2, 10, "unknown cost profile"},
		{"syntax", "name: x\ncompute: [\n", 2, 10, "not found"},
		{"missing prices", "name: x\ncompute:\n  utilization: {value: 0.5, source: s}\n", 0, 0, "missing hours_per_month, compute.vcpu_hour"},
		{"missing name", "extends: aws-list\n", 0, 0, "missing name"},
		{"deep nesting", "name: " + strings.Repeat("[", 1000), 1, 23, "nesting deeper than 16 levels"},
		{"too many values", "name: x\n" + strings.Repeat("# c\n", 20_001), 20001, 1, "more than 20000 lines and values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile("my.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("want an error")
			}
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *ProfileError", err, err)
			}
			if pe.File != "my.yaml" || pe.Line != tc.line || pe.Col != tc.col {
				t.Errorf("position %s:%d:%d, want my.yaml:%d:%d (%v)", pe.File, pe.Line, pe.Col, tc.line, tc.col, err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
}

func TestExtendsAndOverrides(t *testing.T) {
	p, err := ParseProfile("mine.yaml", []byte("name: mine\nextends: aws-list\nkafka:\n  retention_hours: {value: 24, source: \"our retention policy\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := v(p.Log.RetentionHours); got != 24 {
		t.Errorf("retention = %v, want 24", got)
	}
	if got := v(p.Log.BrokerMonth); !near(got, 153.30) {
		t.Errorf("inherited broker_month = %v, want 153.30", got)
	}

	o, err := p.WithOverrides(map[string]float64{"kafka.broker_month": 99, "compute.utilization": 0.8}, "--set")
	if err != nil {
		t.Fatal(err)
	}
	if v(o.Log.BrokerMonth) != 99 || v(o.Compute.Utilization) != 0.8 {
		t.Errorf("overrides not applied: %v %v", v(o.Log.BrokerMonth), v(o.Compute.Utilization))
	}
	if src, _ := o.Get("kafka.broker_month"); !strings.Contains(src.Source, "override from --set") || !strings.Contains(src.Source, "153.3") {
		t.Errorf("override source = %q, want it to say where it came from and the old value", src.Source)
	}
	if v(p.Log.BrokerMonth) == 99 {
		t.Error("WithOverrides modified the original profile")
	}
	if _, err := p.WithOverrides(map[string]float64{"kafka.brokers": 3}, "x"); err == nil || !strings.Contains(err.Error(), "kafka.broker_month") {
		t.Errorf("unknown override key: %v (want the allowed keys listed)", err)
	}
	if _, err := p.WithOverrides(map[string]float64{"compute.utilization": 0}, "x"); err == nil {
		t.Error("utilization 0 accepted")
	}
}

func TestLoadProfile(t *testing.T) {
	if p, err := LoadProfile("self-hosted"); err != nil || p.Name != "self-hosted" {
		t.Fatalf("built-in by name: %v", err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, []byte("name: file\nextends: managed-kafka-entry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadProfile(f); err != nil || p.Name != "file" || p.File != f {
		t.Fatalf("from file: %+v %v", p, err)
	}
	if _, err := LoadProfile(filepath.Join(dir, "absent.yaml")); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("absent file: %v, want ErrUnknownProfile", err)
	}
}

// TestProfileErrorsNeverEchoContent: cost.profile may name any file
// (/etc/shadow); a file that is not a profile must not have its content
// printed. Before the fix the first line came back in an "unknown field"
// message.
func TestProfileErrorsNeverEchoContent(t *testing.T) {
	const secret = "S3CRETHASHxyz"
	for _, body := range []string{
		"root:$y$j9T$" + secret + ":19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
		secret + ": 1\n",
		"name: x\n" + secret + ": 1\nname: y\n",
		"name: x\nname: " + secret + "\n",
		"\"" + secret + "\n",
		"- " + secret + "\n",
		"name: x\nextends: aws-list\ncompute:\n  utilization: {value: " + secret + ", source: s}\n",
	} {
		_, err := ParseProfile("f.yaml", []byte(body))
		if err == nil {
			t.Errorf("%q parsed as a profile", body)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "S3CRET") {
			t.Errorf("error echoes the file's content: %v", err)
		}
	}
}

// TestLoadProfileRefusesHostileFiles: a device, a named pipe or a file over
// the limit fails at once without being read (before, /dev/zero was read
// until memory ran out and a pipe blocked forever).
func TestLoadProfileRefusesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", MaxProfileBytes+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, frag := range map[string]string{"/dev/zero": "not a regular file", fifo: "not a regular file", big: "file too large"} {
		done := make(chan error, 1)
		go func() { _, err := LoadProfile(path); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), frag) {
				t.Errorf("%s: error %v, want %q", path, err, frag)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: LoadProfile did not return within 10s", path)
		}
	}
}
