package netspec

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Spec describes the network on one link. The zero Spec adds nothing (a
// plain TCP relay). Every figure applies per connection; latency, jitter,
// bandwidth and data_limit apply in each direction separately.
type Spec struct {
	// Latency is the one-way delay added in each direction: 50ms gives a
	// 100 ms round trip.
	Latency time.Duration
	// Jitter spreads each chunk's delay uniformly over
	// [Latency-Jitter, Latency+Jitter]. Order is kept (a TCP stream is never
	// reordered), so a chunk never overtakes the one before it.
	Jitter time.Duration
	// Bandwidth caps each direction of each connection, in bytes per
	// second; 0 is unlimited. Toxiproxy's resolution is 1 KB/s (1000 B/s).
	Bandwidth int64
	// ResetProbability is the chance that a connection is reset (TCP RST
	// to both ends) when the client first sends on it, after ResetAfter.
	ResetProbability float64
	// ResetAfter delays that reset after the first client data.
	ResetAfter time.Duration
	// BlackholeProbability is the chance that a connection silently drops
	// everything the client sends (a stalled connection).
	BlackholeProbability float64
	// BlackholeTimeout closes such a connection after this long; 0 keeps
	// it open until a side gives up.
	BlackholeTimeout time.Duration
	// SlowClose holds each side's close (FIN) back this long.
	SlowClose time.Duration
	// DataLimit closes a connection once this many bytes crossed it in one
	// direction; 0 is unlimited.
	DataLimit int64
}

// Spec keys, as written in profiles.yaml and in a scenario's inline form.
const (
	keyLatency              = "latency"
	keyJitter               = "jitter"
	keyBandwidth            = "bandwidth"
	keyResetProbability     = "reset_probability"
	keyResetAfter           = "reset_after"
	keyBlackholeProbability = "blackhole_probability"
	keyBlackholeTimeout     = "blackhole_timeout"
	keySlowClose            = "slow_close"
	keyDataLimit            = "data_limit"
)

// SpecKeys lists the keys ParseSpec accepts, in documentation order.
var SpecKeys = []string{
	keyLatency, keyJitter, keyBandwidth, keyResetProbability, keyResetAfter,
	keyBlackholeProbability, keyBlackholeTimeout, keySlowClose, keyDataLimit,
}

// Limits that catch typos: no link on Earth is slower than MaxLatency one
// way, and anything above MaxBandwidth is not a constraint worth emulating.
const (
	MaxLatency   = 10 * time.Second
	MaxBandwidth = int64(100) << 30 // 100 GiB/s
	MaxDataLimit = int64(64) << 30  // 64 GiB
	// MinBandwidth is Toxiproxy's resolution (its rate is in KB/s).
	MinBandwidth = 1000
)

// Allowed-value descriptions for error messages.
const (
	allowedDuration  = `a Go duration such as "250us", "50ms", "1.5s" (units ns, us, ms, s, m, h)`
	allowedBandwidth = `N followed by B/s, KB/s, KiB/s, MB/s, MiB/s, GB/s, GiB/s, kbit/s, Mbit/s or Gbit/s, e.g. "10MiB/s", "100Mbit/s"`
	allowedSize      = `N followed by B, KB (1000), KiB (1024), MB, MiB, GB or GiB, e.g. "64KiB"`
	allowedFraction  = `a number from 0 to 1, e.g. 0.001`
)

// IsZero reports whether s adds nothing to a link.
func (s Spec) IsZero() bool { return s == Spec{} }

// RoundTrip is the delay the spec adds to one request/response exchange
// (2 x Latency, excluding jitter and bandwidth).
func (s Spec) RoundTrip() time.Duration { return 2 * s.Latency }

// Validate checks ranges and consistency.
func (s Spec) Validate() error {
	switch {
	case s.Latency < 0 || s.Latency > MaxLatency:
		return fmt.Errorf("%s: %v is outside [0, %v]", keyLatency, s.Latency, MaxLatency)
	case s.Jitter < 0 || s.Jitter > s.Latency:
		return fmt.Errorf("%s: %v must be between 0 and latency (%v): a delay cannot be negative", keyJitter, s.Jitter, s.Latency)
	case s.Bandwidth < 0 || s.Bandwidth > MaxBandwidth:
		return fmt.Errorf("%s: %d B/s is outside [0, %d]", keyBandwidth, s.Bandwidth, MaxBandwidth)
	case s.Bandwidth > 0 && s.Bandwidth < MinBandwidth:
		return fmt.Errorf("%s: %d B/s is below Toxiproxy's resolution of 1 KB/s (1000 B/s)", keyBandwidth, s.Bandwidth)
	case !(s.ResetProbability >= 0 && s.ResetProbability <= 1):
		return fmt.Errorf("%s: %v is not %s", keyResetProbability, s.ResetProbability, allowedFraction)
	case s.ResetAfter < 0 || s.ResetAfter > time.Hour:
		return fmt.Errorf("%s: %v is outside [0, 1h]", keyResetAfter, s.ResetAfter)
	case s.ResetAfter > 0 && s.ResetProbability == 0:
		return fmt.Errorf("%s is set but %s is 0", keyResetAfter, keyResetProbability)
	case !(s.BlackholeProbability >= 0 && s.BlackholeProbability <= 1):
		return fmt.Errorf("%s: %v is not %s", keyBlackholeProbability, s.BlackholeProbability, allowedFraction)
	case s.BlackholeTimeout < 0 || s.BlackholeTimeout > time.Hour:
		return fmt.Errorf("%s: %v is outside [0, 1h]", keyBlackholeTimeout, s.BlackholeTimeout)
	case s.BlackholeTimeout > 0 && s.BlackholeProbability == 0:
		return fmt.Errorf("%s is set but %s is 0", keyBlackholeTimeout, keyBlackholeProbability)
	case s.SlowClose < 0 || s.SlowClose > time.Hour:
		return fmt.Errorf("%s: %v is outside [0, 1h]", keySlowClose, s.SlowClose)
	case s.ResetAfter%time.Millisecond != 0, s.BlackholeTimeout%time.Millisecond != 0, s.SlowClose%time.Millisecond != 0:
		return fmt.Errorf("%s, %s and %s must be whole milliseconds (Toxiproxy's unit for them)", keyResetAfter, keyBlackholeTimeout, keySlowClose)
	case s.DataLimit < 0 || s.DataLimit > MaxDataLimit:
		return fmt.Errorf("%s: %d bytes is outside [0, %d]", keyDataLimit, s.DataLimit, MaxDataLimit)
	}
	return nil
}

// String renders s in the inline form ParseSpec reads back, keys in
// SpecKeys order, zero fields left out ("{}" for the zero Spec).
func (s Spec) String() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+": "+v) }
	if s.Latency > 0 {
		add(keyLatency, s.Latency.String())
	}
	if s.Jitter > 0 {
		add(keyJitter, s.Jitter.String())
	}
	if s.Bandwidth > 0 {
		add(keyBandwidth, strconv.FormatInt(s.Bandwidth, 10)+"B/s")
	}
	if s.ResetProbability > 0 {
		add(keyResetProbability, strconv.FormatFloat(s.ResetProbability, 'g', -1, 64))
	}
	if s.ResetAfter > 0 {
		add(keyResetAfter, s.ResetAfter.String())
	}
	if s.BlackholeProbability > 0 {
		add(keyBlackholeProbability, strconv.FormatFloat(s.BlackholeProbability, 'g', -1, 64))
	}
	if s.BlackholeTimeout > 0 {
		add(keyBlackholeTimeout, s.BlackholeTimeout.String())
	}
	if s.SlowClose > 0 {
		add(keySlowClose, s.SlowClose.String())
	}
	if s.DataLimit > 0 {
		add(keyDataLimit, strconv.FormatInt(s.DataLimit, 10)+"B")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// ParseNetwork reads a scenario's `network` value: a profile name (a
// string, see Lookup) or the inline map form handled by ParseSpec. name is
// the profile's name, or "" for an inline spec.
func ParseNetwork(v any) (spec Spec, name string, err error) {
	switch t := v.(type) {
	case string:
		p, err := Lookup(t)
		if err != nil {
			return Spec{}, "", err
		}
		return p.Spec, p.Name, nil
	case map[string]any:
		s, err := ParseSpec(t)
		return s, "", err
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			ks, ok := k.(string)
			if !ok {
				return Spec{}, "", fmt.Errorf("network: key %v is not a string", k)
			}
			m[ks] = val
		}
		s, err := ParseSpec(m)
		return s, "", err
	case nil:
		return Spec{}, "", fmt.Errorf("network: empty value: want a profile name (%s) or a map such as {latency: 50ms, jitter: 5ms}", strings.Join(Names(), ", "))
	default:
		return Spec{}, "", fmt.Errorf("network: %T is neither a profile name (%s) nor a map such as {latency: 50ms, jitter: 5ms}", v, strings.Join(Names(), ", "))
	}
}

// ParseSpec parses the inline form, e.g. {latency: 50ms, jitter: 5ms,
// bandwidth: 10MiB/s, reset_probability: 0.001}, as decoded from YAML into a
// map. Parsing is strict: unknown keys, values without units, unknown units
// and out-of-range values are errors naming the key and what is allowed.
func ParseSpec(m map[string]any) (Spec, error) {
	s, err := ParseFields(m)
	if err != nil {
		return Spec{}, err
	}
	if err := s.Validate(); err != nil {
		return Spec{}, fmt.Errorf("network: %w", err)
	}
	return s, nil
}

// ParseFields is ParseSpec without the range and consistency checks of
// Validate: the scenario loader parses key by key (to point at the key that
// is wrong), then validates the whole spec.
func ParseFields(m map[string]any) (Spec, error) {
	var s Spec
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic first error
	for _, k := range keys {
		v := m[k]
		var err error
		switch k {
		case keyLatency:
			s.Latency, err = durationValue(v)
		case keyJitter:
			s.Jitter, err = durationValue(v)
		case keyResetAfter:
			s.ResetAfter, err = durationValue(v)
		case keyBlackholeTimeout:
			s.BlackholeTimeout, err = durationValue(v)
		case keySlowClose:
			s.SlowClose, err = durationValue(v)
		case keyBandwidth:
			var str string
			if str, err = stringValue(v, allowedBandwidth); err == nil {
				s.Bandwidth, err = ParseBandwidth(str)
			}
		case keyDataLimit:
			var str string
			if str, err = stringValue(v, allowedSize); err == nil {
				s.DataLimit, err = ParseSize(str)
			}
		case keyResetProbability:
			s.ResetProbability, err = fractionValue(v)
		case keyBlackholeProbability:
			s.BlackholeProbability, err = fractionValue(v)
		default:
			return Spec{}, fmt.Errorf("network: unknown key %q (allowed: %s)", k, strings.Join(SpecKeys, ", "))
		}
		if err != nil {
			return Spec{}, fmt.Errorf("network: %s: %w", k, err)
		}
	}
	return s, nil
}

func stringValue(v any, allowed string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%v (%T) has no unit: want %s", v, v, allowed)
	}
	return s, nil
}

var numberRe = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$|^\.[0-9]+([eE][+-]?[0-9]+)?$`)

func durationValue(v any) (time.Duration, error) {
	s, err := stringValue(v, allowedDuration)
	if err != nil {
		return 0, err
	}
	return ParseDuration(s)
}

// ParseDuration parses Go duration syntax; "0" is the only value allowed
// without a unit, and negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t != "0" && numberRe.MatchString(t) {
		return 0, fmt.Errorf("%q has no unit: want %s", s, allowedDuration)
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: want %s", s, allowedDuration)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d, nil
}

func fractionValue(v any) (float64, error) {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case float32:
		f = float64(t)
	case int:
		f = float64(t)
	case int64:
		f = float64(t)
	case uint64:
		f = float64(t)
	case int32:
		f = float64(t)
	case uint32:
		f = float64(t)
	case string:
		return 0, fmt.Errorf("%q is a string: want %s (unquoted)", t, allowedFraction)
	default:
		return 0, fmt.Errorf("%v (%T) is not %s", v, v, allowedFraction)
	}
	if !(f >= 0 && f <= 1) {
		return 0, fmt.Errorf("%v is not %s", v, allowedFraction)
	}
	return f, nil
}

var unitRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+(?:/s)?)$`)

var rateUnits = map[string]float64{
	"B/s":    1,
	"KB/s":   1e3,
	"KiB/s":  1 << 10,
	"MB/s":   1e6,
	"MiB/s":  1 << 20,
	"GB/s":   1e9,
	"GiB/s":  1 << 30,
	"kbit/s": 1e3 / 8,
	"Mbit/s": 1e6 / 8,
	"Gbit/s": 1e9 / 8,
}

var sizeUnits = map[string]float64{
	"B":   1,
	"KB":  1e3,
	"KiB": 1 << 10,
	"MB":  1e6,
	"MiB": 1 << 20,
	"GB":  1e9,
	"GiB": 1 << 30,
}

// ParseBandwidth parses a rate such as "10MiB/s" or "100Mbit/s" into whole
// bytes per second (rounded down). Units are case-sensitive: MB and Mbit
// differ 8x, MB and MiB by 5%.
func ParseBandwidth(s string) (int64, error) {
	v, err := parseUnit(s, rateUnits, allowedBandwidth, "rate")
	if err != nil {
		return 0, err
	}
	if v > float64(MaxBandwidth) {
		return 0, fmt.Errorf("%q is more than the maximum %d B/s", s, MaxBandwidth)
	}
	return int64(v), nil
}

// ParseSize parses a byte count such as "64KiB"; the result must be a whole
// number of bytes.
func ParseSize(s string) (int64, error) {
	v, err := parseUnit(s, sizeUnits, allowedSize, "size")
	if err != nil {
		return 0, err
	}
	if v > float64(MaxDataLimit) {
		return 0, fmt.Errorf("%q is more than the maximum %d bytes", s, MaxDataLimit)
	}
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	return int64(v), nil
}

func parseUnit(s string, units map[string]float64, allowed, what string) (float64, error) {
	t := strings.TrimSpace(s)
	if numberRe.MatchString(t) {
		return 0, fmt.Errorf("%q has no unit: want %s", s, allowed)
	}
	m := unitRe.FindStringSubmatch(t)
	if m == nil {
		return 0, fmt.Errorf("%q is not a %s: want %s", s, what, allowed)
	}
	mult, ok := units[m[2]]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q: want %s", s, m[2], allowed)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a %s: want %s", s, what, allowed)
	}
	return v * mult, nil
}
