package blueprint_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wasmhose/wasmhose/plugins/blueprint"
	"github.com/wasmhose/wasmhose/plugins/internal/golden"
)

func TestNodeDiff(t *testing.T) {
	if os.Getenv("NODE_DIFF") == "" {
		t.Skip()
	}
	seed, _ := strconv.ParseUint(os.Getenv("NODE_DIFF"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 2))
	alphabet := []string{"0", "1", "2", "5", "9", " ", "  ", "\t", "\"", "[", "]", ":", "/", "<", ">", ".", "-", "+", "a", "Oct", "May", "\u00a0", "\u2028", "\n", "\r", "\xff", "\xe2\x80", "_", "%", ",", "60", "24", "\\", "é", "😀"}
	for _, name := range []string{"apachelog-to-json", "apachelog-to-csv", "syslog-to-json", "syslog-to-csv"} {
		var seeds [][]byte
		files, _ := filepath.Glob("testdata/" + name[:6] + "*/*.txt")
		for _, f := range files {
			src, _ := os.ReadFile(f)
			g, _ := golden.Parse(src)
			seeds = append(seeds, g.Records...)
		}
		var recs [][]byte
		for range 200000 {
			s := []byte(string(seeds[rng.IntN(len(seeds))]))
			for range 1 + rng.IntN(3) {
				p := 0
				if len(s) > 0 {
					p = rng.IntN(len(s) + 1)
				}
				a := alphabet[rng.IntN(len(alphabet))]
				switch rng.IntN(3) {
				case 0:
					s = append(s[:p:p], append([]byte(a), s[p:]...)...)
				case 1:
					if p < len(s) {
						s = append(s[:p:p], s[p+1:]...)
					}
				case 2:
					if p < len(s) {
						s = append(s[:p:p], append([]byte(a), s[p+1:]...)...)
					}
				}
			}
			if name[:6] == "syslog" && len(s) > 0 && s[0] == '<' {
				continue
			}
			recs = append(recs, s)
		}
		if name[:6] == "apache" {
			toks := []string{"1", "12", "123", "2000", "0049", "99", "24", "60", "00", "123456789012", "Oct", "october", "OCT", "Octx", "jan", "may", "am", "pm", "AM", "t", "T", "z", "Z", "ut", "utc", "gmt", "est", "pdt", "xyz", "_", ":", ":", ":", "/", "/", "/", "//", "::"}
			for range 300000 {
				var ts []byte
				for range 1 + rng.IntN(9) {
					ts = append(ts, toks[rng.IntN(len(toks))]...)
				}
				zone := ""
				if rng.IntN(3) > 0 {
					zone = fmt.Sprintf(" %c%04d", "+-"[rng.IntN(2)], rng.IntN(10000))
				}
				recs = append(recs, fmt.Appendf(nil, `1.2.3.4 - - [%s%s] "GET / x" 200 1`, ts, zone))
			}
		}
		b64 := make([]string, len(recs))
		for i, r := range recs {
			b64[i] = base64.StdEncoding.EncodeToString(r)
		}
		in, _ := json.Marshal(map[string]any{"blueprint": name, "records": b64})
		cmd := exec.Command("node", "/tmp/bpdiff/bp.js")
		cmd.Env = append(os.Environ(), "TZ=UTC")
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		var want []*string
		json.Unmarshal(out, &want)
		cfg := []byte(`{"combined":false}`)
		if name[:6] == "syslog" {
			cfg = nil
		}
		bp, err := blueprint.New(name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		bad, ok := 0, 0
		for i, r := range recs {
			res := bp.Transform(r)
			var w []byte
			if want[i] != nil {
				w, _ = base64.StdEncoding.DecodeString(*want[i])
			}
			gotOk := res.Status == blueprint.StatusOk
			if gotOk != (want[i] != nil) || (gotOk && !bytes.Equal(res.Data, w)) {
				bad++
				if bad <= 15 {
					t.Errorf("%s %q:\n go: %v %s\nnode: %v %s", name, r, res.Status, res.Data, want[i] != nil, w)
				}
			} else if gotOk {
				ok++
			}
		}
		t.Logf("%s: %d records, %d Ok agree, %d differ", name, len(recs), ok, bad)
	}
}
