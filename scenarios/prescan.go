package scenarios

import (
	"fmt"

	"github.com/evbench/evbench/internal/yamlguard"
)

// maxMarks bounds the YAML structure a file may hold before it is parsed
// (see yamlguard.Check): about 100,000 tokens, a few tens of MiB in the
// parser. Ten thousand subscribers written one per line use about 30,000.
const maxMarks = 100_000

// prescan refuses, before parsing, flow nesting deeper than maxDepth and
// more than maxMarks structural marks: the depth and node limits in
// yamltree.go only apply after the parser has spent the memory.
func prescan(file string, data []byte) *Error {
	p := yamlguard.Check(data, maxDepth, maxMarks)
	if p == nil {
		return nil
	}
	msg := p.Msg
	if !p.TooDeep {
		msg = fmt.Sprintf("the file holds more than %d lines and values; a scenario is usually a few dozen (at most %d subscribers: declare many alike with count: N)", maxMarks, MaxSubscribers)
	}
	return &Error{File: file, Line: p.Line, Column: p.Column, Msg: msg}
}
