package datasets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/datamix/harness/internal/celebatest"
)

// writeCelebA writes a synthetic CelebA with the given official partition sizes.
func writeCelebA(t *testing.T, train, val, test int, partition bool) *celebatest.Folder {
	t.Helper()
	f, err := celebatest.Write(t.TempDir(), celebatest.Options{Train: train, Val: val, Test: test, Partition: partition, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// column returns attribute name of the folder's files idx.
func column(f *celebatest.Folder, name string, idx []int) []int {
	j := slices.Index(f.Attrs, name)
	out := make([]int, len(idx))
	for o, i := range idx {
		out[o] = int(f.Values[i*len(f.Attrs)+j])
	}
	return out
}

func span(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}

func TestLoadCelebASplits(t *testing.T) {
	part := writeCelebA(t, 30, 5, 10, true)
	flat := writeCelebA(t, 40, 0, 5, false)
	for _, c := range []struct {
		name        string
		f           *celebatest.Folder
		spec        Spec
		train, test []int // indices into the folder's files
		label       string
	}{
		// The official partition: 0 is training, 2 test, 1 (validation) unused.
		{"partition", part, Spec{}, span(0, 30), span(35, 45), "Male"},
		{"partition, limits and label", part, Spec{Label: "Smiling", TrainLimit: 7, TestLimit: 3}, span(0, 7), span(35, 38), "Smiling"},
		// No partition file: the last tenth of the attribute file (rounded up) is the test split.
		{"no partition", flat, Spec{}, span(0, 40), span(40, 45), "Male"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.spec
			s.Name, s.Path = "celeba", c.f.Dir
			d, err := Load(s)
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != "celeba" || d.Classes != 2 || d.Label != c.label || !slices.Equal(d.Attrs, celebatest.Names) {
				t.Fatalf("dataset %s, %d classes, label %q, attrs %v", d.Name, d.Classes, d.Label, d.Attrs)
			}
			for _, sp := range []struct {
				im  *Images
				idx []int
			}{{d.Train, c.train}, {d.Test, c.test}} {
				im := sp.im
				if im.N != len(sp.idx) || im.C != 3 || im.H != 32 || im.W != 32 || len(im.X) != im.N*3*32*32 {
					t.Fatalf("N=%d C=%d H=%d W=%d len %d, want %d images of 3×32×32", im.N, im.C, im.H, im.W, len(im.X), len(sp.idx))
				}
				if want := column(c.f, c.label, sp.idx); !slices.Equal(im.Y, want) {
					t.Errorf("labels %v, want %v (attribute %s)", im.Y, want, c.label)
				}
				for o, i := range sp.idx {
					want := make([]int32, 40)
					for j, v := range c.f.Values[i*40 : (i+1)*40] {
						want[j] = int32(v)
					}
					if !slices.Equal(im.Attr(o), want) {
						t.Fatalf("image %d: attributes %v, want %v", o, im.Attr(o), want)
					}
				}
				for _, v := range im.X {
					if !(v >= 0 && v <= 1) {
						t.Fatalf("pixel %g outside [0,1]", v)
					}
				}
			}
			// Subset keeps the attributes with their images.
			sub := d.Train.Subset([]int{2, 0})
			if !slices.Equal(sub.Attr(0), d.Train.Attr(2)) || !slices.Equal(sub.Attr(1), d.Train.Attr(0)) || len(sub.Attrs) != 80 {
				t.Errorf("Subset lost the attributes")
			}
		})
	}
}

// The distribution keeps the partition file in Eval/.
func TestLoadCelebAPartitionInEval(t *testing.T) {
	f := writeCelebA(t, 6, 1, 3, true)
	os.Mkdir(filepath.Join(f.Dir, "Eval"), 0o755)
	if err := os.Rename(filepath.Join(f.Dir, CelebAPartitionFile), filepath.Join(f.Dir, "Eval", CelebAPartitionFile)); err != nil {
		t.Fatal(err)
	}
	d, err := Load(Spec{Name: "celeba", Path: f.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.N != 6 || d.Test.N != 3 {
		t.Errorf("train %d test %d, want 6 and 3 (the official partition)", d.Train.N, d.Test.N)
	}
}

func TestLoadCelebASpecErrors(t *testing.T) {
	f := writeCelebA(t, 8, 1, 3, true)
	attrPath := filepath.Join(f.Dir, CelebAAttrFile)
	partPath := filepath.Join(f.Dir, CelebAPartitionFile)
	for _, c := range []struct {
		name  string
		spec  Spec
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"unknown label", Spec{Label: "Mal"}, nil, `datasets: celeba: label "Mal" is not an attribute of ` + attrPath + " (line 2 names 5_o_Clock_Shadow, "},
		{"label on mnist", Spec{Name: "mnist", Label: "Male"}, nil, `datasets: mnist: label "Male", but only celeba has attributes`},
		{"train limit", Spec{TrainLimit: 9}, nil, attrPath + ": limit 9, but the training split holds only 8 images"},
		{"test limit", Spec{TestLimit: 4}, nil, attrPath + ": limit 4, but the test split holds only 3 images"},
		{"file without partition", Spec{}, func(t *testing.T, dir string) {
			p := filepath.Join(dir, CelebAPartitionFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("000005.jpg 0\n"), nil, 1), 0o644)
		}, partPath + ": no partition for 000005.jpg (listed at " + attrPath + ":7)"},
		{"bad partition", Spec{}, func(t *testing.T, dir string) {
			p := filepath.Join(dir, CelebAPartitionFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("000003.jpg 0\n"), []byte("000003.jpg 3\n"), 1), 0o644)
		}, partPath + `:3: 000003.jpg: partition "3", want 0 (train), 1 (validation) or 2 (test)`},
		{"missing kept image", Spec{TrainLimit: 2}, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, CelebAImagesDir, "000002.jpg"))
		}, filepath.Join(f.Dir, CelebAImagesDir, "000002.jpg") + ": no such image (listed at " + attrPath + ":4)"},
		{"malformed attribute file", Spec{}, func(t *testing.T, dir string) {
			p := filepath.Join(dir, CelebAAttrFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("000004.jpg "), []byte("000004.jpg 7 "), 1), 0o644)
		}, attrPath + ":6: 41 values for 000004.jpg, want 40"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Each case works on its own copy of the folder.
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(f.Dir)); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(t, dir)
			}
			s := c.spec
			if s.Name == "" {
				s.Name = "celeba"
			}
			s.Path = dir
			want := strings.ReplaceAll(c.want, f.Dir, dir)
			if _, err := Load(s); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestCelebAAttrNames(t *testing.T) {
	f := writeCelebA(t, 2, 0, 1, false)
	names, err := CelebAAttrNames(f.Dir)
	if err != nil || !slices.Equal(names, celebatest.Names) {
		t.Errorf("names %v, err %v", names, err)
	}
	attrPath := filepath.Join(f.Dir, CelebAAttrFile)
	for _, c := range []struct{ text, want string }{
		{"", attrPath + ":1: file ends before the image count"},
		{"x\nA B\n", attrPath + `:1: "x", want the number of images`},
		{"3\n", attrPath + ":2: file ends before the attribute names"},
		{"3\nA A\n", attrPath + `:2: attribute "A" named twice`},
	} {
		os.WriteFile(attrPath, []byte(c.text), 0o644)
		if _, err := CelebAAttrNames(f.Dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want it to contain %q", c.text, err, c.want)
		}
	}
	if _, err := CelebAAttrNames(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no "+CelebAAttrFile) {
		t.Errorf("no attribute file: err = %v", err)
	}
}

func TestReadCelebAPartitionErrors(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"one field", "1.jpg\n", "part.txt:1: 1 fields, want a file name and a partition"},
		{"bad partition", "1.jpg 0\n2.jpg x\n", `part.txt:2: 2.jpg: partition "x"`},
		{"path in name", "../1.jpg 0\n", `part.txt:1: file name "../1.jpg"`},
		{"duplicate", "1.jpg 0\n1.jpg 2\n", "part.txt:2: 1.jpg listed again (first at line 1)"},
		{"blank inside", "1.jpg 0\n\n2.jpg 1\n", "part.txt:2: empty line among the entries"},
		{"long line", strings.Repeat("x", maxCelebALine+1), "part.txt:1: line longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := ReadCelebAPartition(strings.NewReader(c.text), "part.txt"); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	part, lines, err := ReadCelebAPartition(strings.NewReader("1.jpg 0\r\n2.jpg 2\n\n"), "part.txt")
	if err != nil || fmt.Sprint(part) != "map[1.jpg:0 2.jpg:2]" || lines["2.jpg"] != 2 {
		t.Errorf("part %v lines %v err %v", part, lines, err)
	}
}

func FuzzReadCelebAPartition(f *testing.F) {
	f.Add([]byte("000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n"))
	f.Add([]byte("1.jpg 0\n\n"))
	f.Add([]byte("1.jpg 0\n1.jpg 2\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		part, lines, err := ReadCelebAPartition(bytes.NewReader(in), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "datasets: fuzz") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(part) != len(lines) {
			t.Fatalf("%d partitions, %d lines", len(part), len(lines))
		}
		for file, p := range part {
			if p < 0 || p > 2 || strings.ContainsAny(file, `/\`) || lines[file] < 1 {
				t.Fatalf("%q: partition %d line %d", file, p, lines[file])
			}
		}
	})
}
