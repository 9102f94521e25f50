package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Clone returns a deep copy: no slice, map or pointer is shared with s, so
// a runner or the CLI may change the copy freely.
func (s *Scenario) Clone() *Scenario {
	if s == nil {
		return nil
	}
	c := *s
	c.Load.Steps = slices.Clone(s.Load.Steps)
	c.Subscribers = nil
	if s.Subscribers != nil {
		c.Subscribers = make([]Subscriber, len(s.Subscribers))
		for i, sub := range s.Subscribers {
			c.Subscribers[i] = cloneSubscriber(sub)
		}
	}
	if s.tmpl != nil {
		t := cloneSubscriber(*s.tmpl)
		c.tmpl = &t
	}
	c.Thresholds = slices.Clone(s.Thresholds)
	c.Flows = cloneFlows(s.Flows)
	c.Systems = s.Systems.clone()
	if sw := s.Sweep; sw != nil {
		csw := *sw
		csw.Rate = slices.Clone(sw.Rate)
		csw.Subscribers = slices.Clone(sw.Subscribers)
		if sw.Params != nil {
			csw.Params = make(map[string][]float64, len(sw.Params))
			for k, v := range sw.Params {
				csw.Params[k] = slices.Clone(v)
			}
		}
		if sw.FindMax != nil {
			fm := *sw.FindMax
			csw.FindMax = &fm
		}
		c.Sweep = &csw
	}
	if s.Cost != nil {
		cc := *s.Cost
		cc.Overrides = maps.Clone(s.Cost.Overrides)
		c.Cost = &cc
	}
	return &c
}

func cloneSubscriber(s Subscriber) Subscriber {
	s.Faults = slices.Clone(s.Faults)
	s.Headers = maps.Clone(s.Headers)
	s.KeepAlive = cloneBool(s.KeepAlive)
	s.Retry = cloneRetry(s.Retry)
	if s.ClientTLS != nil {
		t := *s.ClientTLS
		s.ClientTLS = &t
	}
	return s
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

// redactedMark replaces values that look secret.
const redactedMark = "[redacted]"

// secretish reports whether a free-form config key names a credential.
func secretish(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"password", "secret", "jaas", "token", "credential", "private"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Redacted returns a copy that is safe to write into results: the schema
// already keeps secrets out of scenarios (signing secrets and SASL
// credentials are environment variable NAMES, which stay), and free-form
// Kafka topic configs whose key names a credential (password, secret,
// jaas, token, ...) have their value replaced by "[redacted]", as do every
// url subscriber's header values and URL query (see redactEndpoints).
func (s *Scenario) Redacted() *Scenario {
	c := s.Clone()
	if c == nil {
		return nil
	}
	for _, n := range c.Systems.Names() {
		if r, ok := c.Systems.Get(n).(BlockRedactor); ok {
			r.RedactBlock()
		}
	}
	redactEndpoints(c.Subscribers)
	return c
}

// JSON renders the redacted, resolved scenario (defaults filled in, units
// in base units, field names as in results.json's "scenario"), indented.
func (s *Scenario) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "e2e.p99 < 1s" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.Redacted()); err != nil {
		return nil, fmt.Errorf("encode scenario %q: %w", s.Name, err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// WithRate returns a copy running at rate r (the CLI's --rate): a constant
// or Poisson arrival runs at r, other shapes are scaled so their peak is r.
// It returns an *Error when the result is invalid.
func (s *Scenario) WithRate(r Rate) (*Scenario, error) {
	c := s.Clone()
	c.Load = c.Load.withPeak(r)
	if c.Sweep != nil {
		c.Sweep.Rate = nil
		if c.Sweep.FindMax != nil {
			c.Sweep.FindMax.Start = r
			if c.Sweep.FindMax.Limit != 0 && c.Sweep.FindMax.Limit <= r {
				c.Sweep.FindMax.Limit = 0
			}
		}
		if c.Sweep.empty() {
			c.Sweep = nil
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// WithDuration returns a copy whose measured period is d (the CLI's
// --duration). Steps and spikes are scaled in proportion so their shape is
// kept; faults are not moved, so a fault that would now start after the run
// ends is reported as an error rather than silently dropped. d is in
// scenario time, like load.duration in the file: with time_scale it is
// compressed the same way.
func (s *Scenario) WithDuration(d Duration) (*Scenario, error) {
	c := s.Clone()
	if c.Compressed() {
		d = Duration(math.Round(float64(d) / c.TimeScale))
	}
	old := c.Load.Duration
	f := 1.0
	if old > 0 {
		f = float64(d) / float64(old)
	}
	switch c.Load.Arrival {
	case ArrivalSteps:
		var total Duration
		for i := range c.Load.Steps {
			c.Load.Steps[i].For = Duration(float64(c.Load.Steps[i].For) * f)
			total += c.Load.Steps[i].For
		}
		if n := len(c.Load.Steps); n > 0 {
			c.Load.Steps[n-1].For += d - total // exact total despite rounding
		}
	case ArrivalSpike:
		c.Load.At = Duration(float64(c.Load.At) * f)
		c.Load.For = Duration(float64(c.Load.For) * f)
		if c.Load.At+c.Load.For > d {
			c.Load.For = d - c.Load.At
		}
	}
	c.Load.Duration = d
	if fm := c.Sweep.findMax(); fm != nil && fm.Duration == old {
		fm.Duration = d
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (sw *Sweep) empty() bool {
	return len(sw.Rate) == 0 && len(sw.Subscribers) == 0 && len(sw.Params) == 0 && sw.FindMax == nil
}
