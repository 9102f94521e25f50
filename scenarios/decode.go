package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// decoder walks the node tree into a Scenario. It keeps the first error
// (in document order of the walk) and records where every key and value
// was written, so checks on the resolved scenario can point back into the
// file.
type decoder struct {
	file string
	err  *Error
	vpos map[string]pos // dotted path -> value position
	kpos map[string]pos // dotted path -> key position
	dir  string         // the recorded scenario file: relative paths resolve against its directory
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, vpos: map[string]pos{}, kpos: map[string]pos{}}
}

func (d *decoder) ok() bool { return d.err == nil }

func (d *decoder) failAt(p pos, key, msg, allowed string) {
	if d.err == nil {
		d.err = &Error{File: d.file, Line: p.line, Column: p.col, Key: key, Msg: msg, Allowed: allowed}
	}
}

func (d *decoder) fail(n *node, key, msg, allowed string) { d.failAt(n.pos, key, msg, allowed) }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// obj is a mapping whose keys have been checked against an allow-list.
type Object struct {
	d    *decoder
	n    *node
	path string
}

// object checks that n is a mapping (null counts as an empty one) whose
// keys are all in allowed, and records key and value positions.
func (d *decoder) object(n *node, path string, allowed []string) *Object {
	if !d.ok() {
		return nil
	}
	if n.kind == kindNull {
		return &Object{d: d, n: &node{kind: kindMap, pos: n.pos}, path: path}
	}
	if n.kind != kindMap {
		d.fail(n, path, "must be a mapping, got "+n.describe(), "keys "+strings.Join(allowed, ", "))
		return nil
	}
	for i, k := range n.keys {
		if !contains(allowed, k.text) {
			msg := fmt.Sprintf("unknown key %q", k.text)
			if s := suggest(k.text, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.fail(k, join(path, k.text), msg, strings.Join(allowed, ", "))
			return nil
		}
		d.record(join(path, k.text), k, n.vals[i])
	}
	return &Object{d: d, n: n, path: path}
}

// record remembers where path was written. Errors about a scalar point at
// the value; errors about a whole block or list point at its key.
func (d *decoder) record(path string, key, val *node) {
	d.kpos[path] = key.pos
	if val.kind == kindScalar {
		d.vpos[path] = val.pos
	} else {
		d.vpos[path] = key.pos
	}
}

// has reports whether key was written (with any value, null included).
func (o *Object) has(key string) bool { return o != nil && o.n.get(key) != nil }

// val returns key's value node or nil.
func (o *Object) val(key string) *node {
	if o == nil {
		return nil
	}
	return o.n.get(key)
}

func (o *Object) p(key string) string { return join(o.path, key) }

// keyNode returns the node of the key itself (for "not allowed here" errors).
func (o *Object) keyNode(key string) *node {
	for _, k := range o.n.keys {
		if k.text == key {
			return k
		}
	}
	return o.n
}

// notFor rejects keys that are present but meaningless in this context.
func (o *Object) notFor(keys []string, why string, allowed string) {
	for _, k := range keys {
		if o.has(k) {
			o.d.fail(o.keyNode(k), o.p(k), why, allowed)
			return
		}
	}
}

// require reports the first missing key, pointing at at (or the mapping).
func (o *Object) require(at *node, why string, keys ...string) {
	for _, k := range keys {
		if !o.has(k) {
			if at == nil {
				at = o.n
			}
			o.d.fail(at, o.p(k), "missing; "+why, "")
			return
		}
	}
}

// Typed readers. Each returns ok=false after recording an error; a missing
// key (nil node) is ok=false without an error so callers keep the default.

func (d *decoder) null(n *node, path, want, allowed string) bool {
	if n.kind == kindNull {
		d.fail(n, path, "has no value; expected "+want, allowed)
		return true
	}
	return false
}

func (o *Object) str(key string, dst *string) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	path := o.p(key)
	if o.d.null(n, path, "a string", "") {
		return false
	}
	if n.kind != kindScalar || n.stype != scalarString {
		o.d.fail(n, path, "must be a string, got "+n.describe(), "")
		return false
	}
	*dst = n.text
	return true
}

// scalarText accepts any scalar (string, number, boolean) as text; used for
// free-form maps such as Kafka topic configs.
func (d *decoder) scalarText(n *node, path string) (string, bool) {
	if d.null(n, path, "a value", "") {
		return "", false
	}
	if n.kind != kindScalar {
		d.fail(n, path, "must be a single value, got "+n.describe(), "")
		return "", false
	}
	return n.text, true
}

func (d *decoder) intOf(n *node, path string, lo, hi int64) (int64, bool) {
	if d.null(n, path, "a whole number", "") {
		return 0, false
	}
	if n.kind != kindScalar {
		d.fail(n, path, "must be a whole number, got "+n.describe(), rangeText(lo, hi))
		return 0, false
	}
	switch {
	case n.stype == scalarInt && !n.ibig:
	case n.stype == scalarInt || (n.stype == scalarString && numberRe.MatchString(n.text)):
		d.fail(n, path, n.text+" is out of range", rangeText(lo, hi))
		return 0, false
	case n.stype == scalarFloat:
		d.fail(n, path, "must be a whole number, got "+n.text, rangeText(lo, hi))
		return 0, false
	default:
		d.fail(n, path, "must be a whole number, got "+n.describe(), rangeText(lo, hi))
		return 0, false
	}
	if n.ival < lo || n.ival > hi {
		d.fail(n, path, fmt.Sprintf("%d is out of range", n.ival), rangeText(lo, hi))
		return 0, false
	}
	return n.ival, true
}

// anyLo and anyHi are the bounds for integers whose real range is checked
// on the resolved scenario (check), where the message can say why.
const (
	anyLo = -1 << 31
	anyHi = 1 << 31
)

func rangeText(lo, hi int64) string {
	if lo == anyLo && hi == anyHi {
		return ""
	}
	if lo == 0 && hi >= 1<<62 {
		return "whole numbers >= 0"
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

func (o *Object) intv(key string, dst *int, lo, hi int64) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	v, ok := o.d.intOf(n, o.p(key), lo, hi)
	if ok {
		*dst = int(v)
	}
	return ok
}

func (d *decoder) floatOf(n *node, path string) (float64, bool) {
	if d.null(n, path, "a number", "") {
		return 0, false
	}
	if n.kind == kindScalar {
		switch n.stype {
		case scalarInt:
			if !n.ibig {
				return float64(n.ival), true
			}
		case scalarFloat:
			if !math.IsInf(n.fval, 0) && !math.IsNaN(n.fval) {
				return n.fval, true
			}
		case scalarInf, scalarNaN:
			d.fail(n, path, "must be a finite number, got "+n.text, "")
			return 0, false
		}
	}
	d.fail(n, path, "must be a number, got "+n.describe(), "")
	return 0, false
}

func (o *Object) floatv(key string, dst *float64) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	v, ok := o.d.floatOf(n, o.p(key))
	if ok {
		*dst = v
	}
	return ok
}

func (o *Object) boolv(key string, dst *bool) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	path := o.p(key)
	if o.d.null(n, path, "true or false", "true, false") {
		return false
	}
	if n.kind != kindScalar || n.stype != scalarBool {
		o.d.fail(n, path, "must be true or false, got "+n.describe(), "true, false")
		return false
	}
	*dst = n.bval
	return true
}

func (o *Object) boolp(key string, dst **bool) bool {
	var b bool
	if !o.boolv(key, &b) {
		return false
	}
	*dst = &b
	return true
}

// unitScalar returns the text of a scalar meant to carry a unit, rejecting
// bare numbers with a message that says the unit is missing.
func (d *decoder) unitScalar(n *node, path, want, allowed string) (string, bool) {
	if d.null(n, path, want, allowed) {
		return "", false
	}
	if n.kind != kindScalar {
		d.fail(n, path, "must be "+want+", got "+n.describe(), allowed)
		return "", false
	}
	return n.text, true
}

func (d *decoder) durationOf(n *node, path string) (Duration, bool) {
	s, ok := d.unitScalar(n, path, "a duration", allowedDuration)
	if !ok {
		return 0, false
	}
	if n.stype == scalarInt && !n.ibig && n.ival == 0 {
		return 0, true
	}
	v, err := ParseDuration(s)
	if err != nil {
		d.fail(n, path, err.Error(), allowedDuration)
		return 0, false
	}
	return v, true
}

func (o *Object) durv(key string, dst *Duration) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	v, ok := o.d.durationOf(n, o.p(key))
	if ok {
		*dst = v
	}
	return ok
}

func (d *decoder) rateOf(n *node, path string) (Rate, bool) {
	s, ok := d.unitScalar(n, path, "a rate", allowedRate)
	if !ok {
		return 0, false
	}
	v, err := ParseRate(s)
	if err != nil {
		d.fail(n, path, err.Error(), allowedRate)
		return 0, false
	}
	return v, true
}

func (o *Object) ratev(key string, dst *Rate) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	v, ok := o.d.rateOf(n, o.p(key))
	if ok {
		*dst = v
	}
	return ok
}

func (d *decoder) sizeOf(n *node, path string) (ByteSize, bool) {
	s, ok := d.unitScalar(n, path, "a size", allowedSize)
	if !ok {
		return 0, false
	}
	v, err := ParseByteSize(s)
	if err != nil {
		d.fail(n, path, err.Error(), allowedSize)
		return 0, false
	}
	return v, true
}

func (o *Object) sizev(key string, dst *ByteSize) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	v, ok := o.d.sizeOf(n, o.p(key))
	if ok {
		*dst = v
	}
	return ok
}

// enumv reads a string that must be one of allowed. Numbers are accepted as
// their text so `acks: 1` works without quotes.
func (o *Object) enumv(key string, dst *string, allowed ...string) bool {
	n := o.val(key)
	if n == nil || !o.d.ok() {
		return false
	}
	path := o.p(key)
	list := strings.Join(allowed, ", ")
	if o.d.null(n, path, "one of "+list, list) {
		return false
	}
	if n.kind != kindScalar || (n.stype != scalarString && n.stype != scalarInt) {
		o.d.fail(n, path, "must be one of "+list+", got "+n.describe(), list)
		return false
	}
	if !contains(allowed, n.text) {
		o.d.fail(n, path, fmt.Sprintf("%q is not allowed", n.text), list)
		return false
	}
	*dst = n.text
	return true
}

// list returns the items of a sequence (null counts as empty).
func (d *decoder) list(n *node, path, what string) ([]*node, bool) {
	if n == nil || !d.ok() {
		return nil, false
	}
	if n.kind == kindNull {
		return nil, true
	}
	if n.kind != kindSeq {
		d.fail(n, path, "must be a list of "+what+", got "+n.describe(), "")
		return nil, false
	}
	for i, it := range n.items {
		d.vpos[index(path, i)] = it.pos
		d.kpos[index(path, i)] = it.pos
	}
	return n.items, true
}

// Dist units.
type distUnit int

const (
	unitTime distUnit = iota
	unitSize
)

func (u distUnit) read(d *decoder, n *node, path string) (float64, bool) {
	if u == unitSize {
		v, ok := d.sizeOf(n, path)
		return float64(v), ok
	}
	v, ok := d.durationOf(n, path)
	return float64(v), ok
}

func (u distUnit) allowed() string {
	if u == unitSize {
		return allowedSize
	}
	return allowedDuration
}

var distKeys = map[string][]string{
	DistFixed:       {"dist", "value"},
	DistUniform:     {"dist", "min", "max"},
	DistLognormal:   {"dist", "median", "p99"},
	DistExponential: {"dist", "mean"},
}

const allowedDist = "a single value, or {dist: fixed, value}, {dist: uniform, min, max}, {dist: lognormal, median, p99}, {dist: exponential, mean}"

// distOf reads a scalar (a fixed value) or a {dist: ...} mapping. Values are
// stored in base units: nanoseconds for time, bytes for sizes.
func (d *decoder) distOf(n *node, path string, u distUnit) (Dist, bool) {
	if !d.ok() {
		return Dist{}, false
	}
	if d.null(n, path, "a value or a distribution", allowedDist) {
		return Dist{}, false
	}
	if n.kind == kindScalar {
		v, ok := u.read(d, n, path)
		return Dist{Kind: DistFixed, Value: v}, ok
	}
	if n.kind != kindMap {
		d.fail(n, path, "must be a value or a distribution, got "+n.describe(), allowedDist)
		return Dist{}, false
	}
	kn := n.get("dist")
	if kn == nil {
		d.fail(n, join(path, "dist"), "a distribution mapping needs dist: fixed | uniform | lognormal | exponential", allowedDist)
		return Dist{}, false
	}
	all := []string{"dist", "value", "min", "max", "median", "p99", "mean"}
	o := d.object(n, path, all)
	if o == nil {
		return Dist{}, false
	}
	var out Dist
	if !o.enumv("dist", &out.Kind, DistFixed, DistUniform, DistLognormal, DistExponential) {
		return Dist{}, false
	}
	want := distKeys[out.Kind]
	var notUsed []string
	for _, k := range all {
		if !contains(want, k) {
			notUsed = append(notUsed, k)
		}
	}
	o.notFor(notUsed, "not used by dist "+out.Kind, strings.Join(want[1:], ", "))
	o.require(kn, "dist "+out.Kind+" needs "+strings.Join(want[1:], " and "), want[1:]...)
	for _, k := range want[1:] {
		if !d.ok() {
			return Dist{}, false
		}
		v, ok := u.read(d, o.val(k), o.p(k))
		if !ok {
			return Dist{}, false
		}
		switch k {
		case "value":
			out.Value = v
		case "min":
			out.Min = v
		case "max":
			out.Max = v
		case "median":
			out.Median = v
		case "p99":
			out.P99 = v
		case "mean":
			out.Mean = v
		}
	}
	return out, d.ok()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the allowed key closest to s when it is a likely typo.
func suggest(s string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if dd := editDistance(strings.ToLower(s), a); dd < bestD {
			best, bestD = a, dd
		}
	}
	if len(s) <= 2 && bestD > 1 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
