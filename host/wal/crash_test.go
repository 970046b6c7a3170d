package wal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// crashDirEnv, when set, makes TestCrash run as the child: it appends to
// the log in that folder until killed.
const (
	crashDirEnv   = "WASMHOSE_WAL_CRASH_DIR"
	crashRoundEnv = "WASMHOSE_WAL_CRASH_ROUND"
)

// crashData is the deterministic data of record j of append iter by
// goroutine g in round round.
func crashData(round, g, iter, j int) []byte {
	b := fmt.Appendf(nil, "r%d-g%d-i%d-j%d-", round, g, iter, j)
	for len(b) < 20+(j*37+iter)%300 {
		b = append(b, byte('a'+(len(b)+j)%26))
	}
	return b
}

// TestCrash re-executes the test binary as a child that appends and
// acknowledges in a loop, printing each acknowledged Append ("A first n
// round g iter") and each Ack before making it ("K from to"). The parent
// SIGKILLs the child at a random moment, reopens the log and checks that
// every record the child was told is durable is replayed, unless it may
// have been acknowledged. Several rounds run on the same folder, so
// recovery also runs after a recovery.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		round, _ := strconv.Atoi(os.Getenv(crashRoundEnv))
		crashChild(dir, round)
		return
	}
	if testing.Short() {
		t.Skip("crash test skipped in short mode")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 9))
	durable := map[uint64][]byte{} // printed as appended
	var maybeAcked ackSet          // printed as about to be acknowledged
	for round := range 6 {
		killAfter := rng.IntN(600)
		if round == 0 {
			killAfter = 200
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrash$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		lines := 0
		killed := false
		if killAfter == 0 {
			cmd.Process.Kill()
			killed = true
		}
		var appends, acks int
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 6 && f[0] == "A":
				first, _ := strconv.ParseUint(f[1], 10, 64)
				n, _ := strconv.Atoi(f[2])
				r, _ := strconv.Atoi(f[3])
				g, _ := strconv.Atoi(f[4])
				iter, _ := strconv.Atoi(f[5])
				for j := range n {
					seq, d := first+uint64(j), crashData(r, g, iter, j)
					if old, ok := durable[seq]; ok && !bytes.Equal(old, d) {
						t.Fatalf("round %d: sequence number %d reused: %q then %q", round, seq, old, d)
					}
					durable[seq] = d
				}
				appends++
			case len(f) == 3 && f[0] == "K":
				from, _ := strconv.ParseUint(f[1], 10, 64)
				to, _ := strconv.ParseUint(f[2], 10, 64)
				maybeAcked.add(from, to)
				acks++
			default:
				t.Fatalf("round %d: child printed %q; stderr:\n%s", round, sc.Text(), stderr.String())
			}
			lines++
			if lines == killAfter && !killed {
				cmd.Process.Kill() // SIGKILL
				killed = true
			}
		}
		err = cmd.Wait()
		if !killed || err == nil || !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: child ended by itself (%v); stderr:\n%s", round, err, stderr.String())
		}

		l, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		got := map[uint64]bool{}
		prev := uint64(0)
		err = l.Replay(func(e Entry) error {
			if e.Seq <= prev {
				return fmt.Errorf("replayed %d after %d", e.Seq, prev)
			}
			prev = e.Seq
			if d, ok := durable[e.Seq]; ok && !bytes.Equal(d, e.Data) {
				return fmt.Errorf("entry %d = %q, want %q", e.Seq, e.Data, d)
			}
			got[e.Seq] = true
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: Replay: %v", round, err)
		}
		missing := 0
		for seq := range durable {
			if !got[seq] && !maybeAcked.covers(seq, seq+1) {
				missing++
				if missing < 10 {
					t.Errorf("round %d: acknowledged record %d lost", round, seq)
				}
			}
		}
		if missing > 0 {
			t.Fatalf("round %d: %d acknowledged records lost", round, missing)
		}
		t.Logf("round %d: killed after %d lines (%d appends, %d acks); %d durable records, %d replayed; recovered %+v",
			round, lines, appends, acks, len(durable), len(got), l.Recovered())
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// crashChild is TestCrash's child: 4 goroutines append batches of random
// size, one acknowledges random earlier batches, until the process is
// killed.
func crashChild(dir string, round int) {
	l, err := Open(dir, Options{SegmentBytes: 64 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: Open:", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	println := func(format string, args ...any) {
		line := fmt.Sprintf(format+"\n", args...)
		outMu.Lock()
		os.Stdout.WriteString(line) // one write per line: a killed child leaves whole lines
		outMu.Unlock()
	}
	done := make(chan Range, 64)
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(g)))
			for iter := 0; ; iter++ {
				n := 1 + rng.IntN(60)
				recs := make([]Record, n)
				for j := range recs {
					recs[j] = Record{Data: crashData(round, g, iter, j), Arrival: base}
				}
				first, err := l.Append(context.Background(), recs)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: Append:", err)
					os.Exit(2)
				}
				println("A %d %d %d %d %d", first, n, round, g, iter)
				select {
				case done <- Range{first, first + uint64(n)}:
				default:
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(round), 99))
	for r := range done {
		if rng.IntN(3) == 0 {
			continue // leave some unacknowledged
		}
		println("K %d %d", r.From, r.To)
		if err := l.Ack(r.From, r.To); err != nil {
			fmt.Fprintln(os.Stderr, "child: Ack:", err)
			os.Exit(2)
		}
	}
}
