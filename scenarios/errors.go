package scenarios

import (
	"fmt"
	"strings"
)

// Error is the only error type the loader returns. It names the file, the
// line and column (1-based) of the offending YAML node, the dotted key path
// ("subscribers[2].faults[0].for"), what is wrong and what is allowed, so a
// user can fix the file without reading the docs:
//
//	quickstart.yaml:12:11: load.rate: "200" has no unit (allowed: N/s, N/min, N/h)
//
// Line and Column are 0 when the error has no position (a file that cannot
// be read, or Validate on a scenario built in Go).
type Error struct {
	File   string
	Line   int
	Column int
	// Key is the dotted path of the offending key; "" for document-level
	// errors such as YAML syntax errors.
	Key string
	// Msg says what is wrong.
	Msg string
	// Allowed says what would be accepted; "" when there is nothing useful
	// to list.
	Allowed string
	// Err is the underlying error, if any (for example fs.ErrNotExist).
	Err error
}

// Error renders `file:line:col: key: message (allowed: ...)`, leaving out
// the parts that are empty.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", e.Line, e.Column)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Allowed != "" {
		b.WriteString(" (allowed: ")
		b.WriteString(e.Allowed)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
