package scenarios

import "fmt"

// The small decoding and checking API a system's block uses (registry.go):
// an Object is one mapping of the file whose keys were checked against an
// allow-list, read with typed readers that record the first error with
// file:line:column; a Checker collects problems with the resolved values,
// which the loader turns into positioned errors the same way.

// AnyInt is the bound of Object.Int: values whose real range is a value
// check (Checker.IntRange), where the message can say why.
const (
	AnyIntLo = anyLo
	AnyIntHi = anyHi
)

// OK reports whether no error has been recorded yet.
func (o *Object) OK() bool { return o != nil && o.d.ok() }

// Path returns the dotted path of key in this mapping.
func (o *Object) Path(key string) string { return o.p(key) }

// Has reports whether key was written (with any value, null included).
func (o *Object) Has(key string) bool { return o.has(key) }

// File is the recorded path of the scenario file ("" for a scenario read
// from memory): relative paths in a block resolve against its directory.
func (o *Object) File() string { return o.d.dir }

// Str reads a string; each reader returns false when key is absent (the
// default stays) or after recording an error.
func (o *Object) Str(key string, dst *string) bool { return o.str(key, dst) }

// Int reads a whole number in [lo, hi] (AnyIntLo, AnyIntHi: checked later).
func (o *Object) Int(key string, dst *int, lo, hi int64) bool { return o.intv(key, dst, lo, hi) }

// Float reads a finite number.
func (o *Object) Float(key string, dst *float64) bool { return o.floatv(key, dst) }

// Bool reads true or false.
func (o *Object) Bool(key string, dst *bool) bool { return o.boolv(key, dst) }

// BoolPtr reads true or false into a new *bool.
func (o *Object) BoolPtr(key string, dst **bool) bool { return o.boolp(key, dst) }

// Duration reads a duration with a unit ("250ms").
func (o *Object) Duration(key string, dst *Duration) bool { return o.durv(key, dst) }

// Size reads a size with a unit ("1MiB").
func (o *Object) Size(key string, dst *ByteSize) bool { return o.sizev(key, dst) }

// Enum reads a string that must be one of allowed (numbers as their text).
func (o *Object) Enum(key string, dst *string, allowed ...string) bool {
	return o.enumv(key, dst, allowed...)
}

// NotFor rejects the first of keys that is written: it means nothing here.
func (o *Object) NotFor(keys []string, why, allowed string) { o.notFor(keys, why, allowed) }

// Require reports the first of keys that is missing.
func (o *Object) Require(why string, keys ...string) { o.require(nil, why, keys...) }

// Fail records an error at key (its value, or the mapping when key is not
// written).
func (o *Object) Fail(key, msg, allowed string) {
	if n := o.val(key); n != nil {
		o.d.fail(n, o.p(key), msg, allowed)
		return
	}
	o.d.fail(o.n, o.p(key), msg, allowed)
}

// Object returns key's mapping with its keys checked against allowed, or
// nil after an error.
func (o *Object) Object(key string, allowed []string) *Object {
	if !o.OK() {
		return nil
	}
	return o.d.object(o.val(key), o.p(key), allowed)
}

// StringMap reads key as a mapping of names to scalar values (any scalar,
// as text), for free-form settings; want describes it in errors.
func (o *Object) StringMap(key, want string) (map[string]string, bool) {
	if !o.OK() {
		return nil, false
	}
	cp, cn := o.p(key), o.val(key)
	if cn.kind != kindMap && cn.kind != kindNull {
		o.d.fail(cn, cp, "must be "+want+", got "+cn.describe(), "")
		return nil, false
	}
	out := map[string]string{}
	for i, k := range cn.keys {
		kp := join(cp, k.text)
		o.d.record(kp, k, cn.vals[i])
		v, ok := o.d.scalarText(cn.vals[i], kp)
		if !ok {
			return nil, false
		}
		out[k.text] = v
	}
	return out, true
}

// Retry reads a webhook retry policy (a preset or a hand-written one) into
// r, which holds the defaults.
func (o *Object) Retry(key string, r *Retry) { o.d.retry(o.val(key), o.p(key), r) }

// Signing reads a Standard Webhooks signing block into s.
func (o *Object) Signing(key string, s *Signing) { o.d.signing(o.val(key), o.p(key), s) }

// Network reads a network link (a profile name or an inline spec).
func (o *Object) Network(key string, dst *Network) { o.d.network(o, key, dst) }

// InfraFaults reads a list of process faults of the given kinds.
func (o *Object) InfraFaults(key string, kinds ...string) []InfraFault {
	return o.d.infraFaults(o, key, kinds...)
}

// BrokerFaults reads a list of Kafka broker faults.
func (o *Object) BrokerFaults(key string) []BrokerFault {
	if !o.OK() {
		return nil
	}
	return o.d.brokerFaults(o.val(key), o.p(key))
}

// Timeline reports whether fault windows must start before the run ends
// (false for derived points such as short saturation probes).
func (c *Checker) Timeline() bool { return c.timeline }

// Add records a problem with key.
func (c *Checker) Add(key, msg, allowed string) { c.add(key, msg, allowed) }

// AddAt records a problem with key, pointing at path at when key was not
// written.
func (c *Checker) AddAt(key, at, msg, allowed string) { c.addAt(key, at, msg, allowed) }

// IntRange checks lo <= v <= hi; why says what the number is.
func (c *Checker) IntRange(key string, v, lo, hi int, why string) { c.intRange(key, v, lo, hi, why) }

// DurRange checks a duration: >= 0 (> 0 when positive), at most hi when
// hi > 0.
func (c *Checker) DurRange(key string, v Duration, positive bool, hi Duration) {
	c.durRange(key, v, positive, hi)
}

// Enum checks that v is one of allowed.
func (c *Checker) Enum(key, v string, allowed ...string) { c.enum(key, v, allowed...) }

// Retry checks a webhook retry policy.
func (c *Checker) Retry(key string, r Retry) { c.retry(key, r) }

// Signing checks a signing block.
func (c *Checker) Signing(key string, s Signing) { c.signing(key, s) }

// InfraFaults checks process faults of the given kinds inside a run that
// ends at end.
func (c *Checker) InfraFaults(key string, fs []InfraFault, end Duration, kinds ...string) {
	c.infraFaults(key, fs, end, kinds...)
}

// BrokerFaults checks broker faults against a topic of partitions.
func (c *Checker) BrokerFaults(key string, s *Scenario, fs []BrokerFault, partitions int) {
	c.brokerFaults(key, s, fs, partitions)
}

// InFlight bounds mean event size x endpoints x maxInFlight by
// MaxInFlightBytes.
func (c *Checker) InFlight(key string, mean float64, endpoints, maxInFlight int) {
	c.inFlight(key, mean, endpoints, maxInFlight)
}

// TLSFiles checks that TLS files exist and hold what they should.
func (c *Checker) TLSFiles(key string, t *KafkaTLS) { c.tlsFiles(key, t) }

// Network checks a resolved network link.
func (c *Checker) Network(key string, n Network) { c.network(key, n) }

// SubscriberKey is the dotted path of subscriber i ("subscribers[2]"), for
// problems a block finds with a subscriber.
func SubscriberKey(i int) string { return index("subscribers", i) }

// IsEnvName reports whether v is an environment variable name (upper-case
// letters, digits and _): where a block takes the name of a variable
// holding a secret.
func IsEnvName(v string) bool { return envName.MatchString(v) }

// NotEnvName says v is not a variable name without repeating it (it may be
// the secret itself).
func NotEnvName(v string) string { return notEnvName(v) }

// AllowedEnvName describes an environment variable name in errors.
const AllowedEnvName = allowedEnvName

// CloneBrokerFaults deep-copies broker faults.
func CloneBrokerFaults(fs []BrokerFault) []BrokerFault { return cloneBrokerFaults(fs) }

// Secretish reports whether a free-form config key names a credential
// (password, secret, token, ...); RedactedMark replaces its value in
// results.
func Secretish(key string) bool { return secretish(key) }

// RedactedMark replaces a redacted value.
const RedactedMark = redactedMark

// BatchFits checks that the largest event fits a producer batch of batch
// bytes; key is where a problem points.
func (c *Checker) BatchFits(s *Scenario, batch ByteSize, key string) {
	if m := distMax(s.Event.Size); m > 0 && m+recordOverhead > float64(batch) {
		c.Add(key, fmt.Sprintf("events of up to %v do not fit in a producer batch of %v (a record also carries its key and headers; leave %v)", ByteSize(m), batch, ByteSize(recordOverhead)),
			fmt.Sprintf("batch_max_bytes >= %v", ByteSize(m+recordOverhead)))
	}
}
