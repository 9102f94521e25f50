package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/evbench/evbench/scenarios"
)

// TestCIExampleMatchesCLI parses examples/ci/github-actions.yml and runs
// every evbench command line in it through the CLI's own flag parser and
// argument checks, and loads every scenario it names, so the documented
// example cannot drift from the CLI.
func TestCIExampleMatchesCLI(t *testing.T) {
	const path = "../../examples/ci/github-actions.yml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	vars := map[string]string{"GITHUB_STEP_SUMMARY": "/tmp/summary.md", "GITHUB_OUTPUT": "/tmp/output"}
	for k, v := range wf.Env {
		vars[k] = v
	}
	seen := map[string]int{}
	for job, j := range wf.Jobs {
		for _, st := range j.Steps {
			for _, args := range evbenchCommands(st.Run, vars) {
				where := job + " / " + st.Name + ": evbench " + strings.Join(args, " ")
				name := checkCommandLine(t, where, args)
				seen[name]++
			}
		}
	}
	for _, want := range []string{"run", "compare", "validate"} {
		if seen[want] == 0 {
			t.Errorf("the example has no evbench %s command line (found %v): the parser below may have missed them", want, seen)
		}
	}
}

// checkCommandLine parses one command line as cobra would and returns the
// subcommand's name.
func checkCommandLine(t *testing.T, where string, args []string) string {
	t.Helper()
	root := newRootCmd()
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Errorf("%s: no such subcommand (%v)", where, err)
		return ""
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("%s: %v", where, err)
		return cmd.Name()
	}
	pos := cmd.Flags().Args()
	if cmd.Args != nil {
		if err := cmd.Args(cmd, pos); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	switch cmd.Name() {
	case "compare":
		bases, _ := cmd.Flags().GetStringArray("base")
		cands, _ := cmd.Flags().GetStringArray("candidate")
		if _, _, err := compareSides(pos, cmd.Flags().ArgsLenAtDash(), bases, cands); err != nil {
			t.Errorf("%s: %v", where, err)
		}
		if f, _ := cmd.Flags().GetString("format"); !slices.Contains([]string{"text", "markdown", "junit", "json"}, f) {
			t.Errorf("%s: --format %s", where, f)
		}
	case "run", "validate":
		if len(pos) == 1 {
			file := pos[0]
			if strings.HasSuffix(file, ".yaml") || strings.HasSuffix(file, ".yml") {
				file = filepath.Join("..", "..", file)
			}
			if _, err := scenarios.Open(file); err != nil {
				t.Errorf("%s: the scenario does not load: %v", where, err)
			}
		}
	}
	return cmd.Name()
}

var ghExpr = regexp.MustCompile(`\$\{\{[^}]*\}\}`)

// evbenchCommands returns the arguments of every evbench invocation in a
// shell script: continuation lines joined, GitHub expressions replaced by a
// placeholder, $VAR and "$VAR" expanded from vars, and the words after
// "./evbench" or "evbench" up to a shell operator or redirection.
func evbenchCommands(script string, vars map[string]string) [][]string {
	script = strings.ReplaceAll(script, "\\\n", " ")
	script = ghExpr.ReplaceAllString(script, "X")
	var out [][]string
	for _, line := range strings.Split(script, "\n") {
		words := shellWords(line, vars)
		for i := 0; i < len(words); i++ {
			if words[i] != "./evbench" && words[i] != "evbench" {
				continue
			}
			// Only in command position: first word or after an operator.
			if i > 0 && !isShellOp(words[i-1]) {
				continue
			}
			var args []string
			for _, w := range words[i+1:] {
				if isShellOp(w) || strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>") {
					break
				}
				args = append(args, w)
			}
			out = append(out, args)
		}
	}
	return out
}

func isShellOp(w string) bool {
	return slices.Contains([]string{"&&", "||", ";", "|", "then", "do", "if", "!"}, w)
}

// shellWords splits a line into words with single and double quotes and
// $VAR expansion; operators are words of their own. Enough for the
// example's command lines, not a shell.
func shellWords(line string, vars map[string]string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	expand := func(s string, i int) (string, int) { // s[i] == '$'
		j := i + 1
		brace := j < len(s) && s[j] == '{'
		if brace {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		name := s[j:k]
		if brace && k < len(s) && s[k] == '}' {
			k++
		}
		if v, ok := vars[name]; ok {
			return v, k
		}
		return "X", k
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '#' && !inWord:
			flush()
			return words
		case c == ' ' || c == '\t':
			flush()
		case c == '\'':
			inWord = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				j = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '$' {
					v, k := expand(line, i)
					cur.WriteString(v)
					i = k - 1
					continue
				}
				cur.WriteByte(line[i])
			}
		case c == '$':
			inWord = true
			v, k := expand(line, i)
			cur.WriteString(v)
			i = k - 1
		case c == ';' || c == '|' || c == '&':
			flush()
			op := string(c)
			if i+1 < len(line) && (line[i+1] == '|' || line[i+1] == '&') {
				op += string(line[i+1])
				i++
			}
			words = append(words, op)
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	flush()
	return words
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"S": "a b.yaml"}
	got := evbenchCommands("set +e\n./evbench run \"$S\" --out x \\\n  --quiet > log; code=$?\nfoo && evbench compare a b --junit ${{ x }}/c.xml\necho evbench run nope", vars)
	want := [][]string{{"run", "a b.yaml", "--out", "x", "--quiet"}, {"compare", "a", "b", "--junit", "X/c.xml"}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("command %d: %q, want %q", i, got[i], want[i])
		}
	}
}
