package yamlguard

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name      string
		yaml      string
		depth     int
		marks     int
		line, col int // 0: no problem
		deep      bool
	}{
		{"plain mapping", "a: 1\nb: [1, 2]\n", 3, 100, 0, 0, false},
		{"depth at the limit", "a: [[[1]]]\n", 3, 100, 0, 0, false},
		{"one level too deep", "a: [[[[1]]]]\n", 3, 100, 1, 7, true},
		{"brackets in double quotes", `a: "[[[[[[" ` + "\n", 3, 100, 0, 0, false},
		{"escaped quote inside double quotes", `a: "\"[[[[[" ` + "\n", 3, 100, 0, 0, false},
		{"brackets in single quotes", "a: '''[[[[[['\n", 3, 100, 0, 0, false},
		{"brackets in a comment", "a: 1 # [[[[[[\n", 3, 100, 0, 0, false},
		{"apostrophe in a plain scalar", "a: don't\nb: [[[[1]]]]\n", 3, 100, 2, 7, true},
		{"deep on line 3", "a: 1\nb: 2\nc: {d: {e: {f: {g: 1}}}}\n", 3, 100, 3, 16, true},
		{"too many marks", strings.Repeat("a: 1\n", 30), 3, 50, 26, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Check([]byte(tc.yaml), tc.depth, tc.marks)
			if tc.line == 0 {
				if p != nil {
					t.Fatalf("unexpected problem %+v", p)
				}
				return
			}
			if p == nil || p.Line != tc.line || p.Column != tc.col || p.TooDeep != tc.deep {
				t.Fatalf("got %+v, want %d:%d deep=%v", p, tc.line, tc.col, tc.deep)
			}
		})
	}
}
