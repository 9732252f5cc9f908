package config

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strconv"
	"strings"
)

// idExcluded are the fields the cell ID leaves out: the experiment's name and baseline
// switch (not properties of a cell), the dataset's location (where the data is, not what it
// is), the places of a model's files (their content enters the ID instead) and how the
// trained cells are served over the wire (which changes no cell), so that renaming an
// experiment, moving a checkout or serving a cell keeps finished cells.
var idExcluded = map[string]bool{"name": true, "baseline": true, "sweep": true, "dataset.path": true, "model.file": true, "model.weights": true, "wire": true}

// idOmitEmpty are fields added after cells were first run: the canonical form leaves them
// out when empty (an empty list or string, a zero number), so that configs written before
// them keep their cell IDs. dataset.label is empty only for datasets without attributes
// (Expand fills in celeba's default); mixing.shuffle_pool is 0 for one evaluation batch.
var idOmitEmpty = map[string]bool{"attacks": true, "dataset.label": true, "mixing.shuffle_pool": true, "defences": true,
	"model.layers": true, "dataset.size": true, "dataset.channels": true, "dataset.skip_bad": true}

// entryOmitZero are fields of list entries (attacks) added after cells with such entries were
// first run: the canonical form leaves them out when zero, so that those cells keep their IDs.
var entryOmitZero = map[string]bool{"epochs": true, "iterations": true, "init": true, "shadow_epochs": true}

// cellID is the first 12 hex digits of the SHA-256 of the cell's canonical form.
func cellID(c *Config, variant string) string {
	var b strings.Builder
	b.WriteString("variant=" + variant + "\n")
	canonical(&b, reflect.ValueOf(*c), "")
	// What the files model.file and model.weights hold counts, where they are does not.
	if c.digests.file != "" {
		b.WriteString("model.file.sha256=" + c.digests.file + "\n")
	}
	if c.digests.weights != "" {
		b.WriteString("model.weights.sha256=" + c.digests.weights + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:12]
}

// trainingExcluded are the fields that only evaluation and the attacks read: cells that
// differ only in them train the same network.
var trainingExcluded = map[string]bool{"mixing.shuffle": true, "mixing.shuffle_pool": true,
	"attacks": true, "train.eval_batch_size": true, "dataset.test_limit": true}

// TrainingKey identifies the network a cell trains: the SHA-256 (hex) of the canonical form of
// what training reads — the data (but for the test split's size), the network, the seed, the
// training settings, the mixing and the defences; not the shuffling, the evaluation batch or the
// attacks, which only evaluation reads. A cell whose mixing is the identity (group size 1 with
// Dirichlet coefficients, which draw C = [1], or the fixed matrix [[1]]) and that has no
// defences trains what its baseline trains — plain training of the whole network; the split
// only says where the identity is applied — and has the baseline's key. Cells with equal keys
// train bit-identical networks on the same data files.
func (c *Cell) TrainingKey() string {
	cfg := c.Config
	cfg.cell, cfg.src = nil, nil
	if identityMixing(cfg.Mixing) && len(cfg.Defences) == 0 { // as baselineOf makes it
		d := Defaults()
		cfg.Model.Split = 0
		cfg.Mixing = Mixing{GroupSize: 1, Coefficients: "fixed", Alpha: d.Mixing.Alpha, Matrix: [][]float64{{1}}, MaxCond: d.Mixing.MaxCond}
	}
	var b strings.Builder
	canonicalExcluding(&b, reflect.ValueOf(cfg), "", trainingExcluded)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// identityMixing reports whether m always mixes with C = [1].
func identityMixing(m Mixing) bool {
	if m.GroupSize != 1 {
		return false
	}
	switch m.Coefficients {
	case "dirichlet":
		return true
	case "fixed":
		return len(m.Matrix) == 1 && len(m.Matrix[0]) == 1 && m.Matrix[0][0] == 1
	}
	return false
}

// canonical writes one "path=value" line per field of v, in declaration order, with values
// in a fixed format (strings quoted, floats in shortest round-trip form).
func canonical(b *strings.Builder, v reflect.Value, path string) {
	canonicalExcluding(b, v, path, nil)
}

// canonicalExcluding is canonical without the fields of skip (and those the cell ID leaves out).
func canonicalExcluding(b *strings.Builder, v reflect.Value, path string, skip map[string]bool) {
	if v.Kind() == reflect.Struct {
		for _, f := range yamlFields(v.Type()) {
			p := f.name
			if path != "" {
				p = path + "." + f.name
			}
			if fv := v.Field(f.index); !idExcluded[p] && !skip[p] && !(idOmitEmpty[p] && empty(fv)) {
				canonicalExcluding(b, fv, p, skip)
			}
		}
		return
	}
	b.WriteString(path + "=" + canonicalValue(v) + "\n")
}

// empty reports whether a field value is empty: a list or string of length 0, or a zero
// number.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int:
		return v.Int() == 0
	case reflect.Bool:
		return !v.Bool()
	}
	return v.Len() == 0
}

// canonicalValue formats one field value for the canonical form.
func canonicalValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float64:
		return fmtFloat(v.Float())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = canonicalValue(v.Index(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case reflect.Pointer: // an optional value (a layer's bias)
		if v.IsNil() {
			return "null"
		}
		return canonicalValue(v.Elem())
	case reflect.Struct: // an entry of a list of sections (attacks): {field=value,…}
		var parts []string
		for _, f := range yamlFields(v.Type()) {
			if fv := v.Field(f.index); !(entryOmitZero[f.name] && fv.IsZero()) {
				parts = append(parts, f.name+"="+canonicalValue(fv))
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	panic("config: no canonical form for " + v.Type().String())
}
