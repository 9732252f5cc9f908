package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// overrideBase is the config the override tests start from: a section with a merge key, a
// sweep with a zip group.
const overrideBase = `name: over
seed: 1
dataset: {name: mnist, train_limit: 256, test_limit: 100}
model: {arch: mnist-cnn, split: 1}
mixing:
  <<: {group_size: 2, shuffle: true}
  coefficients: dirichlet
train: {epochs: 1, batch_size: 32, eval_batch_size: 32}
sweep:
  seed: [1, 2]
  zip:
    model.split: [0, 1]
    train.lr: [0.001, 0.002]
`

func overrideFile(extra string) string { return overrideBase + extra }

// Each override gives what writing its value into the file gives: the same fields, the same
// cells with the same IDs.
func TestOverridesAsIfInTheFile(t *testing.T) {
	base := overrideFile("")
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		sets Overrides
		file string // base, edited as the overrides say
	}{
		{"scalar", Overrides{"train.epochs=3"}, strings.Replace(base, "epochs: 1", "epochs: 3", 1)},
		{"later wins", Overrides{"train.epochs=3", "train.epochs=4"}, strings.Replace(base, "epochs: 1", "epochs: 4", 1)},
		{"new field", Overrides{"mixing.max_cond=50"}, strings.Replace(base, "  coefficients: dirichlet\n", "  coefficients: dirichlet\n  max_cond: 50\n", 1)},
		{"field of a merged mapping", Overrides{"mixing.shuffle=false"}, strings.Replace(base, "  coefficients: dirichlet\n", "  coefficients: dirichlet\n  shuffle: false\n", 1)},
		{"matrix", Overrides{"mixing.coefficients=fixed", "mixing.matrix=[[0.7, 0.3], [0.6, 0.4]]"},
			strings.Replace(base, "coefficients: dirichlet", "coefficients: fixed\n  matrix: [[0.7, 0.3], [0.6, 0.4]]", 1)},
		{"attacks", Overrides{"attacks=[{kind: ica, victims: 50}]"}, base + "attacks: [{kind: ica, victims: 50}]\n"},
		{"swept field fixed", Overrides{"seed=7"}, strings.Replace(strings.Replace(base, "seed: 1\n", "seed: 7\n", 1), "  seed: [1, 2]\n", "", 1)},
		{"zipped field fixed", Overrides{"train.lr=0.003"},
			strings.Replace(strings.Replace(base, "train: {epochs: 1,", "train: {lr: 0.003, epochs: 1,", 1), "    train.lr: [0.001, 0.002]\n", "", 1)},
		{"sweep axis replaced", Overrides{"sweep.seed=[3, 4, 5]"}, strings.Replace(base, "seed: [1, 2]", "seed: [3, 4, 5]", 1)},
		{"zip member replaced", Overrides{"sweep.train.lr=[0.01, 0.02]"}, strings.Replace(base, "train.lr: [0.001, 0.002]", "train.lr: [0.01, 0.02]", 1)},
		{"sweep axis added", Overrides{"sweep.mixing.group_size=[1, 2]"}, base + "  mixing.group_size: [1, 2]\n"},
		{"sweep axis removed", Overrides{"sweep.seed=null"}, strings.Replace(base, "  seed: [1, 2]\n", "", 1)},
		{"zip emptied", Overrides{"sweep.model.split=null", "sweep.train.lr=null"}, strings.Replace(base, "  zip:\n    model.split: [0, 1]\n    train.lr: [0.001, 0.002]\n", "", 1)},
		{"no sweep", Overrides{"sweep={}"}, base[:strings.Index(base, "sweep:")]},
		{"dataset path from the working directory", Overrides{"dataset.path=testdata"},
			strings.Replace(base, "train_limit: 256", "path: "+filepath.Join(cwd, "testdata")+", train_limit: 256", 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseWith(filepath.Join("sub", "over.yaml"), []byte(overrideBase), c.sets)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Parse(filepath.Join("sub", "over.yaml"), []byte(c.file))
			if err != nil {
				t.Fatalf("the edited file: %v\n%s", err, c.file)
			}
			if g, w := publicFields(got), publicFields(want); !reflect.DeepEqual(g, w) {
				t.Errorf("fields\n%+v\nwant (edited file)\n%+v", g, w)
			}
			gc, gerr := Expand(got)
			wc, werr := Expand(want)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("Expand: %v, edited file: %v", gerr, werr)
			}
			if len(gc) != len(wc) {
				t.Fatalf("%d cells, edited file %d", len(gc), len(wc))
			}
			for i := range gc {
				if gc[i].String() != wc[i].String() {
					t.Errorf("cell %d: %s, edited file %s", i, gc[i], wc[i])
				}
			}
		})
	}
}

// An override with a bad value fails with the file's message, naming the -set argument.
func TestOverrideErrors(t *testing.T) {
	cwd, _ := os.Getwd()
	for _, c := range []struct {
		sets Overrides
		want string
	}{
		{Overrides{"mixing.group_size=0"}, "-set mixing.group_size=0: mixing.group_size: 0, need an integer ≥ 1"},
		{Overrides{"mixing.group_size=two"}, `-set mixing.group_size=two: mixing.group_size: "two", need an integer`},
		{Overrides{"mixing.group_size=1.5"}, "-set mixing.group_size=1.5: mixing.group_size: 1.5, need an integer"},
		{Overrides{"train.epochs=99999999999999999999"}, "-set train.epochs=99999999999999999999: train.epochs: 99999999999999999999 overflows, need an integer from -9223372036854775808 to 9223372036854775807"},
		{Overrides{"sweep.seed=[1, 18446744073709551616]"}, "-set sweep.seed=[1, 18446744073709551616]: sweep: seed: 18446744073709551616 overflows, need an integer from 0 to 18446744073709551615"},
		{Overrides{"mixing.group_size="}, "-set mixing.group_size=: mixing.group_size: no value, need an integer"},
		{Overrides{"mixing.gruop_size=2"}, "-set mixing.gruop_size=2: mixing.gruop_size: no such field, mixing has group_size, coefficients, alpha, matrix, shuffle, shuffle_pool, max_cond"},
		{Overrides{"mixing=4"}, "-set mixing=4: mixing: a section, set its fields one at a time, e.g. -set mixing.group_size=…"},
		{Overrides{"group_size"}, "-set group_size: need KEY=VALUE, e.g. mixing.group_size=4"},
		{Overrides{"=4"}, "-set =4: need KEY=VALUE"},
		{Overrides{"\n"}, `-set "\n": need KEY=VALUE`}, // found by FuzzOverride: the message stays one line
		{Overrides{"mixing.matrix=[[1, 2"}, `-set mixing.matrix=[[1, 2: mixing.matrix: value "[[1, 2": did not find expected ',' or ']'`},
		// As in the file, a clash of two fields is reported on the first the file sets.
		{Overrides{"mixing.group_size=3"}, "over.yaml:8: train.batch_size: 32, need a multiple of mixing.group_size (3)"},
		{Overrides{"train.batch_size=31"}, "-set train.batch_size=31: train.batch_size: 31, need a multiple of mixing.group_size (2)"},
		{Overrides{"mixing.coefficients=fixed", "mixing.matrix=[[1, 2], [2, 4]]"}, "-set mixing.matrix=[[1, 2], [2, 4]]: mixing.matrix: mixing: "},
		{Overrides{"sweep.mixing.group_size=[2, 0]"}, "-set sweep.mixing.group_size=[2, 0]: sweep cell {mixing.group_size: 0}: mixing.group_size: 0, need an integer ≥ 1"},
		{Overrides{"sweep.mixing.gruop_size=[2]"}, "-set sweep.mixing.gruop_size=[2]: sweep: mixing.gruop_size: no such field"},
		{Overrides{"sweep={seed: [1, 1]}"}, "-set sweep={seed: [1, 1]}: sweep: cells {seed: 1} and {seed: 1} are the same experiment"},
		{Overrides{"sweep.seed=3"}, "-set sweep.seed=3: sweep: seed: 3, need a non-empty list of values"},
		{Overrides{"attacks=[{kind: telepathy}]"}, `-set attacks=[{kind: telepathy}]: attacks[0].kind: "telepathy", want one of`},
		{Overrides{"dataset.path=no/such/dir"}, `-set dataset.path=no/such/dir: dataset.path: "` + filepath.Join(cwd, "no/such/dir") + `": no such file or directory`},
		// The file's own errors keep their line.
		{Overrides{"train.epochs=1", "model.arch=cifar-cnn"}, "-set model.arch=cifar-cnn: model.arch: cifar-cnn takes 3×32×32 inputs, but dataset mnist has 1×28×28"},
		{Overrides{"model.split=3"}, "-set model.split=3: model.split: 3, need 0 ≤ split ≤ 2 for mnist-cnn (or the name of a layer)"},
		// The file's own errors keep their line.
		{Overrides{"train.epochs=1"}, "over.yaml:8: train.batch_size: 33, need a multiple of mixing.group_size (2)"},
	} {
		t.Run(strings.Join(c.sets, " "), func(t *testing.T) {
			// Without a sweep, so that the messages name no cell.
			src := overrideBase[:strings.Index(overrideBase, "sweep:")]
			if strings.HasPrefix(c.want, "over.yaml:8: train.batch_size: 33") {
				src = strings.Replace(src, "batch_size: 32", "batch_size: 33", 1)
			}
			cfg, err := ParseWith("over.yaml", []byte(src), c.sets)
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v\nwant one line starting %q", err, c.want)
			}
		})
	}
}

// An override of a field inside a section that the sweep varies as a whole is refused: the
// two cannot both hold.
func TestOverrideOfASweptSection(t *testing.T) {
	src := "name: s\nsweep:\n  mixing: [{group_size: 2}, {group_size: 4, shuffle: false}]\n"
	_, err := ParseWith("s.yaml", []byte(src), Overrides{"mixing.group_size=1"})
	want := "-set mixing.group_size=1: mixing.group_size: the sweep varies the section mixing as a whole (line 3); change its values with -set sweep.mixing=[…]"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// The resolved config of a run with overrides holds their values, names them in a comment,
// and reads back as the same experiment.
func TestOverridesInResolvedConfig(t *testing.T) {
	cfg, err := ParseWith("over.yaml", []byte(overrideFile("")), Overrides{"train.epochs=3", "sweep.seed=[5]"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "# resolved from over.yaml with -set train.epochs=3 -set sweep.seed=[5]\n") || !strings.Contains(s, "epochs: 3\n") || !strings.Contains(s, "seed: [5]") {
		t.Errorf("resolved config:\n%s", s)
	}
	back, err := Parse("config.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Expand(cfg)
	r, _ := Expand(back)
	if len(a) != len(r) || len(a) != 2 || a[0].ID != r[0].ID || a[1].ID != r[1].ID {
		t.Errorf("cells %v, read back %v", a, r)
	}
}

// FuzzOverride applies one -set argument to a config: it never panics, errors are one line,
// and an accepted override of a field changes that field only (and drops its sweep axis),
// however the file shares values through anchors, aliases and merge keys.
func FuzzOverride(f *testing.F) {
	f.Add([]byte(overrideBase), "mixing.group_size=4")
	f.Add([]byte(overrideBase), "sweep.train.lr=null")
	f.Add([]byte(overrideBase), "sweep.zip={seed: [1]}")
	f.Add([]byte("name: a\nmixing: {<<: &m {group_size: 2}, alpha: 2}\ntrain: *m\n"), "mixing.group_size=4")
	f.Add([]byte("name: a\nmixing: &m {group_size: 2}\nsweep: {mixing: [*m]}\n"), "mixing.alpha=3")
	f.Add([]byte("name: a\nsweep: &s {seed: [1, 2]}\n"), "sweep.seed=[3]")
	f.Add([]byte("name: a\nmixing:\n"), "mixing.matrix=[[1]]")
	f.Add([]byte("name: a\n"), "attacks=[{kind: ica}]")
	f.Fuzz(func(t *testing.T, data []byte, arg string) {
		got, err := ParseWith("f.yaml", data, Overrides{arg})
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			return
		}
		if _, err := Expand(got); err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error spans lines: %q", err)
		}
		orig, err := Parse("f.yaml", data)
		key, _, _ := strings.Cut(arg, "=")
		key = strings.TrimSpace(key)
		if err != nil || key == "sweep" || strings.HasPrefix(key, "sweep.") {
			return
		}
		// What the override should give: the file's config with the field set and its
		// sweep axis gone.
		want := publicFields(orig)
		dst, ok1 := fieldByPath(reflect.ValueOf(&want).Elem(), key)
		src, ok2 := fieldByPath(reflect.ValueOf(got).Elem(), key)
		if !ok1 || !ok2 {
			t.Fatalf("accepted an override of %q, which is not a field", key)
		}
		dst.Set(src)
		want.Sweep = nil
		for _, ax := range orig.Sweep {
			if ax.Key == ZipKey {
				var zip []Axis
				for _, z := range ax.Zip {
					if z.Key != key {
						zip = append(zip, Axis{Key: z.Key, Values: z.Values})
					}
				}
				if len(zip) > 0 {
					want.Sweep = append(want.Sweep, Axis{Key: ZipKey, Zip: zip})
				}
			} else if ax.Key != key {
				want.Sweep = append(want.Sweep, Axis{Key: ax.Key, Values: ax.Values})
			}
		}
		g := publicFields(got)
		g.Sweep = normSweep(got.Sweep)
		if !reflect.DeepEqual(g, want) {
			t.Fatalf("-set %s changed more than %s:\n got %+v\nwant %+v", arg, key, g, want)
		}
	})
}

// normSweep copies the public part of a sweep, zip groups included.
func normSweep(s Sweep) Sweep {
	var out Sweep
	for _, ax := range s {
		out = append(out, Axis{Key: ax.Key, Values: ax.Values, Zip: normSweep(ax.Zip)})
	}
	return out
}
