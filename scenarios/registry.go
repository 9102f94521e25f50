package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// A system's scenario block (systems.<name>) is owned by the system's
// package: it registers a SystemBlock naming the block, how to decode it and
// which numeric settings a sweep may vary, and the block's Go type carries
// the rest (deep copy, checks, time scaling, redaction, network links)
// through the interfaces below. The loader decodes `systems:` through the
// registry, so a new system needs no change here (docs/architecture.md,
// "Adding a system").

// Block is one system's resolved block: a pointer to the system's config
// struct, with defaults filled in and units in base units. It is echoed into
// results.json as systems.<name>, so its JSON field names are part of the
// results contract.
type Block interface {
	// CloneBlock returns a deep copy sharing no slice, map or pointer.
	CloneBlock() Block
}

// BlockChecker is a Block with value checks: ranges and relations between
// its settings and the rest of the scenario. They run on every resolved
// scenario (loaded from a file or changed in Go, and every sweep point);
// prefix is "systems.<name>", the dotted path problems are reported under.
type BlockChecker interface {
	CheckBlock(c *Checker, s *Scenario, prefix string)
}

// BlockScaler is a Block with durations on the scenario's timeline (fault
// windows, retry delays, retention): ScaleBlock divides each with scale
// (time_scale; see time_scale.go). f is the factor, for values that are not
// Durations.
type BlockScaler interface {
	ScaleBlock(scale func(*Duration), f float64)
}

// BlockRedactor is a Block holding values that may be secrets in free-form
// fields; RedactBlock replaces them in place (on a copy) before the
// scenario is written into results.
type BlockRedactor interface {
	RedactBlock()
}

// BlockLinks is a Block with emulated network links of its own
// (network.go); Links names each by its key under systems.<name>.
type BlockLinks interface {
	Links() []Link
}

// Link is one named network link of a block.
type Link struct {
	// Key is the link's key inside the block, e.g. "producer_network".
	Key     string
	Network Network
}

// SystemBlock is what a system registers with RegisterSystem.
type SystemBlock struct {
	// Name is the key under systems: and the system's name everywhere.
	Name string
	// Order places the system among the others: Systems.Names, the order
	// points run in and the order blocks are written into results.json.
	// Ties are broken by name.
	Order int
	// Keys are the keys the block accepts, for the docs test and for the
	// registered-blocks list; Decode checks them itself (Object.Keys).
	Keys []string
	// Decode reads the block at systems.<name> (o, its keys already checked
	// against Keys) into a new Block with the defaults filled in. It reports
	// errors through o and returns nil after one.
	Decode func(o *Object) Block
	// Sweep lists the block's settings sweep.params may vary; each Path
	// starts with Name + ".".
	Sweep []SweepParam
	// Measures lists the threshold metric families only some systems
	// measure (FamilyPublish, FamilyAttempt) that this one does.
	Measures []string
	// SweepNote is added to the error when a sweep varies one of its
	// settings but the block is absent (who else reads it).
	SweepNote string
	// URLSubscribers says the system delivers to url subscribers (real
	// receivers, scenarios/endpoint.go); a scenario with one may enable
	// only such systems.
	URLSubscribers bool
	// Scaled lists the block's keys (relative, e.g. "retry.schedule")
	// whose durations time_scale compresses, so a problem with one says
	// so; fault windows are recognised without it.
	Scaled []string
}

// Threshold metric families that only some systems measure (expr.go).
const (
	FamilyPublish = "publish"
	FamilyAttempt = "attempt"
)

var (
	systemName = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)
	regMu      sync.RWMutex
	registry   = map[string]SystemBlock{}
)

// RegisterSystem adds a system's scenario block. It is called from the
// system package's init; a second registration of a name, a name that is
// not a plain key or a block without Decode panics (a programming error).
func RegisterSystem(b SystemBlock) {
	regMu.Lock()
	defer regMu.Unlock()
	if !systemName.MatchString(b.Name) {
		panic(fmt.Sprintf("scenarios: system name %q is not lower-case letters and digits", b.Name))
	}
	if _, dup := registry[b.Name]; dup {
		panic(fmt.Sprintf("scenarios: system %q registered twice", b.Name))
	}
	if b.Decode == nil {
		panic(fmt.Sprintf("scenarios: system %q has no Decode", b.Name))
	}
	for i := range b.Sweep {
		sp := &b.Sweep[i]
		if !strings.HasPrefix(sp.Path, b.Name+".") || sp.Apply == nil {
			panic(fmt.Sprintf("scenarios: system %q: sweep parameter %q must start with %q and have Apply", b.Name, sp.Path, b.Name+"."))
		}
		sp.system = b.Name
		if _, dup := sweepablesLocked()[sp.Path]; dup {
			panic(fmt.Sprintf("scenarios: sweep parameter %q registered twice", sp.Path))
		}
	}
	registry[b.Name] = b
	sweepCache = nil
}

// LookupSystem returns the registered block of name.
func LookupSystem(name string) (SystemBlock, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	b, ok := registry[name]
	return b, ok
}

// SystemBlocks returns every registered block in order.
func SystemBlocks() []SystemBlock {
	regMu.RLock()
	out := make([]SystemBlock, 0, len(registry))
	for _, b := range registry {
		out = append(out, b)
	}
	regMu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// SystemNames returns the registered systems' names in order.
func SystemNames() []string {
	var out []string
	for _, b := range SystemBlocks() {
		out = append(out, b.Name)
	}
	return out
}

// Systems holds the blocks of the enabled systems by name: a present block
// means the system runs. The zero value enables none.
type Systems struct {
	blocks map[string]Block
}

// NewSystems returns a Systems holding blocks (for scenarios built in Go).
func NewSystems(blocks map[string]Block) Systems {
	var s Systems
	for k, b := range blocks {
		s.Set(k, b)
	}
	return s
}

// Get returns the block of system name, or nil when it is not enabled.
func (s Systems) Get(name string) Block { return s.blocks[name] }

// Has reports whether system name is enabled.
func (s Systems) Has(name string) bool { return s.blocks[name] != nil }

// Set enables system name with block b; a nil b (or a typed nil pointer)
// disables it. It never changes another Systems value: a Scenario copied
// by assignment shares its blocks (as it shares every pointer), but not
// which systems are enabled.
func (s *Systems) Set(name string, b Block) {
	m := make(map[string]Block, len(s.blocks)+1)
	for k, v := range s.blocks {
		m[k] = v
	}
	if b == nil || (reflect.ValueOf(b).Kind() == reflect.Pointer && reflect.ValueOf(b).IsNil()) {
		delete(m, name)
	} else {
		m[name] = b
	}
	s.blocks = m
}

// Names returns the enabled systems in registry order (systems that are
// not registered, possible in scenarios built in Go, last, by name).
func (s Systems) Names() []string {
	out := make([]string, 0, len(s.blocks))
	for _, n := range SystemNames() {
		if s.Has(n) {
			out = append(out, n)
		}
	}
	var rest []string
	for n := range s.blocks {
		if _, ok := LookupSystem(n); !ok {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func (s Systems) clone() Systems {
	var c Systems
	for n, b := range s.blocks {
		c.Set(n, b.CloneBlock())
	}
	return c
}

// MarshalJSON writes the enabled blocks as one object, in Names order.
func (s Systems) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, n := range s.Names() {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		buf.Write(k)
		buf.WriteByte(':')
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s.blocks[n]); err != nil {
			return nil, fmt.Errorf("systems.%s: %w", n, err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// measures reports whether any enabled system measures metric family f.
func (s Systems) measures(f string) bool {
	for _, n := range s.Names() {
		if b, ok := LookupSystem(n); ok && slices.Contains(b.Measures, f) {
			return true
		}
	}
	return false
}

// measuredBy lists the registered systems that measure family f.
func measuredBy(f string) []string {
	var out []string
	for _, b := range SystemBlocks() {
		if slices.Contains(b.Measures, f) {
			out = append(out, b.Name)
		}
	}
	return out
}

// systems decodes the systems: mapping through the registry.
func (d *decoder) systems(n *node, path string, s *Systems) {
	names := SystemNames()
	list := strings.Join(names, ", ")
	if n == nil {
		eg := "name"
		if len(names) > 0 {
			eg = names[0]
		}
		d.failAt(pos{1, 1}, path, "missing systems: enable at least one of "+list+" (an empty block uses the defaults, e.g. systems: {"+eg+": {}})", "")
		return
	}
	o := d.object(n, path, names)
	if o == nil {
		return
	}
	for _, name := range names {
		if !d.ok() || !o.has(name) {
			continue
		}
		sb, _ := LookupSystem(name)
		bo := d.object(o.val(name), o.p(name), sb.Keys)
		if bo == nil {
			return
		}
		b := sb.Decode(bo)
		if d.ok() {
			s.Set(name, b)
		}
	}
}

// checkSystems runs every enabled block's checks.
func (c *Checker) checkSystems(s *Scenario) {
	names := s.Systems.Names()
	if len(names) == 0 {
		all := SystemNames()
		eg := "name"
		if len(all) > 0 {
			eg = all[0]
		}
		c.Add("systems", "no systems: enable at least one of "+strings.Join(all, ", ")+" (an empty block uses the defaults, e.g. "+eg+": {})", strings.Join(all, ", "))
	}
	for _, n := range names {
		if bc, ok := s.Systems.Get(n).(BlockChecker); ok {
			bc.CheckBlock(c, s, "systems."+n)
		}
	}
}
