package api

import (
	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/stream"
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

// firehoseOp is one Firehose operation: it decodes the body into the
// operation's input, authorizes the resource that input names, and runs
// the handler on that same input.
type firehoseOp func(s *Server, c echo.Context, op string, body []byte, info *callInfo) (any, error)

// bodyDecoder is an input that decodes itself (PutRecordBatch's fast path);
// other inputs go through decode.
type bodyDecoder interface {
	decodeBody(body []byte) error
}

// onStream builds a Firehose operation acting on the stream that
// streamOf reads from its input: action firehose:<op> on
// arn:aws:firehose:<region>:<account>:deliverystream/<name>. The body is
// decoded once, and the handler receives the very value the name was read
// from, so the stream authorized is the stream acted on.
func onStream[In any](streamOf func(*In) string, run func(*Server, echo.Context, *In, *callInfo) (any, error)) firehoseOp {
	return func(s *Server, c echo.Context, op string, body []byte, info *callInfo) (any, error) {
		in, err := decodeInput[In](body)
		if err != nil {
			return nil, err
		}
		if s.authz != nil {
			if err := s.authorize(c, "firehose:"+op, s.authz.ARN("firehose", "deliverystream/"+streamOf(in))); err != nil {
				return nil, err
			}
		}
		return run(s, c, in, info)
	}
}

// onAll builds a Firehose operation acting on no one stream
// (ListDeliveryStreams): action firehose:<op> on "*".
func onAll[In any](run func(*Server, echo.Context, *In, *callInfo) (any, error)) firehoseOp {
	return func(s *Server, c echo.Context, op string, body []byte, info *callInfo) (any, error) {
		in, err := decodeInput[In](body)
		if err != nil {
			return nil, err
		}
		if err := s.authorize(c, "firehose:"+op, "*"); err != nil {
			return nil, err
		}
		return run(s, c, in, info)
	}
}

func decodeInput[In any](body []byte) (*In, error) {
	in := new(In)
	if d, ok := any(in).(bodyDecoder); ok {
		return in, d.decodeBody(body)
	}
	return in, decode(body, in)
}

// firehoseOps returns the Firehose operations by name.
func firehoseOps() map[string]firehoseOp {
	return map[string]firehoseOp{
		"CreateDeliveryStream":      onStream(func(in *stream.CreateInput) string { return in.DeliveryStreamName }, (*Server).create),
		"DescribeDeliveryStream":    onStream(func(in *describeInput) string { return deref(in.DeliveryStreamName) }, (*Server).describe),
		"ListDeliveryStreams":       onAll((*Server).list),
		"DeleteDeliveryStream":      onStream(func(in *deleteInput) string { return deref(in.DeliveryStreamName) }, (*Server).delete),
		"UpdateDestination":         onStream(func(in *stream.UpdateInput) string { return in.DeliveryStreamName }, (*Server).update),
		"PutRecord":                 onStream(func(in *putRecordInput) string { return deref(in.DeliveryStreamName) }, (*Server).putRecord),
		"PutRecordBatch":            onStream(func(in *putRecordBatchInput) string { return deref(in.DeliveryStreamName) }, (*Server).putRecordBatch),
		"TagDeliveryStream":         onStream(func(in *tagInput) string { return in.DeliveryStreamName }, (*Server).tag),
		"UntagDeliveryStream":       onStream(func(in *untagInput) string { return in.DeliveryStreamName }, (*Server).untag),
		"ListTagsForDeliveryStream": onStream(func(in *listTagsInput) string { return deref(in.DeliveryStreamName) }, (*Server).listTags),

		// Server-side stream encryption (encryption.go).
		"StartDeliveryStreamEncryption": onStream(func(in *startEncryptionInput) string { return deref(in.DeliveryStreamName) }, (*Server).startEncryption),
		"StopDeliveryStreamEncryption":  onStream(func(in *stopEncryptionInput) string { return deref(in.DeliveryStreamName) }, (*Server).stopEncryption),
	}
}
