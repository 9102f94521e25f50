package scenarios_test

import (
	"errors"
	"strings"
	"testing"

	. "github.com/evbench/evbench/scenarios"
)

// TestBOMAccepted: a UTF-8 byte order mark (some Windows editors write one)
// used to make the first key `unknown key "\ufeffname"`.
func TestBOMAccepted(t *testing.T) {
	s, err := LoadBytes("bom.yaml", []byte("\ufeffname: bom\n"+minimal))
	if err != nil {
		t.Fatalf("a file starting with a BOM: %v", err)
	}
	if s.Name != "bom" {
		t.Errorf("name %q, want bom", s.Name)
	}
	// Positions are unchanged: the BOM is not a column.
	_, err = LoadBytes("bom.yaml", []byte("\ufeffnam: bom\n"+minimal))
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || e.Column != 1 || !strings.Contains(e.Msg, `unknown key "nam"`) {
		t.Errorf("typo after a BOM: %v", err)
	}
}

// TestCheckBrokers: evbench run --brokers used to skip the scenario's
// broker rules, so a bad value failed at run time with exit 1 instead of
// as bad input.
func TestCheckBrokers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		frag string // "" when valid
	}{
		{"127.0.0.1:9092", ""},
		{"k1:9093, k2:9093", ""},
		{"embedded", ""},
		{"[::1]:9092", ""},
		{"localhost", `"localhost" is not host:port`},
		{"k1:9092,k2", `"k2" is not host:port`},
		{"k:0", `port "0" is not 1-65535`},
		{"k:99999", `port "99999" is not 1-65535`},
		{":9092", `":9092" is not host:port`},
	} {
		err := CheckBrokers(tc.in)
		if tc.frag == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.frag) || !strings.Contains(err.Error(), "allowed:") {
			t.Errorf("%q: error %v, want %q and the allowed forms", tc.in, err, tc.frag)
		}
	}
}

// TestLongValuesClipped: values pasted into the file are echoed clipped,
// keys included (a 10 KB name or key was echoed whole).
func TestLongValuesClipped(t *testing.T) {
	for _, y := range []string{
		"name: " + strings.Repeat("n", 10_000) + "\n" + minimal,
		minimal + strings.Repeat("k", 10_000) + ": 1\n",
		minimal + "description: x\nthresholds: [\"" + strings.Repeat("e", 10_000) + " < 5ms\"]\n",
		"load: {rate: " + strings.Repeat("9", 10_000) + "/s}\nsubscribers: [{name: a}]\nsystems: {webhook: {}}\n",
	} {
		_, err := LoadBytes("long.yaml", []byte(y))
		if err == nil {
			t.Fatal("loaded")
		}
		if n := len(err.Error()); n > 1000 {
			t.Errorf("message of %d bytes: %.300s...", n, err)
		}
		if !strings.Contains(err.Error(), "characters in all") {
			t.Errorf("message does not say the value was clipped: %.300s", err)
		}
	}
}
