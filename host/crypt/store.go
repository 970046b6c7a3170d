package crypt

import (
	"context"

	"github.com/wasmhose/wasmhose/host/objstore"
)

// Store is an objstore.Store that gives a store without server-side
// encryption (the local folder) what SSE-KMS gives S3: Put of an object
// whose PutOptions name a KMS key (SSEKMSKeyID) stores it in the envelope
// format under that key's keyring entry, and Get returns the plaintext of
// encrypted objects, as S3 decrypts SSE-KMS objects on GET.
//
// # Notes
//
//   - Objects without SSEKMSKeyID are stored as they are.
//   - List reports the stored sizes, which for encrypted objects include
//     the envelope's header and tags.
//   - Get recognises an encrypted object by its magic (see [Magic]); a
//     plain object that begins with those 8 bytes cannot be read back
//     through Store (read it from the inner store).
type Store struct {
	next objstore.Store
	keys *Keyring
}

// Interface guards.
var (
	_ objstore.Store     = (*Store)(nil)
	_ objstore.Validator = (*Store)(nil)
	_ objstore.Pager     = (*Store)(nil)
)

// NewStore returns next with envelope encryption under the keys of k.
func NewStore(next objstore.Store, k *Keyring) *Store { return &Store{next: next, keys: k} }

// Put encrypts body when o.SSEKMSKeyID is set, then stores it.
func (s *Store) Put(ctx context.Context, bucket, key string, body []byte, o objstore.PutOptions) error {
	if o.SSEKMSKeyID != "" {
		enc, err := Encrypt(s.keys, o.SSEKMSKeyID, body)
		if err != nil {
			return &objstore.Error{Op: "put", Bucket: bucket, Key: key, Err: err}
		}
		body = enc
	}
	return s.next.Put(ctx, bucket, key, body, o)
}

// Get returns the object, decrypted if it is encrypted. An object that
// fails to decrypt is an error: no partial plaintext is returned.
func (s *Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	b, err := s.next.Get(ctx, bucket, key)
	if err != nil || !IsEncrypted(b) {
		return b, err
	}
	plain, err := Decrypt(s.keys, b)
	if err != nil {
		return nil, &objstore.Error{Op: "get", Bucket: bucket, Key: key, Err: err}
	}
	return plain, nil
}

// List lists the inner store.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]objstore.ObjectInfo, error) {
	return s.next.List(ctx, bucket, prefix)
}

// ListPage implements objstore.Pager with the inner store's ListPage (see
// objstore.ListPage), so that wrapping a store does not turn a page into a
// whole listing.
func (s *Store) ListPage(ctx context.Context, bucket, prefix, startAfter string, maxKeys int) ([]objstore.ObjectInfo, bool, error) {
	return objstore.ListPage(ctx, s.next, bucket, prefix, startAfter, maxKeys)
}

// ValidateBucket implements objstore.Validator with the inner store's
// rules, if it has any.
func (s *Store) ValidateBucket(bucket string) error {
	if v, ok := s.next.(objstore.Validator); ok {
		return v.ValidateBucket(bucket)
	}
	return nil
}

// ValidateKey implements objstore.Validator with the inner store's rules,
// if it has any.
func (s *Store) ValidateKey(key string) error {
	if v, ok := s.next.(objstore.Validator); ok {
		return v.ValidateKey(key)
	}
	return nil
}

// Ping pings the inner store.
func (s *Store) Ping(ctx context.Context, bucket string) error { return s.next.Ping(ctx, bucket) }
