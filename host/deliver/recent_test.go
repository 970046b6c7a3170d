package deliver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wasmhose/wasmhose/host/deliver"
)

// TestRecentObjects checks the ring the console's "Latest objects" reads:
// data and error-output objects as stored, newest first, at most 100.
func TestRecentObjects(t *testing.T) {
	t.Run("data and error output", func(t *testing.T) {
		local := newLocal(t)
		clk := newClock(t0)
		p := open(t, lambdaStream("lam"), deliver.Options{LogDir: t.TempDir(), Store: local, Transforms: newKitchenResolver(t), Now: clk.Now})
		if got := p.RecentObjects(); len(got) != 0 {
			t.Fatalf("a new pipeline has %d recent objects", len(got))
		}
		put(t, p, []byte("a"), []byte("fail"))
		p.Flush()
		waitFor(t, "both objects", func() bool { st := p.Stats(); return st.ErrorObjects == 1 && st.DeliveredObjects == 1 })
		got := p.RecentObjects()
		if len(got) != 2 {
			t.Fatalf("recent objects %+v, want 2", got)
		}
		// The error object is stored first, so it is the older.
		if !strings.HasPrefix(got[0].Key, "data/") || got[0].ErrorOutput || !strings.HasPrefix(got[1].Key, "errors/processing-failed/") || !got[1].ErrorOutput {
			t.Errorf("recent objects %+v, want the data object then the error object", got)
		}
		sizes := map[string]int64{}
		infos, err := local.List(t.Context(), testBucket, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			sizes[in.Key] = in.Size
		}
		for _, o := range got {
			if o.Bucket != testBucket || sizes[o.Key] != o.Size || !o.Stored.Equal(t0) {
				t.Errorf("recent object %+v; the store has size %d", o, sizes[o.Key])
			}
		}
	})
	t.Run("the latest 100", func(t *testing.T) {
		local := newLocal(t)
		p := open(t, newStream("many", nil), deliver.Options{LogDir: t.TempDir(), Store: local, Now: newClock(t0).Now})
		var keys []string // in the order stored
		for i := range 105 {
			put(t, p, fmt.Appendf(nil, "r%d\n", i))
			p.Flush()
			waitFor(t, "the object", delivered(p, int64(i+1)))
			keys = append(keys, p.RecentObjects()[0].Key)
		}
		stored := map[string]bool{}
		for _, o := range objects(t, local) {
			stored[o.Key] = true
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if !stored[k] || seen[k] {
				t.Fatalf("newest recent object %s: in the store %v, seen before %v", k, stored[k], seen[k])
			}
			seen[k] = true
		}
		got := p.RecentObjects()
		if len(got) != 100 {
			t.Fatalf("%d recent objects, want 100", len(got))
		}
		for i, o := range got {
			if exp := keys[len(keys)-1-i]; o.Key != exp {
				t.Fatalf("recent object %d is %s, want %s (newest first)", i, o.Key, exp)
			}
		}
	})
}
