package scenarios

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/evbench/evbench/internal/limitedfile"
)

// Limits on resolved values. They reject typos and impossible plans, not
// ambitious ones; each message says which limit was hit.
const (
	MaxKeys            = 10_000_000
	MaxEventSize       = ByteSize(16 << 20)
	MaxInFlight        = 100_000
	MaxQueueLimit      = 100_000_000
	MaxAttempts        = 100
	MaxPartitions      = 10_000
	MaxReplication     = 32
	MaxClients         = 1000 // producers, members
	MaxBufferedRecords = 100_000_000
	MinBatchMaxBytes   = ByteSize(1 << 10)
	MaxBatchMaxBytes   = ByteSize(1 << 30)
	MaxTimeout         = Duration(time.Hour)
	// MaxRetryDelay bounds one delay of a retry schedule: real providers
	// wait up to a day or more between late retries (the stripe preset's
	// last delay is 34h8m); a month is a typo.
	MaxRetryDelay = Duration(7 * 24 * time.Hour)
	MaxLinger     = Duration(time.Minute)
	MaxProcessing = Duration(time.Hour)
	MaxRepeats    = 100
	// MaxFindMaxConfirm bounds sweep.find_max.confirm: each rerun is a
	// full probe point, and more than a few only hides a system that fails.
	MaxFindMaxConfirm = 5
	// MinDuration is the shortest measured period: rates are per second,
	// and a 1 ns run reported 1e9 events/s.
	MinDuration = Duration(time.Second)
	// MaxDuration bounds the measured period, warm-up, drain and fault
	// times: a day-long soak is a plan, a 100-year one is a typo.
	MaxDuration = Duration(24 * time.Hour)
	// MaxInFlightBytes bounds the payload bytes a scenario may hold in
	// flight at once (mean event size x concurrent deliveries): every
	// delivery in flight holds a copy of its body, and RSS follows (20
	// subscribers x 64 in flight x 16 MiB reached 2.3 GB).
	MaxInFlightBytes = ByteSize(512 << 20)
	// MaxSecretFileBytes bounds a TLS CA, certificate or key file read
	// when validating.
	MaxSecretFileBytes = 1 << 20
	MaxPoints          = 10_000
	// MaxSubscriberPoints bounds points x subscribers of one sweep (each
	// point holds its own copy of the subscriber list).
	MaxSubscriberPoints = 1_000_000
	// MaxEvents bounds warm-up plus measured events of one point: event ids
	// keep 40 bits for the sequence number.
	MaxEvents = 1 << 40
	// recordOverhead is room left in a producer batch for the record's key,
	// headers (event id, intended time) and batch framing.
	recordOverhead = 1 << 10
)

// problem is one validation failure on a resolved scenario: key is the
// dotted path of the offending setting, at (optional) the path whose
// position the error should point to when key was not written.
type problem struct {
	key, at, msg, allowed string
}

// checker collects problems. timeline enables the check that every fault
// starts before the run ends: right for a scenario as written, wrong for
// derived points such as short saturation probes.
type Checker struct {
	probs    []problem
	timeline bool
}

func (c *Checker) add(key, msg, allowed string) {
	c.probs = append(c.probs, problem{key: key, msg: msg, allowed: allowed})
}

func (c *Checker) addAt(key, at, msg, allowed string) {
	c.probs = append(c.probs, problem{key: key, at: at, msg: msg, allowed: allowed})
}

func (c *Checker) intRange(key string, v, lo, hi int, why string) {
	if v < lo || v > hi {
		msg := fmt.Sprintf("%d is out of range", v)
		if why != "" {
			msg += ": " + why
		}
		c.add(key, msg, fmt.Sprintf("%d to %d", lo, hi))
	}
}

func (c *Checker) durRange(key string, v Duration, positive bool, hi Duration) {
	switch {
	case v < 0:
		c.add(key, fmt.Sprintf("%v is negative", v), "durations >= 0")
	case positive && v == 0:
		allowed := "more than 0s"
		if hi > 0 {
			allowed += fmt.Sprintf(", at most %v", hi)
		}
		c.add(key, "must be greater than 0", allowed)
	case hi > 0 && v > hi:
		c.add(key, fmt.Sprintf("%v is more than the maximum %v", v, hi), "")
	}
}

func (c *Checker) enum(key, v string, allowed ...string) {
	if !contains(allowed, v) {
		c.add(key, fmt.Sprintf("%q is not allowed", v), strings.Join(allowed, ", "))
	}
}

// Validate checks a resolved scenario (as LoadFile returns it, possibly
// changed in Go afterwards, e.g. by CLI overrides) and returns the first
// problem as an *Error without a position, or nil.
func (s *Scenario) Validate() error { return s.validate(true) }

// validate is Validate with the fault-timeline check optional: Expand
// skips it, because a derived point (a short find_max probe) may
// legitimately end before a fault written for the full run starts.
func (s *Scenario) validate(timeline bool) error {
	probs := check(s, timeline)
	if len(probs) == 0 {
		return nil
	}
	p := probs[0]
	return &Error{File: s.File, Key: p.key, Msg: p.msg, Allowed: p.allowed}
}

var (
	scenarioName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	eventType    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`)
	// envName is the POSIX convention for environment variable names
	// (upper-case letters, digits, underscore). It is deliberately narrow:
	// a secret pasted where a name belongs must be refused, and a value
	// that fails it is never repeated in messages or stored.
	envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)
)

// check validates value ranges and relations between settings of a
// resolved scenario. Presence rules (a key written where it means nothing)
// are the decoder's job; everything about values is here, once, for files
// and for scenarios changed in Go.
func check(s *Scenario, timeline bool) []problem {
	c := &Checker{timeline: timeline}
	if !scenarioName.MatchString(s.Name) {
		c.add("name", fmt.Sprintf("%q is not a valid scenario name", s.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
	}
	c.load(s.Load)
	c.event(s.Event)
	c.subscribers(s)
	c.checkSystems(s)
	c.networks(s)
	c.thresholds(s)
	c.sweep(s)
	c.flows(s)
	if s.TimeScale != 0 && !(s.TimeScale >= 1 && s.TimeScale <= MaxTimeScale) {
		c.add("time_scale", fmt.Sprintf("%v is out of range: the factor every scenario duration is divided by", s.TimeScale), fmt.Sprintf("1 to %d", MaxTimeScale))
	}
	explainScale(c.probs, s.TimeScale)
	return c.probs
}

func (c *Checker) load(l Load) {
	const p = "load"
	if !contains(arrivalNames, l.Arrival) {
		c.enum(p+".arrival", l.Arrival, arrivalNames...)
		return
	}
	rate := func(key string, r Rate, positive bool, why string) {
		switch {
		case math.IsNaN(float64(r)) || r < 0:
			c.add(key, fmt.Sprintf("%v is negative", r), allowedRate)
		case positive && r == 0:
			c.addAt(key, p+".arrival", why, allowedRate)
		case r > MaxRate:
			c.add(key, fmt.Sprintf("%v is more than the maximum %v", r, MaxRate), "")
		}
	}
	switch l.Arrival {
	case ArrivalConstant, ArrivalPoisson:
		rate(p+".rate", l.Rate, true, "a "+l.Arrival+" arrival needs a rate greater than 0 (e.g. rate: 200/s), or a sweep.rate list")
	case ArrivalRamp:
		rate(p+".from", l.From, false, "")
		rate(p+".to", l.To, false, "")
		if l.From == 0 && l.To == 0 {
			c.add(p+".to", "a ramp from 0/s to 0/s offers no events", "at least one of from and to greater than 0")
		}
	case ArrivalSteps:
		if len(l.Steps) == 0 {
			c.addAt(p+".steps", p+".steps", "a steps arrival needs at least one step", "a list of {rate, for}")
		}
		var peak Rate
		for i, st := range l.Steps {
			k := index(p+".steps", i)
			rate(k+".rate", st.Rate, false, "")
			c.durRange(k+".for", st.For, true, MaxDuration)
			peak = max(peak, st.Rate)
		}
		if len(l.Steps) > 0 && peak == 0 {
			c.add(p+".steps", "every step has rate 0/s: no events", "at least one step with a rate greater than 0")
		}
	case ArrivalSpike:
		rate(p+".base", l.Base, false, "")
		rate(p+".peak", l.Peak, true, "a spike needs a peak greater than 0")
		if l.Peak < l.Base {
			c.add(p+".peak", fmt.Sprintf("peak %v is below base %v", l.Peak, l.Base), "peak >= base")
		}
		c.durRange(p+".at", l.At, false, MaxDuration)
		c.durRange(p+".for", l.For, true, MaxDuration)
		if l.At+l.For > l.Duration {
			c.add(p+".for", fmt.Sprintf("the spike (at %v for %v) ends after the measured period (%v)", l.At, l.For, l.Duration), "at + for <= duration")
		}
	}
	if l.Arrival != ArrivalSteps { // a steps duration is the sum of its steps
		c.durRange(p+".duration", l.Duration, true, MaxDuration)
		c.minDuration(p+".duration", l.Duration)
	} else if len(l.Steps) > 0 {
		if l.Duration > MaxDuration {
			c.add(p+".steps", fmt.Sprintf("the steps last %v in all, more than the maximum %v", l.Duration, MaxDuration), fmt.Sprintf("a total for of %v to %v", MinDuration, MaxDuration))
		} else if l.Duration < MinDuration {
			c.add(p+".steps", fmt.Sprintf("the steps last %v in all, less than the minimum %v (rates are per second)", l.Duration, MinDuration), fmt.Sprintf("a total for of %v to %v", MinDuration, MaxDuration))
		}
	}
	c.durRange(p+".warmup", l.Warmup, false, MaxDuration)
	c.durRange(p+".drain", l.Drain, false, MaxDuration)
	if len(c.probs) == 0 {
		if n := l.expectedEvents(); n < 1 {
			c.addAt(rateKey(l), p+".arrival", fmt.Sprintf("%.3g events in the measured period (rate x duration): a run needs at least 1", n), "rates and durations whose product is at least 1 event, e.g. 1/s for 1s")
		}
	}
	total := float64(l.PeakRate()) * (l.Warmup + l.Duration).D().Seconds()
	if total > MaxEvents {
		c.add(p+".duration", fmt.Sprintf("%.3g events in one point is more than event ids allow (%d)", total, int64(MaxEvents)), "")
	}
}

// inFlight bounds mean event size x endpoints x max_in_flight by
// MaxInFlightBytes, naming the largest max_in_flight that fits.
func (c *Checker) inFlight(key string, mean float64, endpoints, maxInFlight int) {
	if maxInFlight < 1 || mean*float64(endpoints)*float64(maxInFlight) <= float64(MaxInFlightBytes) {
		return
	}
	fits := int(float64(MaxInFlightBytes) / (mean * float64(endpoints)))
	what := fmt.Sprintf("%d in flight", maxInFlight)
	if endpoints > 1 {
		what += fmt.Sprintf(" x %d subscribers", endpoints)
	}
	msg := fmt.Sprintf("%s x %v mean event size can hold %v of payloads in flight, more than the %v memory bound", what, ByteSize(math.Round(mean)), ByteSize(math.Round(mean*float64(endpoints)*float64(maxInFlight))), MaxInFlightBytes)
	allowed := fmt.Sprintf("at most %d with these events and subscribers", fits)
	if fits < 1 {
		allowed = fmt.Sprintf("smaller events or fewer subscribers: mean event size x subscribers at most %v", MaxInFlightBytes)
	}
	c.add(key, msg, allowed)
}

// minDuration rejects a positive measured period below MinDuration (0 and
// negative values are durRange's).
func (c *Checker) minDuration(key string, d Duration) {
	if d > 0 && d < MinDuration {
		c.add(key, fmt.Sprintf("%v is less than the minimum %v (rates are per second; a shorter period gives meaningless rates)", d, MinDuration), fmt.Sprintf("%v to %v", MinDuration, MaxDuration))
	}
}

// expectedEvents is the number of events the shape schedules in the
// measured period (the integral of its rate).
func (l Load) expectedEvents() float64 {
	d := l.Duration.D().Seconds()
	switch l.Arrival {
	case ArrivalRamp:
		return float64(l.From+l.To) / 2 * d
	case ArrivalSteps:
		var n float64
		for _, st := range l.Steps {
			n += float64(st.Rate) * st.For.D().Seconds()
		}
		return n
	case ArrivalSpike:
		return float64(l.Base)*(d-l.For.D().Seconds()) + float64(l.Peak)*l.For.D().Seconds()
	default:
		return float64(l.Rate) * d
	}
}

// rateKey is the key holding the shape's peak rate, where a "too few
// events" problem points.
func rateKey(l Load) string {
	switch l.Arrival {
	case ArrivalRamp:
		if l.From > l.To {
			return "load.from"
		}
		return "load.to"
	case ArrivalSteps:
		return "load.steps"
	case ArrivalSpike:
		return "load.peak"
	}
	return "load.rate"
}

// checkDist validates a distribution stored in base units.
func (c *Checker) dist(key string, d Dist, unit distUnit, hi float64) {
	show := func(v float64) string {
		if unit == unitSize {
			return ByteSize(v).String()
		}
		return time.Duration(v).String()
	}
	for _, v := range []float64{d.Value, d.Min, d.Max, d.Median, d.P99, d.Mean} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			c.add(key, "distribution values must be finite and >= 0", "")
			return
		}
	}
	switch d.Kind {
	case DistFixed:
		if d.Value > hi {
			c.add(key, fmt.Sprintf("%s is more than the maximum %s", show(d.Value), show(hi)), "")
		}
	case DistUniform:
		if d.Min > d.Max {
			c.add(key+".max", fmt.Sprintf("max %s is below min %s", show(d.Max), show(d.Min)), "max >= min")
		} else if d.Max > hi {
			c.add(key+".max", fmt.Sprintf("%s is more than the maximum %s", show(d.Max), show(hi)), "")
		}
	case DistLognormal:
		switch {
		case d.Median <= 0:
			c.add(key+".median", "a lognormal median must be greater than 0", "")
		case d.P99 < d.Median:
			c.add(key+".p99", fmt.Sprintf("p99 %s is below the median %s: a p99 is never below the median", show(d.P99), show(d.Median)), "p99 >= median")
		case d.P99 > hi:
			c.add(key+".p99", fmt.Sprintf("%s is more than the maximum %s", show(d.P99), show(hi)), "")
		}
	case DistExponential:
		if d.Mean <= 0 {
			c.add(key+".mean", "an exponential mean must be greater than 0 (use a fixed 0 for no time)", "")
		} else if d.Mean > hi {
			c.add(key+".mean", fmt.Sprintf("%s is more than the maximum %s", show(d.Mean), show(hi)), "")
		}
	default:
		c.enum(key+".dist", d.Kind, DistFixed, DistUniform, DistLognormal, DistExponential)
	}
}

// distMax is the largest value a distribution produces, or its p99 for
// unbounded ones (lognormal), or 0 when there is no useful bound.
func distMax(d Dist) float64 {
	switch d.Kind {
	case DistFixed:
		return d.Value
	case DistUniform:
		return d.Max
	case DistLognormal:
		return d.P99
	}
	return 0
}

func (c *Checker) event(e Event) {
	c.dist("event.size", e.Size, unitSize, float64(MaxEventSize))
	c.intRange("event.keys", e.Keys, 1, MaxKeys, "")
	if !eventType.MatchString(e.Type) {
		c.add("event.type", fmt.Sprintf("%q is not a valid event type", e.Type), "letters, digits and . _ : / -, at most 128 characters, e.g. order.created")
	}
}

func (c *Checker) subscribers(s *Scenario) {
	if len(s.Subscribers) == 0 {
		c.add("subscribers", "no subscribers: declare at least one downstream service", "a list of {name, processing, ...}")
		return
	}
	if len(s.Subscribers) > MaxSubscribers {
		c.add("subscribers", fmt.Sprintf("%d subscribers is more than the maximum %d", len(s.Subscribers), MaxSubscribers), "")
	}
	seen := map[string]int{}
	end := s.Load.Duration + s.Load.Drain
	for i, sub := range s.Subscribers {
		p := index("subscribers", i)
		if !subscriberName.MatchString(sub.Name) {
			c.add(p+".name", fmt.Sprintf("%q is not a valid subscriber name", sub.Name), "letters, digits, '.', '_', '-', starting with a letter or digit, at most 100 characters")
		} else if j, dup := seen[sub.Name]; dup {
			c.add(p+".name", fmt.Sprintf("subscriber name %q is already used by subscribers[%d]", sub.Name, j), "unique names")
		}
		seen[sub.Name] = i
		c.dist(p+".processing", sub.Processing, unitTime, float64(MaxProcessing))
		c.enum(p+".ack", sub.Ack, AckAfterProcessing, AckBeforeProcessing)
		if sub.Members != 0 {
			c.intRange(p+".members", sub.Members, 1, MaxClients, "")
		}
		for j, f := range sub.Faults {
			c.fault(index(p+".faults", j), f, end)
		}
		c.joinAt(p+".join_at", sub.JoinAt, s)
		if sub.Retry != nil {
			c.retry(p+".retry", *sub.Retry)
		}
		c.endpoint(p, s, sub)
	}
	c.sinkLedgers(s)
}

func (c *Checker) fault(p string, f Fault, end Duration) {
	if !contains(faultKinds, f.Kind) {
		c.enum(p+".kind", f.Kind, faultKinds...)
		return
	}
	c.durRange(p+".at", f.At, false, MaxDuration)
	c.durRange(p+".for", f.For, f.Kind == FaultPause || f.Kind == FaultPartition, MaxDuration)
	if c.timeline && f.At >= end {
		c.add(p+".at", fmt.Sprintf("%v is at or after the end of the run (duration + drain = %v): the fault would never happen", f.At, end), fmt.Sprintf("less than %v", end))
	}
	used := faultKindKeys[f.Kind]
	notUsed := func(key string, set bool) {
		if set && !contains(used, key) {
			c.add(p+"."+key, "not meaningful for a "+f.Kind+" fault", "kind, "+strings.Join(used, ", "))
		}
	}
	notUsed("add", f.Add != 0)
	notUsed("retry_after", f.RetryAfter != 0)
	notUsed("status", f.Status != 0 && f.Kind != FaultErrors)
	notUsed("probability", f.Probability != 0 && f.Kind != FaultErrors)
	switch f.Kind {
	case FaultErrors:
		c.intRange(p+".status", f.Status, 100, 599, "an HTTP status code")
		// 0 is rejected, not accepted as "never": in scenarios built in Go
		// an unset probability is 0 and the runners read it as 1 (always).
		switch {
		case f.Probability == 0:
			c.add(p+".probability", "0 would never inject an error: remove the fault instead", "more than 0, at most 1")
		case !(f.Probability > 0 && f.Probability <= 1):
			c.add(p+".probability", fmt.Sprintf("%v is outside (0, 1]", f.Probability), "more than 0, at most 1")
		}
		c.durRange(p+".retry_after", f.RetryAfter, false, MaxTimeout)
	case FaultSlow:
		c.durRange(p+".add", f.Add, true, MaxTimeout)
	}
}

func (c *Checker) retry(p string, r Retry) {
	c.intRange(p+".max_attempts", r.MaxAttempts, 1, MaxAttempts, "counts the first attempt; 1 means no retries")
	if r.Preset != "" {
		pr, ok := LookupRetryPreset(r.Preset)
		switch {
		case !ok:
			c.enum(p+".preset", r.Preset, RetryPresetNames()...)
		case r.MaxAttempts > pr.MaxAttempts:
			c.add(p+".max_attempts", fmt.Sprintf("the %s preset makes at most %d attempts (%d delays); %d would invent retries the provider does not make", r.Preset, pr.MaxAttempts, len(pr.Schedule), r.MaxAttempts),
				fmt.Sprintf("1 to %d with preset %s", pr.MaxAttempts, r.Preset))
		}
	}
	c.enum(p+".backoff", r.Backoff, BackoffExponential, BackoffLinear, BackoffSchedule)
	switch r.Backoff {
	case BackoffSchedule:
		if len(r.Schedule) == 0 {
			c.addAt(p+".schedule", p+".backoff", "backoff schedule needs a schedule: a list of delays such as [1s, 5s, 30s]", "")
		} else if r.MaxAttempts > len(r.Schedule)+1 {
			c.add(p+".max_attempts", fmt.Sprintf("%d attempts need %d delays but the schedule lists %d", r.MaxAttempts, r.MaxAttempts-1, len(r.Schedule)),
				fmt.Sprintf("at most %d (leave max_attempts out to use the whole schedule)", len(r.Schedule)+1))
		}
		for i, d := range r.Schedule {
			c.durRange(index(p+".schedule", i), d, false, MaxRetryDelay)
		}
	default:
		if len(r.Schedule) > 0 {
			c.add(p+".schedule", "a schedule is only used with backoff: schedule", "backoff: schedule")
		}
		c.durRange(p+".initial", r.Initial, true, MaxTimeout)
		c.durRange(p+".max", r.Max, true, MaxTimeout)
		if r.Max < r.Initial {
			c.add(p+".max", fmt.Sprintf("max %v is below initial %v", r.Max, r.Initial), "max >= initial")
		}
	}
	if !(r.Jitter >= 0 && r.Jitter <= 1) {
		c.add(p+".jitter", fmt.Sprintf("%v is outside [0, 1]", r.Jitter), "0 to 1 (a +/- fraction of each delay)")
	}
}

func (c *Checker) signing(p string, s Signing) {
	if s.SecretEnv != "" && !envName.MatchString(s.SecretEnv) {
		c.add(p+".secret_env", notEnvName(s.SecretEnv)+" (the secret itself never goes in the file)", allowedEnvName+", such as EVBENCH_WEBHOOK_SECRET")
	}
}

const allowedEnvName = "the name of an environment variable: upper-case letters, digits and _, not starting with a digit, at most 128 characters"

// notEnvName says a value is not a variable name without repeating it: it
// may be the secret itself, pasted by mistake.
func notEnvName(v string) string {
	if v == "" {
		return "the value (empty) is not an environment variable name"
	}
	return fmt.Sprintf("the value (%d characters, not shown: it may be a secret) is not an environment variable name", utf8.RuneCountInString(v))
}

// tlsFiles checks that the TLS files exist and hold what they should, so
// a wrong path fails validation instead of the run. Messages never quote
// the files' content.
func (c *Checker) tlsFiles(p string, t *KafkaTLS) {
	read := func(key, path string) []byte {
		if path == "" {
			return nil
		}
		b, err := limitedfile.Read(path, MaxSecretFileBytes)
		if err != nil {
			c.add(p+"."+key, fmt.Sprintf("cannot read %q: %s", path, errText(err)), "the path of a PEM file, relative to the scenario file or absolute")
			return nil
		}
		return b
	}
	if b := read("ca_file", t.CAFile); b != nil && !x509.NewCertPool().AppendCertsFromPEM(b) {
		c.add(p+".ca_file", fmt.Sprintf("%q holds no PEM certificate", t.CAFile), "a PEM file of CA certificates")
	}
	cert, key := read("cert_file", t.CertFile), read("key_file", t.KeyFile)
	if cert != nil && key != nil {
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			c.add(p+".cert_file", fmt.Sprintf("%q and %q are not a matching PEM certificate and private key (%s)", t.CertFile, t.KeyFile, strings.TrimPrefix(err.Error(), "tls: ")), "")
		}
	}
}

// CheckBrokers applies the scenario's systems.kafka.brokers rules to a
// value given elsewhere (evbench run --brokers), so a bad value is bad
// input (exit 2) before anything starts.
func CheckBrokers(b string) error {
	if msg := checkBrokers(b); msg != "" {
		return &Error{Msg: msg, Allowed: allowedBrokers}
	}
	return nil
}

const allowedBrokers = `"embedded" or a comma-separated host:port list`

func checkBrokers(b string) string {
	if EmbeddedBrokers(b) {
		return ""
	}
	for _, hp := range strings.Split(b, ",") {
		hp = strings.TrimSpace(hp)
		host, port, err := net.SplitHostPort(hp)
		if err != nil || host == "" {
			return fmt.Sprintf("%q is not host:port", hp)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q: port %q is not 1-65535", hp, port)
		}
	}
	return ""
}

// exprApplies says why a metric cannot be measured by any enabled system.
func exprApplies(e Expr, sy Systems) string {
	switch f := e.Family(); f {
	case FamilyPublish, FamilyAttempt:
		if sy.measures(f) {
			return ""
		}
		by := measuredBy(f)
		switch len(by) {
		case 0:
			return f + " latency is measured by no registered system"
		case 1:
			return fmt.Sprintf("%s latency is measured by the %s system only, and it is not enabled", f, by[0])
		case 2:
			return fmt.Sprintf("%s latency is measured by the %s and %s systems only, and neither is enabled", f, by[0], by[1])
		default:
			return fmt.Sprintf("%s latency is measured by the %s and %s systems only, and none is enabled", f, strings.Join(by[:len(by)-1], ", "), by[len(by)-1])
		}
	}
	return ""
}

func (c *Checker) thresholds(s *Scenario) {
	for i, t := range s.Thresholds {
		k := index("thresholds", i)
		if err := t.check(); err != nil {
			pe, _ := err.(*Error)
			if pe != nil {
				c.add(k, pe.Msg, pe.Allowed)
			} else {
				c.add(k, err.Error(), "")
			}
			continue
		}
		if why := exprApplies(t.Expr, s.Systems); why != "" {
			c.add(k, why, "")
		}
	}
}

func (c *Checker) sweep(s *Scenario) {
	sw := s.Sweep
	if sw == nil {
		return
	}
	const p = "sweep"
	if sw.empty() {
		c.add(p, "nothing to sweep", "rate, subscribers, params or find_max")
	}
	seenR := map[Rate]bool{}
	for i, r := range sw.Rate {
		k := index(p+".rate", i)
		switch {
		case !(r > 0):
			c.add(k, "a swept rate must be greater than 0", allowedRate)
		case r > MaxRate:
			c.add(k, fmt.Sprintf("%v is more than the maximum %v", r, MaxRate), "")
		case seenR[r]:
			c.add(k, fmt.Sprintf("%v is listed twice (use repeats to run a point more than once)", r), "")
		case s.Load.PeakRate() > 0 && s.Load.withPeak(r).expectedEvents() < 1:
			c.add(k, fmt.Sprintf("%.3g events in the measured period at %v: a point needs at least 1", s.Load.withPeak(r).expectedEvents(), r), "rates whose product with the duration is at least 1 event")
		}
		seenR[r] = true
	}
	seenN := map[int]bool{}
	for i, n := range sw.Subscribers {
		k := index(p+".subscribers", i)
		switch {
		case n < 1 || n > MaxSubscribers:
			c.add(k, fmt.Sprintf("%d is out of range", n), fmt.Sprintf("1 to %d", MaxSubscribers))
		case seenN[n]:
			c.add(k, fmt.Sprintf("%d is listed twice (use repeats to run a point more than once)", n), "")
		case s.template() == nil && n > len(s.Subscribers):
			c.add(k, fmt.Sprintf("%d subscribers, but only %d are declared: the sweep takes the first N (declare a single subscriber to have it copied N times)", n, len(s.Subscribers)),
				fmt.Sprintf("1 to %d", len(s.Subscribers)))
		}
		seenN[n] = true
	}
	for _, path := range sortedKeys(sw.Params) {
		k := join(p+".params", path)
		sp, ok := sweepables()[path]
		if !ok {
			c.add(k, fmt.Sprintf("%q is not a sweepable setting", path), sweepablePaths())
			continue
		}
		vals := sw.Params[path]
		if len(vals) == 0 {
			c.add(k, "an empty list", "at least one value")
		}
		if why := sp.needs(s); why != "" {
			c.add(k, why, "")
			continue
		}
		seen := map[float64]bool{}
		for i, v := range vals {
			vk := index(k, i)
			if msg := sp.check(v); msg != "" {
				c.add(vk, msg, sp.allowed())
			} else if seen[v] {
				c.add(vk, fmt.Sprintf("%v is listed twice (use repeats to run a point more than once)", v), "")
			} else if len(c.probs) == 0 {
				// Relations with other settings (max_attempts vs the retry
				// schedule, batch size vs event size): apply and re-check,
				// once the scenario itself is clean.
				pt := s.Clone()
				pt.Sweep = nil
				sp.apply(pt, v)
				for _, pr := range check(pt, c.timeline) {
					c.add(vk, fmt.Sprintf("with %s = %v: %s: %s", path, v, pr.key, pr.msg), pr.allowed)
				}
			}
			seen[v] = true
		}
	}
	if sw.Repeats < 1 || sw.Repeats > MaxRepeats {
		c.add(p+".repeats", fmt.Sprintf("%d is out of range", sw.Repeats), fmt.Sprintf("1 to %d", MaxRepeats))
	}
	if n := sw.points(); n > MaxPoints {
		c.add(p, fmt.Sprintf("the sweep has %d points (with repeats); at most %d", n, MaxPoints), "")
	} else {
		most := len(s.Subscribers)
		for _, k := range sw.Subscribers {
			most = max(most, k)
		}
		if n*most > MaxSubscriberPoints {
			c.add(p, fmt.Sprintf("%d points with up to %d subscribers each is more than %d subscriber-points (days of running)", n, most, MaxSubscriberPoints), "")
		}
	}
	if fm := sw.FindMax; fm != nil {
		fp := p + ".find_max"
		if err := fm.SLO.check(); err != nil {
			msg, allowed := err.Error(), ""
			if pe, ok := err.(*Error); ok {
				msg, allowed = pe.Msg, pe.Allowed
			}
			c.add(fp+".slo", msg, allowed)
		} else if why := exprApplies(fm.SLO.Expr, s.Systems); why != "" {
			c.add(fp+".slo", why, "")
		}
		if fm.MaxLoss < 0 {
			c.add(fp+".max_loss", "must be >= 0", "")
		}
		if !(fm.Start > 0) || fm.Start > MaxRate {
			c.add(fp+".start", fmt.Sprintf("%v is not a usable start rate", fm.Start), fmt.Sprintf("more than 0/s, at most %v", MaxRate))
		}
		if fm.Limit != 0 && (fm.Limit <= fm.Start || fm.Limit > MaxRate) {
			c.add(fp+".limit", fmt.Sprintf("limit %v must be above start %v", fm.Limit, fm.Start), fmt.Sprintf("more than start, at most %v", MaxRate))
		}
		if fm.Confirm < 0 || fm.Confirm > MaxFindMaxConfirm {
			c.add(fp+".confirm", fmt.Sprintf("%d is out of range", fm.Confirm), fmt.Sprintf("0 to %d", MaxFindMaxConfirm))
		}
		if !(fm.Tolerance > 0 && fm.Tolerance <= 0.5) {
			c.add(fp+".tolerance", fmt.Sprintf("%v is outside (0, 0.5]", fm.Tolerance), "a relative precision such as 0.05")
		}
		c.durRange(fp+".duration", fm.Duration, true, MaxDuration)
		c.minDuration(fp+".duration", fm.Duration)
		if n := float64(fm.Start) * fm.Duration.D().Seconds(); fm.Start > 0 && fm.Duration >= MinDuration && n < 1 {
			c.add(fp+".start", fmt.Sprintf("%.3g events in a probe (start x duration): a probe needs at least 1", n), "start x duration >= 1 event")
		}
	}
}

// points is the number of points Expand produces, saturating above the
// limit so hostile lists cannot overflow it.
func (sw *Sweep) points() int {
	n := 1
	mul := func(k int) {
		n *= max(1, k)
		if n > MaxPoints {
			n = MaxPoints + 1
		}
	}
	mul(len(sw.Rate))
	mul(len(sw.Subscribers))
	mul(sw.Repeats)
	for _, v := range sw.Params {
		mul(len(v))
	}
	return n
}
