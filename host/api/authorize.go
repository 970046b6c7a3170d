package api

import (
	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// Authorizer decides whether the access key that signed a request may
// perform an action ("firehose:PutRecord", "glue:CreateTable", ...) on
// resources (ARNs, or "*"). An error should be an AccessDeniedException
// (*apierror.Error). *auth.Authorizer implements it.
type Authorizer interface {
	// Authorize returns nil when accessKeyID may perform action on every
	// resource.
	Authorize(accessKeyID, action string, resources ...string) error
	// ARN returns arn:aws:<service>:<region>:<account>:<resource>.
	ARN(service, resource string) string
}

// principalKey is where the authenticate middleware keeps the access key
// a request was signed with, in the echo context.
const principalKey = "wasmhose.principal"

// authorize is the hook every operation passes before it runs: it asks the
// Authorizer whether the request's signer may perform action on resources.
// Without an Authorizer everything is allowed; with one, a request that
// was not authenticated is refused (fail closed).
func (s *Server) authorize(c echo.Context, action string, resources ...string) error {
	if s.authz == nil {
		return nil
	}
	id, ok := c.Get(principalKey).(string)
	if !ok || id == "" {
		return apierror.New(apierror.TypeAccessDenied, "The request is not authenticated, so no policy can allow %s.", action)
	}
	return s.authz.Authorize(id, action, resources...)
}

// authorizeFirehose authorizes Firehose operation op: action
// firehose:<op> on the stream the body names,
// arn:aws:firehose:<region>:<account>:deliverystream/<name>, or on "*" for
// ListDeliveryStreams. The name is read with the handlers' own decoder, so
// the stream authorized is the stream acted on; a body that cannot be
// decoded is refused here with the error its handler would give.
func (s *Server) authorizeFirehose(c echo.Context, op string, body []byte) error {
	if s.authz == nil {
		return nil
	}
	action := "firehose:" + op
	if op == "ListDeliveryStreams" {
		return s.authorize(c, action, "*")
	}
	var in struct{ DeliveryStreamName *string }
	if err := decode(body, &in); err != nil {
		return err
	}
	name := ""
	if in.DeliveryStreamName != nil {
		name = *in.DeliveryStreamName
	}
	return s.authorize(c, action, s.authz.ARN("firehose", "deliverystream/"+name))
}
