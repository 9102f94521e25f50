package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Allowed-value descriptions shared by the loader's error messages.
const (
	allowedRate     = `N/s, N/min or N/h with N a number, e.g. "250/s", "1.5/min", "90000/h"`
	allowedDuration = `a Go duration such as "250ms", "2s", "1m30s" (units ns, us, ms, s, m, h)`
	allowedSize     = `N followed by B, KB (1000), KiB (1024), MB, MiB, GB or GiB, e.g. "512B", "1KiB"`
)

// MaxRate is the highest rate a scenario may ask for (events/s). Every
// subscriber tracks ids in a bitmap, so a rate far beyond what one machine
// can generate is a typo, not a plan.
const MaxRate Rate = 10_000_000

var numberRe = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$|^\.[0-9]+([eE][+-]?[0-9]+)?$`)

// ParseRate parses "N/s", "N/min" or "N/h" (N may be a decimal number) into
// events per second. A bare number is rejected: "100" could mean per second
// or per minute, and the difference is a 60x wrong benchmark.
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	num, unit, ok := strings.Cut(t, "/")
	if !ok {
		if numberRe.MatchString(t) {
			return 0, fmt.Errorf("%q has no unit", s)
		}
		return 0, fmt.Errorf("%q is not a rate", s)
	}
	num, unit = strings.TrimSpace(num), strings.TrimSpace(unit)
	if !numberRe.MatchString(num) {
		return 0, fmt.Errorf("%q: %q is not a non-negative number", s, num)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q: %q is not a finite number", s, num)
	}
	switch unit {
	case "s":
	case "min":
		v /= 60
	case "h":
		v /= 3600
	default:
		return 0, fmt.Errorf("%q: unknown rate unit %q", s, "/"+unit)
	}
	if Rate(v) > MaxRate {
		return 0, fmt.Errorf("%q is more than the maximum %v", s, MaxRate)
	}
	return Rate(v), nil
}

// ParseDuration parses Go duration syntax ("250ms", "1m30s"). "0" is the
// only value allowed without a unit; negative durations are rejected.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t != "0" && numberRe.MatchString(t) {
		return 0, fmt.Errorf("%q has no unit", s)
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative; durations must be >= 0", s)
	}
	return Duration(d), nil
}

var sizeRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

var sizeUnits = map[string]float64{
	"B":   1,
	"KB":  1e3,
	"KiB": 1 << 10,
	"MB":  1e6,
	"MiB": 1 << 20,
	"GB":  1e9,
	"GiB": 1 << 30,
}

// MaxByteSize bounds sizes (64 GiB): larger values overflow what any
// setting here means.
const MaxByteSize ByteSize = 64 << 30

// ParseByteSize parses "512B", "1KB" (1000), "1KiB" (1024), MB, MiB, GB,
// GiB. The unit is required and case-sensitive (KB and KiB differ by 2.4%);
// the result must be a whole number of bytes.
func ParseByteSize(s string) (ByteSize, error) {
	m := sizeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	if m[2] == "" {
		return 0, fmt.Errorf("%q has no unit", s)
	}
	mult, ok := sizeUnits[m[2]]
	if !ok {
		return 0, fmt.Errorf("%q: unknown size unit %q", s, m[2])
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	b := v * mult
	if b > float64(MaxByteSize) {
		return 0, fmt.Errorf("%q is more than the maximum %v", s, MaxByteSize)
	}
	if b != math.Trunc(b) {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	return ByteSize(b), nil
}

// String renders a rate as "N/s".
func (r Rate) String() string {
	return strconv.FormatFloat(float64(r), 'f', -1, 64) + "/s"
}

// String renders the duration in Go syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// String renders a size with the largest binary unit that divides it
// exactly ("1KiB", "1500B").
func (b ByteSize) String() string {
	for _, u := range []struct {
		name string
		n    ByteSize
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && b%u.n == 0 {
			return strconv.FormatInt(int64(b/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// PeakRate is the highest rate the load shape offers: the rate of a
// constant or Poisson arrival, the larger end of a ramp, the largest step,
// the spike's peak. Sweeps and --rate scale shapes to it, and results
// record it as params.rate_per_s.
func (l Load) PeakRate() Rate {
	switch l.Arrival {
	case ArrivalRamp:
		return max(l.From, l.To)
	case ArrivalSteps:
		var m Rate
		for _, s := range l.Steps {
			m = max(m, s.Rate)
		}
		return m
	case ArrivalSpike:
		return max(l.Base, l.Peak)
	default:
		return l.Rate
	}
}

// withPeak returns l with every rate scaled so that PeakRate() == r. A
// shape whose peak is 0 (impossible after validation) becomes a constant
// at r.
func (l Load) withPeak(r Rate) Load {
	p := l.PeakRate()
	if p <= 0 {
		l.Arrival, l.Rate = ArrivalConstant, r
		return l
	}
	f := float64(r) / float64(p)
	scale := func(x Rate) Rate { return Rate(float64(x) * f) }
	switch l.Arrival {
	case ArrivalRamp:
		l.From, l.To = scale(l.From), scale(l.To)
		// Keep the peak exact despite floating point.
		if l.From >= l.To {
			l.From = r
		} else {
			l.To = r
		}
	case ArrivalSteps:
		steps := make([]Step, len(l.Steps))
		for i, s := range l.Steps {
			s.Rate = scale(s.Rate)
			if l.Steps[i].Rate == p {
				s.Rate = r
			}
			steps[i] = s
		}
		l.Steps = steps
	case ArrivalSpike:
		l.Base, l.Peak = scale(l.Base), r
	default:
		l.Rate = r
	}
	return l
}
