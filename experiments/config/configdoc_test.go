package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/datamix/harness/datasets"
	"github.com/datamix/harness/mixing"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/wire/link"
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
		if ft.Kind() == reflect.Pointer { // an optional section (wire)
			ft = ft.Elem()
		}
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
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
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

// configReference is a documentation file that shows the config format as one YAML block.
type configReference struct {
	file, path string                           // the file's name in messages, its path from the package directory
	block      func(text string) (string, bool) // finds the block (docReference, readmeReference)
}

// configReferences are the two references of the config format.
var configReferences = []configReference{
	{"doc.go", "doc.go", docReference},
	{"README.md", "../../README.md", readmeReference},
}

// parse reads the file and returns the top-level mapping of its block, which must parse as a
// config: no key the format lacks, no value of the wrong type (values are not validated).
func (r configReference) parse(t *testing.T) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	block, ok := r.block(string(data))
	if !ok {
		t.Fatalf("%s: no config reference block", r.file)
	}
	c, err := Parse(r.file, []byte(block))
	if err != nil {
		t.Fatalf("the config reference does not parse as a config: %v", err)
	}
	return c.src.root
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
	for _, ref := range configReferences {
		t.Run(ref.file, func(t *testing.T) {
			root := ref.parse(t)
			written := map[string]bool{}
			writtenKeys(root, configType, "", written)
			for _, key := range want {
				if !written[key] {
					t.Errorf("%s: config key %s is missing from the config reference block", ref.file, key)
				}
			}
		})
	}
}

// lineComment returns the comment on the line of the key at the dotted path in the mapping
// root ("" when there is none).
func lineComment(root *yaml.Node, path string) string {
	parent, name := root, path
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		parent, name = lookup(root, path[:i]), path[i+1:]
	}
	if parent == nil || parent.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if k := parent.Content[i]; k.Value == name {
			return k.LineComment + parent.Content[i+1].LineComment
		}
	}
	return ""
}

// TestConfigReferenceListsNames checks that where the config references enumerate the values
// of a field, they name every value the package owning the list accepts, so that adding a
// dataset, an architecture, a sampler or a schedule cannot leave them stale.
func TestConfigReferenceListsNames(t *testing.T) {
	lists := []struct {
		key   string
		names []string
	}{
		{"dataset.name", datasets.Names()},
		{"model.arch", models.Names()},
		{"mixing.coefficients", mixing.SamplerNames()},
		{"train.lr_schedule", lrSchedules},
		{"wire.links", link.Names()},
		{"wire.scaling_link", link.Names()},
	}
	for _, ref := range configReferences {
		root := ref.parse(t)
		for _, l := range lists {
			n := lookup(root, l.key)
			if n == nil {
				t.Errorf("%s: config key %s is missing from the config reference block", ref.file, l.key)
				continue
			}
			comment := lineComment(root, l.key)
			words := strings.FieldsFunc(comment, func(r rune) bool {
				return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_'
			})
			for _, name := range l.names {
				if !slices.Contains(words, name) {
					t.Errorf("%s:%d: the comment of %s does not name %s (%q)", ref.file, n.Line, l.key, name, comment)
				}
			}
		}
	}
}
