package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxConfigBytes bounds the size of a config file; real configs are a few hundred bytes.
const maxConfigBytes = 1 << 20

// source records where a loaded config came from, so that errors can name the line of a field.
type source struct {
	file string     // the name given to Load or Parse
	dir  string     // the directory relative dataset paths are resolved against
	root *yaml.Node // the document's top-level mapping, overrides applied

	args []string       // the overrides applied (LoadWith), in order
	sets map[int]string // the made-up line of each override's value → the override
}

// Load reads the experiment config at path. Fields the file leaves out keep the defaults of
// Defaults; unknown keys, wrongly typed values, an empty file, YAML syntax errors and
// multiple documents are errors that name the file and line. A relative dataset.path is
// resolved against the file's directory. Load does not validate: call Validate (or Expand,
// which validates every cell) before running anything.
func Load(path string) (*Config, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// readConfig reads the config file at path.
func readConfig(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FieldError{File: path, Msg: "cannot read config: " + err.Error(), Err: err}
	}
	return data, nil
}

// Parse decodes a config from data as Load does; name is the file name used in errors and
// whose directory relative dataset paths are resolved against ("" for none).
func Parse(name string, data []byte) (*Config, error) { return parse(name, data, nil) }

// parse is Parse with the overrides sets applied to the document before it is checked.
func parse(name string, data []byte, sets Overrides) (*Config, error) {
	fail := func(line int, format string, args ...any) error {
		return &FieldError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) > maxConfigBytes {
		return nil, fail(0, "%d bytes, a config may have at most %d", len(data), maxConfigBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, fail(0, "empty config, need a YAML mapping with at least name:")
		}
		return nil, syntaxError(name, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, fail(extra.Line, "a second YAML document, need exactly one config per file")
	case err != io.EOF:
		return nil, syntaxError(name, data, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fail(doc.Line, "not a YAML document")
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, fail(root.Line, "empty config, need a YAML mapping with at least name:")
	}
	if root.Kind != yaml.MappingNode {
		return nil, fail(root.Line, "%s, need a mapping of config fields (name:, dataset:, model:, ...)", describe(root))
	}
	src := &source{file: name, root: root}
	if len(sets) > 0 {
		// The overrides' values get line numbers past the end of the file.
		lines, err := applyOverrides(root, sets, bytes.Count(data, []byte("\n"))+2)
		if err != nil {
			return nil, err
		}
		src.args, src.sets = append([]string(nil), sets...), lines
	}
	if err := newChecker().check(root, configType, ""); err != nil {
		err.File = name
		return nil, src.explain(err)
	}
	// The schema walk above gives friendlier messages; the strict decoder (unknown fields
	// rejected) is what the config format promises, and stays as the backstop. With
	// overrides, the tree they changed is decoded instead, the schema walk being its check.
	cfg := Defaults()
	if len(sets) > 0 {
		if err := root.Decode(&cfg); err != nil {
			return nil, src.explain(yamlError(name, err))
		}
	} else {
		strict := yaml.NewDecoder(bytes.NewReader(data))
		strict.KnownFields(true)
		if err := strict.Decode(&cfg); err != nil {
			return nil, yamlError(name, err)
		}
	}
	cfg.src = src
	if name != "" {
		cfg.src.dir = filepath.Dir(name)
	}
	cfg.resolvePaths()
	return &cfg, nil
}

// pathFields are the fields that name files: a relative path in them is resolved against the
// config file's directory (pathsOf lists them in this order).
var pathFields = []string{"dataset.path", "model.file", "model.weights"}

// pathsOf returns pointers to c's fields named by pathFields.
func (c *Config) pathsOf() []*string {
	return []*string{&c.Dataset.Path, &c.Model.File, &c.Model.Weights}
}

// resolvePaths resolves c's relative paths against the config file's directory.
func (c *Config) resolvePaths() {
	for _, p := range c.pathsOf() {
		*p = c.src.resolvePath(*p)
	}
}

// resolvePath resolves a relative path (dataset.path, model.file, model.weights) against the
// config file's directory.
func (s *source) resolvePath(p string) string {
	if s == nil || p == "" || s.dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.dir, p)
}

// unresolvePath undoes resolvePath: it returns p relative to the config file's directory.
func (s *source) unresolvePath(p string) string {
	if s == nil || p == "" || s.dir == "" || filepath.IsAbs(p) {
		return p
	}
	if r, err := filepath.Rel(s.dir, p); err == nil {
		return r
	}
	return p
}

// yamlLine matches the "line N: message" form of yaml.v3 errors.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlError turns an error of the yaml decoder into a one-line FieldError.
func yamlError(file string, err error) *FieldError {
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.File = file
		return fe
	}
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(oneLine(msg), "yaml: ")
	fe = &FieldError{File: file, Msg: msg, Err: err}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Msg = m[2]
	}
	if parserProblems[fe.Msg] {
		// yaml.v3 reports the 0-based line for parser (not scanner) errors, and no line at
		// all when that is 0 (go-yaml/yaml#205; decode.go, parser.fail).
		fe.Line++
	}
	return fe
}

// syntaxError is yamlError for an error of yaml.v3 parsing the file data. An unclosed flow
// collection ('[' or '{') is reported at the line it opens on — except on the first line,
// where yaml.v3 counts it as line 0 and reports the line at which it gave up instead (the end
// of the file, often). Parsed again behind one blank line, the collection opens on a later
// line, which yaml.v3 reports counted from 0: its line in data counted from 1.
func syntaxError(file string, data []byte, err error) *FieldError {
	fe := yamlError(file, err)
	if flowProblems[fe.Msg] {
		if line, ok := shiftedLine(data, fe.Msg); ok {
			fe.Line = line
		}
	}
	return fe
}

// flowProblems are the messages of yaml.v3's parser errors in a flow collection, reported
// with the line of the collection's opening bracket (parserc.go, its context mark).
var flowProblems = map[string]bool{
	"did not find expected ',' or ']'": true,
	"did not find expected ',' or '}'": true,
}

// shiftedLine parses data behind one line break, as parse does (at most two documents), and
// returns the line of the parser error it ends with, if that error's message is msg.
func shiftedLine(data []byte, msg string) (int, bool) {
	dec := yaml.NewDecoder(io.MultiReader(strings.NewReader("\n"), bytes.NewReader(data)))
	for range 2 {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == nil {
			continue
		}
		m := yamlLine.FindStringSubmatch(strings.TrimPrefix(oneLine(err.Error()), "yaml: "))
		if m == nil || m[2] != msg {
			return 0, false
		}
		line, _ := strconv.Atoi(m[1])
		return line, true
	}
	return 0, false
}

// parserProblems are the messages of yaml.v3's parser errors (parserc.go), whose line numbers
// need correcting; the scanner's errors carry the right line.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}
