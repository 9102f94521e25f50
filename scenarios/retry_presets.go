package scenarios

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// retryPresetsYAML holds the built-in retry presets with the public pages
// each figure comes from (scenarios/presets/retry.yaml).
//
//go:embed presets/retry.yaml
var retryPresetsYAML []byte

// RetryPreset is a real provider's webhook retry policy, as its public docs
// state it. Figures the docs do not state are evbench's assumptions, listed
// in Assumed; nothing else is.
type RetryPreset struct {
	// Name is the key used in scenarios (retry: {preset: NAME}).
	Name string `yaml:"-" json:"name"`
	// Provider is the provider's display name.
	Provider string `yaml:"provider" json:"provider"`
	// Sources are URLs of the provider's public docs the figures come from.
	Sources []string `yaml:"sources" json:"sources"`
	// Schedule is the delay before each retry; the first attempt is immediate.
	Schedule []Duration `yaml:"-" json:"schedule_ns"`
	// MaxAttempts counts the first attempt: len(Schedule) + 1.
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// Timeout is the per-attempt timeout the provider states (0: not stated).
	Timeout Duration `yaml:"-" json:"timeout_ns,omitempty"`
	// Stated summarises what the sources say; Assumed what evbench chose.
	Stated  string `yaml:"stated" json:"stated"`
	Assumed string `yaml:"assumed" json:"assumed,omitempty"`
}

// Budget is the time from the first attempt to the last one.
func (p RetryPreset) Budget() Duration {
	var t Duration
	for _, d := range p.Schedule {
		t += d
	}
	return t
}

var retryPresets = mustRetryPresets(retryPresetsYAML)

// mustRetryPresets parses the embedded file; a bad file is a build defect,
// caught by the package's tests, so it panics.
func mustRetryPresets(b []byte) map[string]RetryPreset {
	m, err := parseRetryPresets(b)
	if err != nil {
		panic("scenarios: embedded presets/retry.yaml: " + err.Error())
	}
	return m
}

// presetFile is one preset as written: durations in Go syntax.
type presetFile struct {
	RetryPreset `yaml:",inline"`
	Schedule    []string `yaml:"schedule"`
	Timeout     string   `yaml:"timeout"`
}

func parseRetryPresets(b []byte) (map[string]RetryPreset, error) {
	raw := map[string]presetFile{}
	if err := yaml.NewDecoder(bytes.NewReader(b), yaml.Strict()).Decode(&raw); err != nil {
		return nil, err
	}
	m := map[string]RetryPreset{}
	for name, f := range raw {
		p := f.RetryPreset
		p.Name = name
		p.Schedule = []Duration{}
		for _, s := range f.Schedule {
			d, err := ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("preset %s: schedule: %w", name, err)
			}
			p.Schedule = append(p.Schedule, d)
		}
		if f.Timeout != "" {
			d, err := ParseDuration(f.Timeout)
			if err != nil {
				return nil, fmt.Errorf("preset %s: timeout: %w", name, err)
			}
			p.Timeout = d
		}
		switch {
		case len(p.Sources) == 0:
			return nil, fmt.Errorf("preset %s: no sources", name)
		case p.MaxAttempts != len(p.Schedule)+1:
			return nil, fmt.Errorf("preset %s: max_attempts %d, want len(schedule)+1 = %d", name, p.MaxAttempts, len(p.Schedule)+1)
		case p.Stated == "":
			return nil, fmt.Errorf("preset %s: no stated summary", name)
		}
		for _, s := range p.Sources {
			if !strings.HasPrefix(s, "https://") {
				return nil, fmt.Errorf("preset %s: source %q is not an https URL", name, s)
			}
		}
		m[name] = p
	}
	return m, nil
}

// RetryPresets returns the built-in presets sorted by name.
func RetryPresets() []RetryPreset {
	out := make([]RetryPreset, 0, len(retryPresets))
	for _, p := range retryPresets {
		out = append(out, clonePreset(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupRetryPreset returns the preset called name.
func LookupRetryPreset(name string) (RetryPreset, bool) {
	p, ok := retryPresets[name]
	return clonePreset(p), ok
}

func clonePreset(p RetryPreset) RetryPreset {
	p.Sources = append([]string(nil), p.Sources...)
	p.Schedule = append([]Duration(nil), p.Schedule...)
	return p
}

// RetryPresetNames lists the preset names, sorted.
func RetryPresetNames() []string {
	var out []string
	for n := range retryPresets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// applyPreset resolves r from preset p: the schedule and attempts are the
// provider's, jitter 0 (no provider states one). Fields written next to
// preset (max_attempts, jitter, honour_retry_after) are applied after.
func (p RetryPreset) apply(r *Retry) {
	r.Preset = p.Name
	r.MaxAttempts = p.MaxAttempts
	r.Jitter = 0
	if len(p.Schedule) > 0 {
		r.Backoff = BackoffSchedule
		r.Schedule = append([]Duration(nil), p.Schedule...)
	}
}
