package netspec

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// inline decodes YAML the way the scenario loader will hand it over.
func inline(t *testing.T, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(src), &m); err != nil {
		t.Fatalf("yaml %q: %v", src, err)
	}
	return m
}

func TestParseSpec(t *testing.T) {
	cases := []struct {
		src     string
		want    Spec
		wantErr string // substring; "" = must parse
	}{
		{src: `{latency: 50ms, jitter: 5ms, bandwidth: 10MiB/s, reset_probability: 0.001}`,
			want: Spec{Latency: 50 * time.Millisecond, Jitter: 5 * time.Millisecond, Bandwidth: 10 << 20, ResetProbability: 0.001}},
		{src: `{latency: 225us}`, want: Spec{Latency: 225 * time.Microsecond}},
		{src: `{bandwidth: 100Mbit/s}`, want: Spec{Bandwidth: 12_500_000}},
		{src: `{bandwidth: 1.5KB/s}`, want: Spec{Bandwidth: 1500}},
		{src: `{reset_probability: 1, reset_after: 10ms}`, want: Spec{ResetProbability: 1, ResetAfter: 10 * time.Millisecond}},
		{src: `{blackhole_probability: 0.5, blackhole_timeout: 2s}`, want: Spec{BlackholeProbability: 0.5, BlackholeTimeout: 2 * time.Second}},
		{src: `{slow_close: 100ms, data_limit: 64KiB}`, want: Spec{SlowClose: 100 * time.Millisecond, DataLimit: 64 << 10}},
		{src: `{}`, want: Spec{}},
		{src: `{latncy: 50ms}`, wantErr: `unknown key "latncy" (allowed: latency, jitter, bandwidth`},
		{src: `{latency: 50}`, wantErr: `latency: 50 (uint64) has no unit`},
		{src: `{latency: "50"}`, wantErr: `latency: "50" has no unit`},
		{src: `{latency: 50 ms}`, wantErr: `latency: "50 ms" is not a duration`},
		{src: `{latency: -5ms}`, wantErr: `latency: "-5ms" is negative`},
		{src: `{latency: 11s}`, wantErr: `latency: 11s is outside [0, 10s]`},
		{src: `{latency: 5ms, jitter: 6ms}`, wantErr: `jitter: 6ms must be between 0 and latency (5ms)`},
		{src: `{bandwidth: 10MBps}`, wantErr: `bandwidth: "10MBps": unknown unit "MBps"`},
		{src: `{bandwidth: 10mib/s}`, wantErr: `unknown unit "mib/s"`},
		{src: `{bandwidth: 10}`, wantErr: `bandwidth: 10 (uint64) has no unit`},
		{src: `{bandwidth: 500B/s}`, wantErr: `below Toxiproxy's resolution`},
		{src: `{reset_probability: 1.5}`, wantErr: `reset_probability: 1.5 is not a number from 0 to 1`},
		{src: `{reset_probability: "0.1"}`, wantErr: `reset_probability: "0.1" is a string`},
		{src: `{reset_after: 10ms}`, wantErr: `reset_after is set but reset_probability is 0`},
		{src: `{reset_probability: 0.1, reset_after: 1500us}`, wantErr: `must be whole milliseconds`},
		{src: `{data_limit: 1.5B}`, wantErr: `not a whole number of bytes`},
		{src: `{data_limit: 10}`, wantErr: `data_limit: 10 (uint64) has no unit`},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			got, err := ParseSpec(inline(t, tc.src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			// String renders the inline form, which parses back to the same Spec.
			back, err := ParseSpec(inline(t, got.String()))
			if err != nil || back != got {
				t.Fatalf("String() %s parses back to %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestParseNetwork(t *testing.T) {
	s, name, err := ParseNetwork("internet")
	if err != nil || name != "internet" || s.Latency != 39*time.Millisecond {
		t.Fatalf("internet: %+v %q %v", s, name, err)
	}
	s, name, err = ParseNetwork(inline(t, `{latency: 50ms}`))
	if err != nil || name != "" || s.Latency != 50*time.Millisecond {
		t.Fatalf("inline: %+v %q %v", s, name, err)
	}
	s, _, err = ParseNetwork(map[any]any{"latency": "5ms"})
	if err != nil || s.Latency != 5*time.Millisecond {
		t.Fatalf("map[any]any: %+v %v", s, err)
	}
	for _, bad := range []struct {
		v    any
		want string
	}{
		{"moon", `unknown profile "moon" (allowed: loopback, same-zone, cross-zone, cross-region, internet, flaky-internet`},
		{42, "int is neither a profile name"},
		{nil, "empty value"},
		{map[any]any{1: "x"}, "key 1 is not a string"},
	} {
		if _, _, err := ParseNetwork(bad.v); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseNetwork(%v): %v, want %q", bad.v, err, bad.want)
		}
	}
}

// TestProfilesCiteEveryFigure: every figure a profile sets has a source
// that either links a public page or says it is an assumption.
func TestProfilesCiteEveryFigure(t *testing.T) {
	ps, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"loopback", "same-zone", "cross-zone", "cross-region", "internet", "flaky-internet"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("profiles %v, want %v", got, want)
	}
	for _, p := range ps {
		if p.Description == "" {
			t.Errorf("%s: no description", p.Name)
		}
		for _, k := range figureKeys(p) {
			src := p.Sources[k]
			switch {
			case src == "":
				t.Errorf("%s.%s: no source and not labelled an assumption", p.Name, k)
			case strings.HasPrefix(src, "assumption:"):
			case strings.Contains(src, "https://"):
			default:
				t.Errorf("%s.%s: source %q neither links a page nor starts with \"assumption:\"", p.Name, k, src)
			}
		}
	}
	// The profiles are ordered from near to far.
	for i := 1; i < len(ps)-1; i++ {
		if ps[i].Spec.Latency <= ps[i-1].Spec.Latency {
			t.Errorf("%s latency %v is not above %s's %v", ps[i].Name, ps[i].Spec.Latency, ps[i-1].Name, ps[i-1].Spec.Latency)
		}
	}
	if lb, _ := Lookup("loopback"); !lb.Spec.IsZero() {
		t.Errorf("loopback adds %v", lb.Spec)
	}
	if fi, _ := Lookup("flaky-internet"); fi.Spec.ResetProbability == 0 {
		t.Error("flaky-internet resets no connection")
	}
}

func TestParseProfilesRejects(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"profiles:\n  - name: a\n    latency: 1ms\n    sources: {jitter: x}\n", "sources.jitter cites a figure the profile does not set"},
		{"profiles:\n  - name: a\n  - name: a\n", "duplicate name"},
		{"profiles:\n  - latency: 1ms\n", "name is missing"},
		{"profiles:\n  - name: a\n    latency: 1\n", "has no unit"},
		{"profiles:\n  - name: a\n    speed: 1ms\n", `unknown key "speed"`},
		{"profile: []\n", "unknown field"},
	} {
		if _, err := parseProfiles([]byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}

func FuzzParseBandwidth(f *testing.F) {
	for _, s := range []string{"10MiB/s", "100Mbit/s", "1.5KB/s", "10", "x", "1e9GB/s", ".5B/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBandwidth(s)
		if err == nil && (v < 0 || v > MaxBandwidth) {
			t.Fatalf("%q -> %d outside [0, %d]", s, v, MaxBandwidth)
		}
		n, err := ParseSize(s)
		if err == nil && (n < 0 || n > MaxDataLimit) {
			t.Fatalf("%q -> %d bytes outside [0, %d]", s, n, MaxDataLimit)
		}
	})
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{`{latency: 50ms, jitter: 5ms, bandwidth: 10MiB/s, reset_probability: 0.001}`, `{}`, `{data_limit: 1KiB}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(src), &m) != nil {
			return
		}
		s, err := ParseSpec(m)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseSpec accepted an invalid spec %+v: %v", s, err)
		}
	})
}

// TestDocsListProfiles keeps docs/network.md's profile table in step with
// profiles.yaml: every profile has a row with its one-way latency.
func TestDocsListProfiles(t *testing.T) {
	doc, err := os.ReadFile("../../docs/network.md")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		lat := p.Spec.Latency.String()
		if p.Spec.Latency == 0 {
			lat = "0"
		}
		row := "| `" + p.Name + "` | " + lat + " |"
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/network.md has no row starting %q", row)
		}
	}
}
