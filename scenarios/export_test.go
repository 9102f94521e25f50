package scenarios

// Unexported names the external tests (package scenarios_test, which
// loads the real system blocks) use.

const (
	MaxFileBytes = maxFileBytes
	MaxMarks     = maxMarks
)

var (
	ParseRetryPresets = parseRetryPresets
	SortedParams      = sortedKeys[float64]
)

// CheckThreshold runs a threshold's own check.
func CheckThreshold(t Threshold) error { return t.check() }

// ApplySweep sets a swept value on s.
func ApplySweep(sp SweepParam, s *Scenario, v float64) { sp.apply(s, v) }

// HasSetter reports whether sp can set a value (exactly one of its own
// setter or a registered system's Apply).
func HasSetter(sp SweepParam) bool { return (sp.set == nil) != (sp.Apply == nil) }
