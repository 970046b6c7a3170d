package service

import (
	"context"
	"fmt"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/crypt"
	"github.com/wasmhose/wasmhose/host/stream"
	"github.com/wasmhose/wasmhose/host/wal"
)

// Server-side stream encryption (StartDeliveryStreamEncryption): while a
// stream's encryption is ENABLED, its write-ahead log seals every frame
// with a key of the keyring (Options.Keys), the local stand-in for KMS; a
// customer managed key is the keyring entry of its KeyARN, the AWS owned
// key the entry crypt.AWSOwnedKeyARN. Frames written before stay as they
// were, and replay opens sealed frames with any key the keyring holds.
//
// Start and Stop answer at once with the stream ENABLING or DISABLING; a
// background step switches the log's sealer, while no Put is in flight on
// the stream (entry.enc), and records ENABLED or DISABLED. Puts therefore
// answer Encrypted exactly as their records were written.

// keyARN returns the keyring entry of an encryption configuration.
func keyARN(e *stream.EncryptionConfigurationInput) string {
	if e.KeyType == stream.KeyTypeCustomerManaged && e.KeyARN != nil {
		return *e.KeyARN
	}
	return crypt.AWSOwnedKeyARN
}

// logOptions returns the write-ahead log options of s: the service's, with
// the keyring's opener, and a sealer when s's encryption is on.
func (svc *Service) logOptions(s *stream.Stream) (wal.Options, error) {
	o := svc.opts.Log
	o.Opener = svc.opener
	if s.Encryption != nil && sealing(s.EncryptionState()) {
		sealer, err := svc.opts.Keys.FrameSealer(keyARN(s.Encryption))
		if err != nil {
			return o, fmt.Errorf("stream %s: encryption key: %w", s.Name, err)
		}
		o.Sealer = sealer
	}
	return o, nil
}

// sealing reports whether a stream in encryption state st writes sealed
// frames when its pipeline opens.
func sealing(st string) bool {
	switch st {
	case stream.EncryptionEnabled, stream.EncryptionEnabling, stream.EncryptionEnablingFailed:
		return true
	}
	return false
}

// settleEncryption finishes, for a stream loaded at start-up, an encryption
// change that a stop interrupted: ENABLING becomes ENABLED (the pipeline
// opens sealing), DISABLING becomes DISABLED. It reports whether s changed.
// ENABLING_FAILED keeps its status, and the pipeline tries its key again
// (the key failed to load, not to open anything); if the key still cannot
// be loaded the stream does not open.
func settleEncryption(s *stream.Stream) bool {
	switch s.EncryptionState() {
	case stream.EncryptionEnabling:
		s.EncryptionStatus = stream.EncryptionEnabled
		return true
	case stream.EncryptionDisabling, stream.EncryptionDisablingFailed:
		s.Encryption, s.EncryptionStatus, s.EncryptionFailure = nil, "", nil
		return true
	}
	return false
}

// StartEncryption implements StartDeliveryStreamEncryption: the stream goes
// ENABLING, then ENABLED once its log seals new frames with the key (or
// ENABLING_FAILED, keeping what it did before, when the key cannot be
// loaded). Calling it again with another key changes the key.
func (svc *Service) StartEncryption(ctx context.Context, in *stream.StartEncryptionInput) error {
	cfg, err := stream.ValidateStartEncryption(in)
	if err != nil {
		return err
	}
	return svc.changeEncryption(in.DeliveryStreamName, &cfg)
}

// StopEncryption implements StopDeliveryStreamEncryption: the stream goes
// DISABLING, then DISABLED once its log writes frames in the clear. Frames
// already sealed stay sealed until they are delivered.
func (svc *Service) StopEncryption(ctx context.Context, name string) error {
	if err := stream.CheckStreamName(name); err != nil {
		return err
	}
	return svc.changeEncryption(name, nil)
}

// changeEncryption starts switching a stream's encryption to cfg (nil:
// off) and finishes it in the background.
func (svc *Service) changeEncryption(name string, cfg *stream.EncryptionConfigurationInput) error {
	e, err := svc.lookupForChange(name)
	if err != nil {
		return err
	}
	cur, pipe := svc.current(e)
	if cur.Status != stream.StatusActive || pipe == nil {
		e.mod.Unlock()
		return apierror.ResourceInUse("Firehose %s is not in the ACTIVE state (it is %s).", name, cur.Status)
	}
	if st := cur.EncryptionState(); st == stream.EncryptionEnabling || st == stream.EncryptionDisabling {
		e.mod.Unlock()
		return apierror.ResourceInUse("Firehose %s is in the %s encryption state; try again when it is done.", name, st)
	}
	if cfg == nil && cur.Encryption == nil {
		e.mod.Unlock()
		return nil // already DISABLED
	}
	cur.EncryptionFailure = nil
	if cfg != nil {
		cur.Encryption, cur.EncryptionStatus = cfg, stream.EncryptionEnabling
	} else {
		cur.EncryptionStatus = stream.EncryptionDisabling
	}
	if err := svc.commit(e, cur); err != nil {
		e.mod.Unlock()
		return err
	}
	svc.mu.Lock()
	if svc.closing {
		// Finished at the next start (settleEncryption).
		svc.mu.Unlock()
		e.mod.Unlock()
		return nil
	}
	svc.bg.Add(1)
	svc.mu.Unlock()
	go func() {
		defer svc.bg.Done()
		defer e.mod.Unlock()
		svc.switchSealer(e, cfg)
	}()
	return nil
}

// switchSealer makes the stream's log seal with cfg's key (nil: stop
// sealing) and records the outcome. The caller holds e.mod.
func (svc *Service) switchSealer(e *entry, cfg *stream.EncryptionConfigurationInput) {
	var sealer wal.Sealer // nil: frames in the clear
	var failure error
	if cfg != nil {
		s, err := svc.opts.Keys.FrameSealer(keyARN(cfg))
		if err != nil {
			failure = err
		} else {
			sealer = s
		}
	}
	cur, pipe := svc.current(e)
	switch {
	case pipe == nil:
		return // the stream is being deleted or the service closed
	case failure != nil:
		svc.opts.Logger.Error("stream encryption could not be enabled", "stream", cur.Name, "err", failure)
		cur.EncryptionStatus = stream.EncryptionEnablingFailed
		cur.EncryptionFailure = &stream.FailureDescription{Type: "UNKNOWN_ERROR", Details: failure.Error()}
	default:
		e.enc.Lock() // no Put in flight: each answers Encrypted as it was written
		pipe.SetSealer(sealer)
		e.enc.Unlock()
		if cfg != nil {
			cur.EncryptionStatus = stream.EncryptionEnabled
			svc.opts.Logger.Info("stream encryption enabled", "stream", cur.Name, "keyType", cfg.KeyType, "keyID", crypt.KeyID(keyARN(cfg)))
		} else {
			cur.Encryption, cur.EncryptionStatus = nil, ""
			svc.opts.Logger.Info("stream encryption disabled", "stream", cur.Name)
		}
	}
	if err := svc.commit(e, cur); err != nil {
		svc.opts.Logger.Warn("cannot record the stream's encryption status", "stream", cur.Name, "err", err)
	}
}
