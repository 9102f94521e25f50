package netspec

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed profiles.yaml
var profilesYAML []byte

// Profile is a named, reusable Spec from profiles.yaml.
type Profile struct {
	Name        string
	Description string
	Spec        Spec
	// Sources maps each figure's key (latency, jitter, ...) to its public
	// source, or to a text starting with "assumption:".
	Sources map[string]string
}

var (
	profilesOnce sync.Once
	profiles     []Profile
	profilesErr  error
)

// Profiles returns every profile in file order. It fails only if the
// embedded file is broken, which TestProfiles catches.
func Profiles() ([]Profile, error) {
	profilesOnce.Do(func() { profiles, profilesErr = parseProfiles(profilesYAML) })
	return profiles, profilesErr
}

// Names lists the profile names in file order.
func Names() []string {
	ps, _ := Profiles()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the profile called name.
func Lookup(name string) (Profile, error) {
	ps, err := Profiles()
	if err != nil {
		return Profile{}, err
	}
	for _, p := range ps {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("network: unknown profile %q (allowed: %s, or an inline map such as {latency: 50ms})", name, strings.Join(Names(), ", "))
}

func parseProfiles(data []byte) ([]Profile, error) {
	var doc struct {
		Profiles []map[string]any `yaml:"profiles"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict()).Decode(&doc); err != nil {
		return nil, fmt.Errorf("netem profiles: %w", err)
	}
	seen := map[string]bool{}
	out := make([]Profile, 0, len(doc.Profiles))
	for i, m := range doc.Profiles {
		var p Profile
		rest := make(map[string]any, len(m))
		for k, v := range m {
			rest[k] = v
		}
		name, ok := rest["name"].(string)
		if !ok || name == "" {
			return nil, fmt.Errorf("netem profiles: entry %d: name is missing", i)
		}
		if seen[name] {
			return nil, fmt.Errorf("netem profiles: %s: duplicate name", name)
		}
		seen[name] = true
		p.Name = name
		delete(rest, "name")
		if d, ok := rest["description"]; ok {
			if p.Description, ok = d.(string); !ok {
				return nil, fmt.Errorf("netem profiles: %s: description is not a string", name)
			}
			delete(rest, "description")
		}
		p.Sources = map[string]string{}
		if s, ok := rest["sources"]; ok {
			sm, ok := s.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("netem profiles: %s: sources is not a map", name)
			}
			for k, v := range sm {
				str, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("netem profiles: %s: sources.%s is not a string", name, k)
				}
				p.Sources[k] = strings.TrimSpace(str)
			}
			delete(rest, "sources")
		}
		spec, err := ParseSpec(rest)
		if err != nil {
			return nil, fmt.Errorf("netem profiles: %s: %w", name, err)
		}
		p.Spec = spec
		for k := range p.Sources {
			if _, ok := rest[k]; !ok {
				return nil, fmt.Errorf("netem profiles: %s: sources.%s cites a figure the profile does not set", name, k)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// figureKeys returns the spec keys a profile entry sets, sorted.
func figureKeys(p Profile) []string {
	var keys []string
	s := p.Spec
	set := map[string]bool{
		keyLatency:              s.Latency > 0,
		keyJitter:               s.Jitter > 0,
		keyBandwidth:            s.Bandwidth > 0,
		keyResetProbability:     s.ResetProbability > 0,
		keyResetAfter:           s.ResetAfter > 0,
		keyBlackholeProbability: s.BlackholeProbability > 0,
		keyBlackholeTimeout:     s.BlackholeTimeout > 0,
		keySlowClose:            s.SlowClose > 0,
		keyDataLimit:            s.DataLimit > 0,
	}
	for k, on := range set {
		if on {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
