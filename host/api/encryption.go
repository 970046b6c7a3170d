package api

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/stream"
)

// EncryptionBackend is the part of a Backend that runs server-side stream
// encryption. A Backend without it answers StartDeliveryStreamEncryption
// and StopDeliveryStreamEncryption with InvalidArgumentException.
type EncryptionBackend interface {
	// StartEncryption implements StartDeliveryStreamEncryption.
	StartEncryption(ctx context.Context, in *stream.StartEncryptionInput) error
	// StopEncryption implements StopDeliveryStreamEncryption.
	StopEncryption(ctx context.Context, name string) error
}

type startEncryptionInput struct {
	DeliveryStreamName                         *string
	DeliveryStreamEncryptionConfigurationInput *stream.EncryptionConfigurationInput
}

func (s *Server) startEncryption(c echo.Context, body []byte, info *callInfo) (any, error) {
	var in startEncryptionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	info.stream = *in.DeliveryStreamName
	eb, ok := s.b.(EncryptionBackend)
	if !ok {
		return nil, apierror.InvalidArgument("StartDeliveryStreamEncryption is not available in this wasmhose build")
	}
	return nil, eb.StartEncryption(c.Request().Context(), &stream.StartEncryptionInput{
		DeliveryStreamName:                         *in.DeliveryStreamName,
		DeliveryStreamEncryptionConfigurationInput: in.DeliveryStreamEncryptionConfigurationInput,
	})
}

type stopEncryptionInput struct {
	DeliveryStreamName *string
}

func (s *Server) stopEncryption(c echo.Context, body []byte, info *callInfo) (any, error) {
	var in stopEncryptionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	info.stream = *in.DeliveryStreamName
	eb, ok := s.b.(EncryptionBackend)
	if !ok {
		return nil, apierror.InvalidArgument("StopDeliveryStreamEncryption is not available in this wasmhose build")
	}
	return nil, eb.StopEncryption(c.Request().Context(), *in.DeliveryStreamName)
}
