package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// Target is another AWS JSON 1.1 service answered on the Firehose listener
// (POST /), chosen by its X-Amz-Target prefix: the Glue Data Catalog of
// converters/schema is one. The server reads and bounds the body, checks
// the signature (with the Service's own Authenticator), calls Call, and
// writes the answer as application/x-amz-json-1.1.
type Target interface {
	// TargetPrefix is the X-Amz-Target prefix, dot included ("AWSGlue.").
	TargetPrefix() string
	// Call runs op (the X-Amz-Target after the prefix) on the body and
	// returns the value to answer as JSON. An error that has an
	// ErrorShape and an ErrorMessage method is answered with that shape, status and message;
	// any other is an InternalFailure, logged.
	Call(ctx context.Context, op string, body []byte) (any, error)
	// Action returns the IAM action (for example glue:CreateTable) and the
	// resource ARNs of a request, for access policies.
	Action(op string, body []byte) (action string, resources []string)
}

// Service is a Target and how its requests are authenticated.
type Service struct {
	// Target answers the requests.
	Target Target
	// Auth verifies their signatures. SigV4 scopes a signature to one
	// service, so a Glue request needs a verifier for "glue". When
	// Options.Auth is set, Auth must be too; nil with Options.Auth nil
	// accepts any request.
	Auth Authenticator
}

// shapedError is an error that names its own AWS error shape, as the
// errors of a Target do (the host's apierror is not importable there).
type shapedError interface {
	error
	// ErrorShape returns the shape name ("__type") and the HTTP status.
	ErrorShape() (typ string, status int)
	// ErrorMessage returns the message alone.
	ErrorMessage() string
}

// target returns the Service whose prefix starts an X-Amz-Target, and the
// operation after it.
func (s *Server) target(xAmzTarget string) (Service, string, bool) {
	for _, svc := range s.services {
		if op, ok := strings.CutPrefix(xAmzTarget, svc.Target.TargetPrefix()); ok {
			return svc, op, true
		}
	}
	return Service{}, "", false
}

// authFor returns the Authenticator for a request: a Service's own for its
// targets, the Firehose one (def) for everything else.
func (s *Server) authFor(c echo.Context, def Authenticator) Authenticator {
	if svc, _, ok := s.target(c.Request().Header.Get("X-Amz-Target")); ok {
		if svc.Auth == nil {
			return def
		}
		return svc.Auth
	}
	return def
}

// dispatchTarget answers a request for a Service's operation.
func (s *Server) dispatchTarget(c echo.Context, svc Service, op string) error {
	body, err := requestBody(c)
	if err != nil {
		return s.writeError(c, err)
	}
	start := time.Now()
	var out any
	if s.authz != nil {
		action, resources := svc.Target.Action(op, body)
		err = s.authorize(c, action, resources...)
	}
	if err == nil {
		out, err = svc.Target.Call(c.Request().Context(), op, body)
	}
	unknownOp := false
	if err != nil {
		var se shapedError
		if errors.As(err, &se) {
			typ, status := se.ErrorShape()
			unknownOp = typ == apierror.TypeUnknownOperation
			err = &apierror.Error{Type: typ, Status: status, Message: se.ErrorMessage()}
		}
		err = s.writeError(c, err)
	} else {
		if out == nil {
			out = struct{}{}
		}
		err = writeJSON(c, http.StatusOK, out)
	}
	// Unknown operations are not observed, as on the Firehose path: their
	// names are the client's and would make metric labels unbounded.
	if s.obs != nil && !unknownOp {
		s.obs.ObserveRequest(svc.Target.TargetPrefix()+op, "", c.Response().Status, time.Since(start), 0, 0, 0)
	}
	return err
}
