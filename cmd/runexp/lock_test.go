package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/datamix/harness/internal/runtest"
)

// TestConcurrentRunRefused runs two real runexp processes into one directory: while the
// first holds it (stopped with SIGSTOP, so that the check does not race with its progress),
// the second exits 1 with one line naming the first's PID and command, and changes nothing;
// the first then finishes every cell, with no error.
func TestConcurrentRunRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks in subprocesses")
	}
	cfg, out, args := sweepRun(t, 320)

	var errA bytes.Buffer
	a := startRunexp(t, &errA, args...)
	done := make(chan error, 1)
	go func() { done <- a.Wait() }()
	// The lock file names its holder once the lock is taken.
	holder := fmt.Sprintf("pid %d on host ", a.Process.Pid)
	for deadline := time.Now().Add(time.Minute); ; {
		b, _ := os.ReadFile(filepath.Join(out, ".lock"))
		if strings.HasPrefix(string(b), holder) {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the first run ended (%v) before it was seen holding the lock; stderr:\n%s", err, errA.String())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run did not take the lock within a minute")
		}
	}
	if err := a.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, a.Process.Pid)
	before := runtest.Listing(t, out)

	b := exec.Command(os.Args[0], args...)
	b.Env = append(os.Environ(), "RUNEXP_MAIN=1")
	var outB, errB bytes.Buffer
	b.Stdout, b.Stderr = &outB, &errB
	err := b.Run()
	after := runtest.Listing(t, out) // before the first run resumes and writes on
	a.Process.Signal(syscall.SIGCONT)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("second run: %v, want exit status 1", err)
	}
	msg := errB.String()
	want := fmt.Sprintf("runexp: experiments: %s is in use by pid %d on host ", out, a.Process.Pid)
	if !strings.HasPrefix(msg, want) || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "run -config "+cfg) {
		t.Errorf("second run's stderr %q, want one line starting %q and naming the first's command", msg, want)
	}
	if after != before {
		t.Errorf("the refused run changed the directory:\nbefore %s\nafter  %s", before, after)
	}

	if err := <-done; err != nil {
		t.Fatalf("first run: %v; stderr:\n%s", err, errA.String())
	}
	if s := errA.String(); strings.Contains(s, "FAILED") || strings.Contains(s, "rename") {
		t.Errorf("first run's log shows a failure:\n%s", s)
	}
	csv, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil || strings.Count(string(csv), "\n") != 13 {
		t.Errorf("results.csv: %v, %d lines, want a header and 12 rows", err, strings.Count(string(csv), "\n"))
	}
}

// waitStopped waits until process pid is stopped (state T in /proc/pid/stat): a signal is
// delivered asynchronously, and a listing taken before then may catch a file being written.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	stat := fmt.Sprintf("/proc/%d/stat", pid)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(stat)
		if err != nil {
			t.Fatalf("process %d: %v", pid, err)
		}
		// The state follows the command name, which is in parentheses and may hold spaces.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && len(b) > i+2 && b[i+2] == 'T' {
			return
		}
	}
	t.Fatalf("process %d did not stop within 10 s", pid)
}
