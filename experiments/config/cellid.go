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
// is) and how the trained cells are served over the wire (which changes no cell), so that
// renaming an experiment, moving a checkout or serving a cell keeps finished cells.
var idExcluded = map[string]bool{"name": true, "baseline": true, "sweep": true, "dataset.path": true, "wire": true}

// idOmitEmpty are fields added after cells were first run: the canonical form leaves them
// out when empty (an empty list or string, a zero number), so that configs written before
// them keep their cell IDs. dataset.label is empty only for datasets without attributes
// (Expand fills in celeba's default); mixing.shuffle_pool is 0 for one evaluation batch.
var idOmitEmpty = map[string]bool{"attacks": true, "dataset.label": true, "mixing.shuffle_pool": true, "defences": true}

// entryOmitZero are fields of list entries (attacks) added after cells with such entries were
// first run: the canonical form leaves them out when zero, so that those cells keep their IDs.
var entryOmitZero = map[string]bool{"epochs": true, "iterations": true, "init": true, "shadow_epochs": true}

// cellID is the first 12 hex digits of the SHA-256 of the cell's canonical form.
func cellID(c *Config, variant string) string {
	var b strings.Builder
	b.WriteString("variant=" + variant + "\n")
	canonical(&b, reflect.ValueOf(*c), "")
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:12]
}

// canonical writes one "path=value" line per field of v, in declaration order, with values
// in a fixed format (strings quoted, floats in shortest round-trip form).
func canonical(b *strings.Builder, v reflect.Value, path string) {
	if v.Kind() == reflect.Struct {
		for _, f := range yamlFields(v.Type()) {
			p := f.name
			if path != "" {
				p = path + "." + f.name
			}
			if fv := v.Field(f.index); !idExcluded[p] && !(idOmitEmpty[p] && empty(fv)) {
				canonical(b, fv, p)
			}
		}
		return
	}
	b.WriteString(path + "=" + canonicalValue(v) + "\n")
}

// empty reports whether a field value is empty: a list or string of length 0, or a zero
// number.
func empty(v reflect.Value) bool {
	if v.Kind() == reflect.Int {
		return v.Int() == 0
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
