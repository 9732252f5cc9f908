package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockFile is the name of the lock file in a run directory. A run (and a merge into the
// directory) holds an exclusive lock on it from before it writes anything until it returns;
// the file says which process holds it. It stays in the directory afterwards: the lock, not
// the file, marks a directory as in use.
const LockFile = ".lock"

// BusyError is the error of a run or merge into a directory that another process is writing:
// nothing was written.
type BusyError struct {
	Dir string
	// Holder says which process holds the lock, as it wrote it into the lock file: its PID,
	// host, command line and start time. "" when it has not written it yet.
	Holder string
}

func (e *BusyError) Error() string {
	holder := e.Holder
	if holder == "" {
		holder = "another process (it has not written its name yet)"
	}
	return fmt.Sprintf("experiments: %s is in use by %s; wait for it to end, or write elsewhere (another -out)", e.Dir, holder)
}

// dirLock is an exclusive lock on a run directory, held through an open lock file.
type dirLock struct{ f *os.File }

// lockDir takes the exclusive lock of the existing directory dir without waiting: a
// *BusyError if another holder has it (another process, or another run in this process).
// The lock is advisory (flock(2) where available: released by the kernel when the process
// ends, however it ends, and on Linux effective across NFS clients); it guards against two
// runexp processes, not against other programs writing into the directory.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("experiments: lock %s: %w", dir, err)
	}
	busy, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("experiments: lock %s: %w", path, err)
	}
	if busy {
		b, _ := os.ReadFile(path)
		f.Close()
		return nil, &BusyError{Dir: dir, Holder: strings.TrimSpace(string(b))}
	}
	// Say who holds it. A process refused in between reads an empty file.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(holder()+"\n"), 0) // best effort: the lock holds without the note
	}
	return &dirLock{f: f}, nil
}

// unlock releases the lock; closing the file releases a flock.
func (l *dirLock) unlock() {
	if l != nil {
		l.f.Close()
	}
}

// holder describes this process for the lock file: "pid 123 on host h (runexp run -config
// x.yaml) since 2026-01-02T15:04:05Z".
func holder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "an unknown host"
	}
	args := make([]string, len(os.Args))
	for i, a := range os.Args {
		if i == 0 {
			a = filepath.Base(a)
		}
		if a == "" || strings.ContainsAny(a, " \t\n'\"") {
			a = strconv.Quote(a)
		}
		args[i] = a
	}
	return fmt.Sprintf("pid %d on host %s (%s) since %s", os.Getpid(), host, strings.Join(args, " "), time.Now().UTC().Format(time.RFC3339))
}
