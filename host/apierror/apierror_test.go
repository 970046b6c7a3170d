package apierror

import (
	"errors"
	"fmt"
	"testing"
)

func TestViolations(t *testing.T) {
	tests := []struct {
		name string
		add  func(v *Violations)
		exp  string
	}{
		{"none", func(v *Violations) {}, ""},
		{"one", func(v *Violations) {
			v.Add("deliveryStreamName", "x", true, "Member must have length less than or equal to 64")
		}, "ValidationException: 1 validation error detected: Value 'x' at 'deliveryStreamName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"two, one without value", func(v *Violations) {
			v.Add("records.1.member.data", "", false, "Member must not be null")
			v.Add("limit", "0", true, "Member must have value greater than or equal to 1")
		}, "ValidationException: 2 validation errors detected: Value at 'records.1.member.data' failed to satisfy constraint: Member must not be null; Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Violations
			tt.add(&v)
			err := v.Err()
			if tt.exp == "" {
				if err != nil {
					t.Fatalf("want nil, got %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.exp {
				t.Fatalf("got  %v\nwant %s", err, tt.exp)
			}
		})
	}
}

func TestStatusAndAs(t *testing.T) {
	tests := []struct {
		err    error
		typ    string
		status int
	}{
		{ServiceUnavailable("Slow down."), TypeServiceUnavailable, 503},
		{ResourceNotFound("x"), TypeResourceNotFound, 400},
		{fmt.Errorf("wrapped: %w", InvalidArgument("bad")), TypeInvalidArgument, 400},
		{errors.New("disk on fire"), TypeInternalFailure, 500},
	}
	for _, tt := range tests {
		e := As(tt.err)
		if e.Type != tt.typ || e.Status != tt.status {
			t.Errorf("%v: got %s %d, want %s %d", tt.err, e.Type, e.Status, tt.typ, tt.status)
		}
	}
	if !errors.Is(fmt.Errorf("w: %w", ResourceNotFound("a")), ResourceNotFound("b")) {
		t.Error("errors.Is should match by type")
	}
}
