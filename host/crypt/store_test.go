package crypt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmhose/wasmhose/host/objstore"
)

func TestStoreEncryptsKMSObjects(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	local, err := objstore.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	k := newKeyring(t)
	s := NewStore(local, k)
	body := []byte(`{"ticker":"AMZN","price":1}` + "\n")
	for _, tt := range []struct {
		name     string
		key      string
		opts     objstore.PutOptions
		expPlain bool // stored as is
	}{
		{"no encryption", "plain/a", objstore.PutOptions{}, true},
		{"SSE-KMS key", "secure/a", objstore.PutOptions{SSEKMSKeyID: testARN}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Put(ctx, "b", tt.key, body, tt.opts); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(root, "b", tt.key))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Equal(raw, body); got != tt.expPlain {
				t.Fatalf("file holds the plaintext: %v, want %v", got, tt.expPlain)
			}
			if !tt.expPlain {
				h, _, err := ParseHeader(raw)
				if err != nil || h.KeyID != KeyID(tt.opts.SSEKMSKeyID) {
					t.Fatalf("file header %+v, %v", h, err)
				}
			}
			got, err := s.Get(ctx, "b", tt.key)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("Get = %q, %v", got, err)
			}
		})
	}
	// A damaged encrypted object is an error wrapping ErrAuth, in an
	// *objstore.Error.
	path := filepath.Join(root, "b", "secure/a")
	raw, _ := os.ReadFile(path)
	raw[len(raw)-1] ^= 1
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, "b", "secure/a")
	var oe *objstore.Error
	if !errors.Is(err, ErrAuth) || !errors.As(err, &oe) || oe.Op != "get" {
		t.Fatalf("Get of a damaged object = %v", err)
	}
	// Listing and pinging pass through.
	if l, err := s.List(ctx, "b", ""); err != nil || len(l) != 2 {
		t.Fatalf("List = %v, %v", l, err)
	}
	if err := s.Ping(ctx, "b"); err != nil {
		t.Fatal(err)
	}
}

// TestStoreForwardsKeyRules: the service checks destinations against the
// store it is given, which for the local folder is this wrapper, so the
// wrapper must answer with the local store's rules.
func TestStoreForwardsKeyRules(t *testing.T) {
	local, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	s := NewStore(local, newKeyring(t))
	if err := s.ValidateKey("a/../b"); !errors.Is(err, objstore.ErrInvalidKey) {
		t.Errorf("ValidateKey(a/../b) = %v, want ErrInvalidKey", err)
	}
	if err := s.ValidateBucket(".."); !errors.Is(err, objstore.ErrInvalidBucket) {
		t.Errorf("ValidateBucket(..) = %v, want ErrInvalidBucket", err)
	}
	if err := s.ValidateKey("a/.logs-1-x"); err != nil {
		t.Errorf("ValidateKey(a/.logs-1-x) = %v", err)
	}
	// An inner store without rules of its own takes any key.
	if err := NewStore(struct{ objstore.Store }{local}, newKeyring(t)).ValidateKey("a/../b"); err != nil {
		t.Errorf("ValidateKey through a store without rules = %v", err)
	}
}

// listCounter counts the List calls made to the store it wraps, which
// pages with its ListPage.
type listCounter struct {
	*objstore.Local
	lists int
}

func (l *listCounter) List(ctx context.Context, bucket, prefix string) ([]objstore.ObjectInfo, error) {
	l.lists++
	return l.Local.List(ctx, bucket, prefix)
}

// TestStoreListPageForwards checks that a page through Store is the inner
// store's page, not a whole List sliced.
func TestStoreListPageForwards(t *testing.T) {
	ctx := t.Context()
	local, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })
	inner := &listCounter{Local: local}
	s := NewStore(inner, newKeyring(t))
	for _, k := range []string{"p/a", "p/b", "p/c"} {
		if err := s.Put(ctx, "b", k, []byte(k), objstore.PutOptions{SSEKMSKeyID: testARN}); err != nil {
			t.Fatal(err)
		}
	}
	got, more, err := s.ListPage(ctx, "b", "p/", "p/a", 1)
	if err != nil || len(got) != 1 || got[0].Key != "p/b" || !more {
		t.Fatalf("ListPage = %+v, %v, %v; want p/b and more", got, more, err)
	}
	if inner.lists != 0 {
		t.Errorf("%d List calls, want the inner store's ListPage only", inner.lists)
	}
}
