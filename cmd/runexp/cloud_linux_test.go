package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/datamix/harness/experiments"
	"github.com/datamix/harness/models"
	"github.com/datamix/harness/wire"
)

// opened returns the names of the files in the directory watched by the inotify instance fd
// that were opened since it was set up (inotify(7): one event per open, with the file's name).
func opened(t *testing.T, fd int) []string {
	t.Helper()
	var names []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN || n <= 0 {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
			if name != "" && ev.Mask&unix.IN_OPEN != 0 {
				names = append(names, name)
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

// TestCloudOpensOnlyTheBody: runexp cloud, given a cell's body file in a directory that also
// holds the head, the tail and the whole network, opens the body file and no other file of
// that directory (watched with inotify, which sees every open); it answers an edge's request
// and, when its context ends as on SIGTERM, drains and exits cleanly.
func TestCloudOpensOnlyTheBody(t *testing.T) {
	arch, _ := models.Lookup("mnist-cnn")
	net, err := models.New(arch, 10, 1, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, p := range models.Parts {
		f, _ := os.Create(filepath.Join(dir, experiments.PartFile(p)))
		if err := net.SavePart(f, p); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	f, _ := os.Create(filepath.Join(dir, "model.ckpt"))
	net.Save(f)
	f.Close()

	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Skipf("no inotify: %v", err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_OPEN); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	out, outW := io.Pipe()
	var errBuf strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"cloud", "-body", filepath.Join(dir, experiments.PartFile(models.Body)), "-listen", "127.0.0.1:0", "-metrics", "127.0.0.1:0"}, outW, &errBuf)
		outW.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the cloud printed no serving line: %v; stderr:\n%s", err, errBuf.String())
	}
	go io.Copy(io.Discard, out)
	var model, addr, maddr string
	if _, err := fmt.Sscanf(strings.TrimSpace(line), strings.TrimSuffix(servingLine, "\n"), &model, &addr, &maddr); err != nil {
		t.Fatalf("serving line %q: %v", line, err)
	}
	if want := experiments.ModelID(net, net.Fingerprint(), false); model != want {
		t.Errorf("serves %s, want %s", model, want)
	}
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := wire.Dial(dctx, addr, wire.ClientConfig{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	up := make([]float32, 2*net.UploadDim())
	for i := range up {
		up[i] = float32(i%13) / 13
	}
	ret := make([]float32, 2*net.DownloadDim())
	if err := cl.Exchange(dctx, ret, up); err != nil {
		t.Fatalf("the cloud did not answer: %v", err)
	}
	cl.Close()
	stop() // as SIGTERM does
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit code %d after draining; stderr:\n%s", c, errBuf.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cloud did not stop after its context ended")
	}
	names := opened(t, fd)
	slices.Sort(names)
	names = slices.Compact(names)
	if !slices.Equal(names, []string{experiments.PartFile(models.Body)}) {
		t.Errorf("the cloud opened %v in the cell's directory, want only %s", names, experiments.PartFile(models.Body))
	}
}
