// Package yamlguard checks raw YAML bytes before they reach the YAML
// parser, whose memory grows with the square of flow nesting depth (a
// 64 KiB file of "[[[..." exhausted 4 GB) and by a few hundred bytes per
// token. Check bounds both in one pass without allocating, so every YAML
// input (scenarios, cost profiles) is refused cheaply when hostile.
package yamlguard

import "fmt"

// Problem is what Check found, with its 1-based position.
type Problem struct {
	Line, Column int
	// TooDeep is true for a nesting problem, false for too many marks.
	TooDeep bool
	Msg     string
}

// Check returns a Problem when data nests flow collections ([ or {) deeper
// than maxDepth or holds more than maxMarks structural marks: newlines plus
// the indicators , [ ] { } : - outside quotes and comments. Each token the
// parser makes is one of these or a scalar between two of them, so maxMarks
// caps its memory. Quoted strings and comments are skipped; text in block
// scalars (|, >) is scanned like the rest, which can only over-count.
func Check(data []byte, maxDepth, maxMarks int) *Problem {
	line, col := 1, 0
	depth, marks := 0, 0
	var quote byte   // ' or " while inside a quoted scalar
	comment := false // inside a # comment
	var prev byte = '\n'
	fail := func(deep bool) *Problem {
		p := &Problem{Line: line, Column: max(col, 1), TooDeep: deep}
		if deep {
			p.Msg = fmt.Sprintf("nesting deeper than %d levels", maxDepth)
		} else {
			p.Msg = fmt.Sprintf("more than %d lines and values", maxMarks)
		}
		return p
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		if c == '\n' {
			line, col = line+1, 0
			comment = false
			marks++
			if marks > maxMarks {
				return fail(false)
			}
			prev = c
			continue
		}
		switch {
		case comment:
		case quote == '"':
			if c == '\\' && i+1 < len(data) && data[i+1] != '\n' {
				i++
				col++
			} else if c == '"' {
				quote = 0
			}
		case quote == '\'':
			if c == '\'' {
				if i+1 < len(data) && data[i+1] == '\'' { // '' is an escaped quote
					i++
					col++
				} else {
					quote = 0
				}
			}
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			comment = true
		case (c == '"' || c == '\'') && startsToken(prev):
			quote = c
		case c == '[' || c == '{':
			depth++
			marks++
			if depth > maxDepth {
				return fail(true)
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
			marks++
		case c == ',' || c == ':' || c == '-':
			marks++
		}
		if marks > maxMarks {
			return fail(false)
		}
		prev = c
	}
	return nil
}

// startsToken says whether a quote after prev opens a quoted scalar (as in
// `key: "x"` or `["a", 'b']`) rather than sitting inside a plain one
// (`don't`).
func startsToken(prev byte) bool {
	switch prev {
	case ' ', '\t', '\n', '\r', '[', '{', ',', ':', '-', '?':
		return true
	}
	return false
}
