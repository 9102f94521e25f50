package scenarios

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// The loader does not decode YAML into structs directly: it converts
// goccy/go-yaml's AST into the small tree below (anchors, aliases and merge
// keys resolved, every node with its line and column) and walks it by hand.
// That is what lets every kind of error, including "wrong type" and
// "impossible value", name the exact position.

// Limits that keep hostile input from exhausting memory or the stack.
const (
	maxFileBytes = 1 << 20 // a scenario is a few KiB; 1 MiB is generous
	maxDepth     = 64      // nesting depth (flow nesting is also checked before parsing)
	maxNodes     = 200_000 // nodes after alias resolution (billion laughs)
)

type nodeKind int

const (
	kindNull nodeKind = iota
	kindScalar
	kindMap
	kindSeq
)

func (k nodeKind) String() string {
	switch k {
	case kindScalar:
		return "a scalar"
	case kindMap:
		return "a mapping"
	case kindSeq:
		return "a list"
	default:
		return "empty"
	}
}

// scalarType is the YAML type a plain or quoted scalar resolved to.
type scalarType int

const (
	scalarString scalarType = iota
	scalarInt
	scalarFloat
	scalarBool
	scalarInf
	scalarNaN
)

type pos struct{ line, col int }

// node is one YAML node with its position.
type node struct {
	kind nodeKind
	pos  pos

	// Scalars.
	stype scalarType
	text  string // the value as written (strings unquoted)
	ival  int64  // stype int (when it fits in int64)
	ibig  bool   // stype int that does not fit in int64
	fval  float64
	bval  bool

	// Mappings: keys[i] -> vals[i], in document order.
	keys []*node
	vals []*node

	// Sequences.
	items []*node
}

// get returns the value for key, or nil.
func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k.text == key {
			return n.vals[i]
		}
	}
	return nil
}

// describe names what a node is, for "must be X, got Y" messages.
func (n *node) describe() string {
	if n.kind != kindScalar {
		return n.kind.String()
	}
	switch n.stype {
	case scalarInt:
		return "the number " + n.text
	case scalarFloat, scalarInf, scalarNaN:
		return "the number " + n.text
	case scalarBool:
		return "the boolean " + n.text
	default:
		return fmt.Sprintf("%q", n.text)
	}
}

// treeBuilder converts an AST into nodes.
type treeBuilder struct {
	file    string
	anchors map[string]ast.Node
	nodes   int
	aliases bool // an alias was expanded (the node limit then names them)
	err     *Error
}

func (b *treeBuilder) fail(p pos, msg string) {
	if b.err == nil {
		b.err = &Error{File: b.file, Line: p.line, Column: p.col, Msg: msg}
	}
}

func tokenPos(n ast.Node, fallback pos) pos {
	if n == nil {
		return fallback
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil || tk.Position.Line <= 0 {
		return fallback
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// parseTree parses data into a single-document tree. Every failure is an
// *Error with a position.
func parseTree(file string, data []byte) (*node, *Error) {
	if len(data) > maxFileBytes {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file is %d bytes; a scenario may be at most %d", len(data), maxFileBytes)}
	}
	// A UTF-8 byte order mark (written by some Windows editors) is not
	// part of the first key.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := prescan(file, data); err != nil {
		return nil, err
	}
	f, err := safeParse(data)
	if err != nil {
		return nil, yamlError(file, err)
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: "empty scenario: expected a mapping with at least load, subscribers and systems"}
	}
	if len(docs) > 1 {
		p := tokenPos(docs[1].Body, pos{1, 1})
		if docs[1].Start != nil && docs[1].Start.Position != nil {
			p = pos{docs[1].Start.Position.Line, docs[1].Start.Position.Column}
		}
		return nil, &Error{File: file, Line: p.line, Column: p.col, Msg: "a scenario file holds exactly one YAML document; found a second one here"}
	}
	b := &treeBuilder{file: file, anchors: map[string]ast.Node{}}
	root := b.convert(docs[0].Body, pos{1, 1}, 0)
	if b.err != nil {
		return nil, b.err
	}
	if root.kind != kindMap {
		return nil, &Error{File: file, Line: root.pos.line, Column: root.pos.col, Msg: "the top level of a scenario must be a mapping (key: value), got " + root.describe()}
	}
	return root, nil
}

// safeParse runs the third-party parser, turning a panic inside it into an
// error: the loader must never panic, whatever the input.
func safeParse(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this input: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0)
}

// yamlError converts a parser error into an *Error with its position.
func yamlError(file string, err error) *Error {
	if ye, ok := err.(yaml.Error); ok {
		line, col := 1, 1
		if tk := ye.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line > 0 {
			line, col = tk.Position.Line, tk.Position.Column
		}
		msg := ye.GetMessage()
		if _, dup := err.(*yaml.DuplicateKeyError); dup || strings.Contains(msg, "already defined") {
			msg = "duplicate key: " + msg
		} else {
			msg = "YAML syntax error: " + msg
		}
		return &Error{File: file, Line: line, Column: col, Msg: msg, Err: err}
	}
	return &Error{File: file, Line: 1, Column: 1, Msg: "YAML syntax error: " + err.Error(), Err: err}
}

// convert turns an AST node into a tree node. fallback is used when the AST
// node carries no position (implicit nulls).
func (b *treeBuilder) convert(n ast.Node, fallback pos, depth int) *node {
	p := tokenPos(n, fallback)
	if b.err != nil {
		return &node{pos: p}
	}
	b.nodes++
	if b.nodes > maxNodes {
		msg := fmt.Sprintf("the document has more than %d values", maxNodes)
		if b.aliases {
			msg = fmt.Sprintf("the document expands to more than %d values through its aliases (*name)", maxNodes)
		}
		b.fail(p, msg)
		return &node{pos: p}
	}
	if depth > maxDepth {
		b.fail(p, fmt.Sprintf("nesting deeper than %d levels", maxDepth))
		return &node{pos: p}
	}
	switch v := n.(type) {
	case nil:
		return &node{kind: kindNull, pos: p}
	case *ast.NullNode:
		return &node{kind: kindNull, pos: p}
	case *ast.StringNode:
		return &node{kind: kindScalar, pos: p, stype: scalarString, text: v.Value}
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &node{kind: kindScalar, pos: p, stype: scalarString, text: s}
	case *ast.IntegerNode:
		out := &node{kind: kindScalar, pos: p, stype: scalarInt, text: tokenText(v)}
		switch iv := v.Value.(type) {
		case int64:
			out.ival = iv
		case uint64:
			if iv > 1<<63-1 {
				out.ibig = true
			} else {
				out.ival = int64(iv)
			}
		default:
			out.ibig = true
		}
		return out
	case *ast.FloatNode:
		return &node{kind: kindScalar, pos: p, stype: scalarFloat, text: tokenText(v), fval: v.Value}
	case *ast.BoolNode:
		return &node{kind: kindScalar, pos: p, stype: scalarBool, text: tokenText(v), bval: v.Value}
	case *ast.InfinityNode:
		return &node{kind: kindScalar, pos: p, stype: scalarInf, text: tokenText(v)}
	case *ast.NanNode:
		return &node{kind: kindScalar, pos: p, stype: scalarNaN, text: tokenText(v)}
	case *ast.AnchorNode:
		name := anchorName(v.Name)
		if name != "" {
			b.anchors[name] = v.Value
		}
		return b.convert(v.Value, p, depth+1)
	case *ast.AliasNode:
		name := anchorName(v.Value)
		target, ok := b.anchors[name]
		b.aliases = true
		if !ok {
			b.fail(p, fmt.Sprintf("alias *%s refers to no anchor defined before it", name))
			return &node{pos: p}
		}
		return b.convert(target, p, depth+1)
	case *ast.TagNode:
		tag := ""
		if v.Start != nil {
			tag = v.Start.Value
		}
		b.fail(p, fmt.Sprintf("YAML tags (%s) are not used in scenarios; write the value plainly (quote it to make it a string)", tag))
		return &node{pos: p}
	case *ast.MappingNode:
		out := &node{kind: kindMap, pos: p}
		for i, mv := range v.Values {
			if i == 0 {
				out.pos = tokenPos(mv.Key, p)
			}
			b.addPair(out, mv, depth)
		}
		return out
	case *ast.MappingValueNode:
		out := &node{kind: kindMap, pos: tokenPos(v.Key, p)}
		b.addPair(out, v, depth)
		return out
	case *ast.SequenceNode:
		out := &node{kind: kindSeq, pos: p}
		for _, it := range v.Values {
			out.items = append(out.items, b.convert(it, p, depth+1))
		}
		return out
	default:
		b.fail(p, fmt.Sprintf("unsupported YAML construct (%s)", n.Type()))
		return &node{pos: p}
	}
}

// addPair adds one key: value pair to a mapping, resolving merge keys (<<):
// merged keys never override keys written in the mapping itself.
func (b *treeBuilder) addPair(m *node, mv *ast.MappingValueNode, depth int) {
	if mv == nil {
		return
	}
	kp := tokenPos(mv.Key, m.pos)
	if _, merge := mv.Key.(*ast.MergeKeyNode); merge {
		src := b.convert(mv.Value, kp, depth+1)
		if b.err != nil {
			return
		}
		var maps []*node
		switch src.kind {
		case kindMap:
			maps = []*node{src}
		case kindSeq:
			for _, it := range src.items {
				if it.kind != kindMap {
					b.fail(it.pos, "a merge key (<<) takes a mapping or a list of mappings")
					return
				}
				maps = append(maps, it)
			}
		default:
			b.fail(src.pos, "a merge key (<<) takes a mapping or a list of mappings")
			return
		}
		for _, sm := range maps {
			for i, k := range sm.keys {
				if m.get(k.text) == nil {
					m.keys = append(m.keys, k)
					m.vals = append(m.vals, sm.vals[i])
				}
			}
		}
		return
	}
	var keyNode ast.Node = mv.Key
	if mk, ok := mv.Key.(*ast.MappingKeyNode); ok {
		keyNode = mk.Value
	}
	k := b.convert(keyNode, kp, depth+1)
	if b.err != nil {
		return
	}
	if k.kind != kindScalar {
		b.fail(k.pos, "mapping keys must be plain names, got "+k.describe())
		return
	}
	// A key written after a merge replaces the merged one.
	for i, ek := range m.keys {
		if ek.text == k.text {
			m.keys = append(m.keys[:i], m.keys[i+1:]...)
			m.vals = append(m.vals[:i], m.vals[i+1:]...)
			break
		}
	}
	val := b.convert(mv.Value, pos{kp.line, kp.col + len(k.text) + 1}, depth+1)
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, val)
}

func tokenText(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return strings.TrimSpace(n.String())
}

func anchorName(n ast.Node) string {
	if n == nil {
		return ""
	}
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}
