package service_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/crypt"
	"github.com/wasmhose/wasmhose/host/service"
	"github.com/wasmhose/wasmhose/host/stream"
)

const testKeyARN = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// walBytes returns the bytes of every log segment of every stream.
func walBytes(t *testing.T, e *env) []byte {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(e.dir, "wal", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, d := range dirs {
		segs, _ := filepath.Glob(filepath.Join(d, "*.wal"))
		for _, s := range segs {
			b, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
	}
	return all
}

// encryption returns the stream's DeliveryStreamEncryptionConfiguration.
func encryption(t *testing.T, svc *service.Service, name string) stream.EncryptionDescription {
	t.Helper()
	d, err := svc.Describe(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return *d.DeliveryStreamEncryptionConfiguration
}

// put puts one record and returns the Encrypted flag of the answer.
func put(t *testing.T, svc *service.Service, name, rec string) bool {
	t.Helper()
	_, enc, err := svc.Put(context.Background(), name, [][]byte{[]byte(rec)})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestStreamEncryptionLifecycle: Start goes ENABLING → ENABLED, and from
// then on Put answers Encrypted and the log holds no plaintext; Stop goes
// DISABLING → DISABLED and plaintext returns. Every record is delivered.
func TestStreamEncryptionLifecycle(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("enc", nil))
	if got := encryption(t, svc, "enc"); got.Status != stream.EncryptionDisabled || got.KeyARN != nil {
		t.Fatalf("new stream's encryption %+v", got)
	}
	before := "plain-before-0123456789\n"
	if put(t, svc, "enc", before) {
		t.Fatal("Put answered Encrypted before encryption was started")
	}

	err := svc.StartEncryption(context.Background(), &stream.StartEncryptionInput{DeliveryStreamName: "enc",
		DeliveryStreamEncryptionConfigurationInput: &stream.EncryptionConfigurationInput{KeyType: stream.KeyTypeCustomerManaged, KeyARN: stream.String(testKeyARN)}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	waitFor(t, "ENABLED", func() bool {
		st := encryption(t, svc, "enc").Status
		seen[st] = true
		return st == stream.EncryptionEnabled
	})
	for st := range seen {
		if st != stream.EncryptionEnabling && st != stream.EncryptionEnabled {
			t.Fatalf("status %s seen while enabling", st)
		}
	}
	got := encryption(t, svc, "enc")
	if got.KeyARN == nil || *got.KeyARN != testKeyARN || got.KeyType == nil || *got.KeyType != stream.KeyTypeCustomerManaged {
		t.Fatalf("enabled encryption %+v", got)
	}
	secret := "sealed-secret-9876543210\n"
	if !put(t, svc, "enc", secret) {
		t.Fatal("Put answered Encrypted false on an ENABLED stream")
	}
	raw := walBytes(t, e)
	if !bytes.Contains(raw, []byte(before)) || bytes.Contains(raw, []byte(secret)) {
		t.Fatalf("log holds the record before encryption: %v, the one after: %v; want true, false",
			bytes.Contains(raw, []byte(before)), bytes.Contains(raw, []byte(secret)))
	}
	// The keyring holds the key, created on first use.
	keys, err := crypt.OpenKeyring(filepath.Join(e.dir, crypt.DirName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Lookup(testKeyARN); err != nil {
		t.Fatalf("keyring: %v", err)
	}

	if err := svc.StopEncryption(context.Background(), "enc"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "DISABLED", func() bool { return encryption(t, svc, "enc").Status == stream.EncryptionDisabled })
	after := "plain-after-5555555555\n"
	if put(t, svc, "enc", after) {
		t.Fatal("Put answered Encrypted after encryption was stopped")
	}
	if raw := walBytes(t, e); !bytes.Contains(raw, []byte(after)) {
		t.Fatal("the record put after Stop is not in the log in the clear")
	}
	svc.FlushAll()
	want := []string{after, before, secret}
	waitFor(t, "the records delivered", func() bool { return len(e.records(t)) == 3 })
	if got := e.records(t); !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

// TestEncryptedLogReplay: sealed records left in the log by a stop are
// delivered by the next start with the same keyring; with another keyring
// the replay fails loudly (counted, nothing delivered) instead of
// delivering garbage.
func TestEncryptedLogReplay(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	in := input("sealed", nil)
	in.DeliveryStreamEncryptionConfigurationInput = &stream.EncryptionConfigurationInput{KeyType: stream.KeyTypeAWSOwned}
	create(t, svc, in)
	if got := encryption(t, svc, "sealed"); got.Status != stream.EncryptionEnabled || *got.KeyType != stream.KeyTypeAWSOwned || got.KeyARN != nil {
		t.Fatalf("created with encryption: %+v", got)
	}
	want := putLines(t, svc, "sealed", "secret", 20)
	slices.Sort(want)
	if bytes.Contains(walBytes(t, e), []byte("secret-1")) {
		t.Fatal("plaintext in the log of a stream created encrypted")
	}
	e.store.hold() // nothing is delivered before the stop
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_ = svc.Close(ctx)
	cancel()
	e.store.release()

	t.Run("wrong keyring", func(t *testing.T) {
		other, err := crypt.OpenKeyring(filepath.Join(t.TempDir(), crypt.DirName))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Key(crypt.AWSOwnedKeyARN); err != nil { // same ARN, other material
			t.Fatal(err)
		}
		svc2 := e.open(t, func(o *service.Options) { o.Keys = other })
		waitFor(t, "the replay failure counted", func() bool {
			st, err := svc2.StreamStats("sealed")
			return err == nil && st.LogReadFailures == 1
		})
		st, _ := svc2.StreamStats("sealed")
		if st.ReplayedRecords != 0 || st.Log.Unacked != 20 {
			t.Fatalf("stats %+v: want nothing replayed and 20 records kept", st)
		}
		svc2.FlushAll()
		if got := e.records(t); len(got) != 0 {
			t.Fatalf("delivered %q with the wrong key", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_ = svc2.Close(ctx)
		cancel()
	})
	t.Run("right keyring", func(t *testing.T) {
		svc3 := e.open(t, nil)
		waitFor(t, "the sealed records delivered", func() bool { return len(e.records(t)) == len(want) })
		if got := e.records(t); !slices.Equal(got, want) {
			t.Fatalf("delivered %q, want %q", got, want)
		}
		if !put(t, svc3, "sealed", "x\n") {
			t.Fatal("a reopened encrypted stream answers Encrypted false")
		}
	})
}

func TestStreamEncryptionErrors(t *testing.T) {
	e := newEnv(t)
	svc := e.open(t, nil)
	create(t, svc, input("s", nil))
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		call    func() error
		expType string
		expMsg  string
	}{
		{"start on a missing stream", func() error {
			return svc.StartEncryption(ctx, &stream.StartEncryptionInput{DeliveryStreamName: "nope"})
		}, apierror.TypeResourceNotFound, "nope"},
		{"stop on a missing stream", func() error { return svc.StopEncryption(ctx, "nope") }, apierror.TypeResourceNotFound, "nope"},
		{"bad key type", func() error {
			return svc.StartEncryption(ctx, &stream.StartEncryptionInput{DeliveryStreamName: "s",
				DeliveryStreamEncryptionConfigurationInput: &stream.EncryptionConfigurationInput{KeyType: "OWN"}})
		}, apierror.TypeValidation, "keyType"},
		{"customer key without ARN", func() error {
			return svc.StartEncryption(ctx, &stream.StartEncryptionInput{DeliveryStreamName: "s",
				DeliveryStreamEncryptionConfigurationInput: &stream.EncryptionConfigurationInput{KeyType: stream.KeyTypeCustomerManaged}})
		}, apierror.TypeInvalidArgument, "KeyARN is required"},
		{"customer key not a KMS ARN", func() error {
			return svc.StartEncryption(ctx, &stream.StartEncryptionInput{DeliveryStreamName: "s",
				DeliveryStreamEncryptionConfigurationInput: &stream.EncryptionConfigurationInput{KeyType: stream.KeyTypeCustomerManaged, KeyARN: stream.String("arn:aws:s3:::bucket")}})
		}, apierror.TypeInvalidArgument, "not a KMS key ARN"},
		{"create with an AWS owned key and an ARN", func() error {
			in := input("bad", nil)
			in.DeliveryStreamEncryptionConfigurationInput = &stream.EncryptionConfigurationInput{KeyType: stream.KeyTypeAWSOwned, KeyARN: stream.String(testKeyARN)}
			_, err := svc.Create(ctx, in)
			return err
		}, apierror.TypeInvalidArgument, "must not be specified"},
	} {
		t.Run(tt.name, func(t *testing.T) { checkErr(t, tt.call(), tt.expType, tt.expMsg) })
	}
	// Stopping a stream that is not encrypted does nothing.
	if err := svc.StopEncryption(ctx, "s"); err != nil || encryption(t, svc, "s").Status != stream.EncryptionDisabled {
		t.Fatalf("Stop of an unencrypted stream: %v", err)
	}
}
