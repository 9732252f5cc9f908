package experiments

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// configKeys lists the dotted yaml key of every field of struct type t and of the fields of
// its sections, in declaration order: "train", "train.lr_schedule", …. The fields of the
// entries of a list of sections are written under "list[]" ("attacks[].affinity"); the sweep,
// whose keys are field paths rather than fields of its own, is one key.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for _, f := range yamlFields(t) {
		key := prefix + f.name
		keys = append(keys, key)
		ft := t.Field(f.index).Type
		switch {
		case ft == sweepType:
		case ft.Kind() == reflect.Struct:
			keys = append(keys, configKeys(ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keys = append(keys, configKeys(ft.Elem(), key+"[].")...)
		}
	}
	return keys
}

// writtenKeys adds to keys the dotted key of every field the YAML mapping n of struct type t
// sets, in the form configKeys uses; the values of the sweep are not fields and are skipped.
func writtenKeys(n *yaml.Node, t reflect.Type, prefix string, keys map[string]bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		key := prefix + name
		keys[key] = true
		for _, f := range fields {
			if f.name != name {
				continue
			}
			ft := t.Field(f.index).Type
			v := resolve(n.Content[i+1])
			switch {
			case ft == sweepType:
			case ft.Kind() == reflect.Struct:
				writtenKeys(v, ft, key+".", keys)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && v.Kind == yaml.SequenceNode:
				for _, item := range v.Content {
					writtenKeys(item, ft.Elem(), key+"[].", keys)
				}
			}
		}
	}
}

// padded returns lines[from:to], each without prefix, with every other line of the file
// left blank, so that the line numbers of errors in it are those of the file.
func padded(lines []string, from, to int, prefix string) string {
	out := make([]string, len(lines))
	for i := from; i < to; i++ {
		out[i] = strings.TrimPrefix(lines[i], prefix)
	}
	return strings.Join(out, "\n")
}

// docReference returns the indented block of the "# Config reference" section of the package
// comment in doc.go; ok is false when the section has none.
func docReference(text string) (block string, ok bool) {
	lines := strings.Split(text, "\n")
	h := slices.Index(lines, "// # Config reference")
	if h < 0 {
		return "", false
	}
	from := h + 1
	for from < len(lines) && !strings.HasPrefix(lines[from], "//\t") {
		if strings.HasPrefix(lines[from], "// # ") {
			return "", false // the next section began first
		}
		from++
	}
	to := from
	for to < len(lines) && strings.HasPrefix(lines[to], "//\t") {
		to++
	}
	return padded(lines, from, to, "//\t"), from < to
}

// readmeReference returns the fenced YAML block of the README's "Config reference" section;
// ok is false when the section has none.
func readmeReference(text string) (block string, ok bool) {
	lines := strings.Split(text, "\n")
	h := slices.Index(lines, "## Config reference")
	if h < 0 {
		return "", false
	}
	open := slices.Index(lines[h:], "```yaml")
	if open < 0 {
		return "", false
	}
	from := h + open + 1
	n := slices.Index(lines[from:], "```")
	if n < 0 {
		return "", false
	}
	return padded(lines, from, from+n, ""), true
}

// TestConfigKeysDocumented checks that both references of the config format, the package
// documentation (doc.go) and the README's "Config reference" block, show every key of Config
// and of an attacks: entry, and that each of them is a config Parse accepts, so that neither
// shows a key the format does not have or a value of the wrong type.
func TestConfigKeysDocumented(t *testing.T) {
	want := configKeys(configType, "")
	// The walk reaches section fields, the fields of a list entry, and stops at the sweep.
	for _, key := range []string{"seed", "train", "train.lr_schedule", "attacks", "attacks[].affinity", "sweep"} {
		if !slices.Contains(want, key) {
			t.Fatalf("configKeys lacks %s: %v", key, want)
		}
	}
	if i := slices.IndexFunc(want, func(k string) bool { return strings.HasPrefix(k, "sweep.") }); i >= 0 {
		t.Fatalf("configKeys lists %s, a sweep has no fields of its own", want[i])
	}
	for _, ref := range []struct {
		file, path string // the file's name in messages, and its path from the package directory
		block      func(text string) (string, bool)
	}{
		{"doc.go", "doc.go", docReference},
		{"README.md", "../README.md", readmeReference},
	} {
		t.Run(ref.file, func(t *testing.T) {
			data, err := os.ReadFile(ref.path)
			if err != nil {
				t.Fatal(err)
			}
			block, ok := ref.block(string(data))
			if !ok {
				t.Fatalf("%s: no config reference block", ref.file)
			}
			c, err := Parse(ref.file, []byte(block))
			if err != nil {
				t.Fatalf("the config reference does not parse as a config: %v", err)
			}
			written := map[string]bool{}
			writtenKeys(c.src.root, configType, "", written)
			for _, key := range want {
				if !written[key] {
					t.Errorf("%s: config key %s is missing from the config reference block", ref.file, key)
				}
			}
		})
	}
}
