package api

import (
	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/stream"
)

type startEncryptionInput struct {
	DeliveryStreamName                         *string
	DeliveryStreamEncryptionConfigurationInput *stream.EncryptionConfigurationInput
}

func (s *Server) startEncryption(c echo.Context, in *startEncryptionInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	info.stream = *in.DeliveryStreamName
	return nil, s.b.StartEncryption(c.Request().Context(), &stream.StartEncryptionInput{
		DeliveryStreamName:                         *in.DeliveryStreamName,
		DeliveryStreamEncryptionConfigurationInput: in.DeliveryStreamEncryptionConfigurationInput,
	})
}

type stopEncryptionInput struct {
	DeliveryStreamName *string
}

func (s *Server) stopEncryption(c echo.Context, in *stopEncryptionInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	info.stream = *in.DeliveryStreamName
	return nil, s.b.StopEncryption(c.Request().Context(), *in.DeliveryStreamName)
}
