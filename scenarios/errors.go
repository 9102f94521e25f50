package scenarios

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
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
		b.WriteString(clip(e.Key, maxEchoKey))
		b.WriteString(": ")
	}
	b.WriteString(clipQuoted(e.Msg))
	if e.Allowed != "" {
		b.WriteString(" (allowed: ")
		b.WriteString(e.Allowed)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Values from the file are repeated in messages as Go-quoted strings. A
// pasted blob (a 10 KB name, a key made of a whole line) is shown by its
// first maxEcho bytes and its length, so an error stays one readable line.
const (
	maxEcho    = 64
	maxEchoKey = 80
)

var quotedRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// clipQuoted shortens every quoted string in msg longer than maxEcho.
func clipQuoted(msg string) string {
	if len(msg) <= maxEcho {
		return msg
	}
	return quotedRe.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= maxEcho+2 {
			return q
		}
		inner := q[1 : len(q)-1]
		cut := maxEcho
		// Do not split an escape sequence (\x.., \u...., \") or a rune.
		if i := strings.LastIndexByte(inner[:cut], '\\'); i >= cut-10 {
			cut = i
		}
		for cut > 0 && !utf8.RuneStart(inner[cut]) {
			cut--
		}
		return fmt.Sprintf(`"%s..." (%d characters in all)`, inner[:cut], len(inner))
	})
}

// clip shortens s to at most n bytes (on a rune boundary), saying so.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d characters in all)", s[:cut], len(s))
}
