package auth

import (
	"fmt"

	"github.com/wasmhose/wasmhose/host/apierror"
)

// Principal is what the Authorizer knows about an access key.
type Principal struct {
	// AccessKeyID is the key, as the Verifier returns it.
	AccessKeyID string
	// Name is the IAM user name shown in AccessDenied messages
	// (arn:aws:iam::<account>:user/<Name>); empty shows the access key ID.
	Name string
	// Policy decides what the key may do. Nil gives the key full access,
	// as a key without a policy had before policies existed.
	Policy *Policy
}

// Authorizer decides, per access key, whether an action on some resources
// is allowed, and answers a refusal with AWS's AccessDeniedException. It is
// generic: actions are "service:Operation" strings and resources ARNs, so
// the Firehose operations and any other service on the same listener (Glue
// operations, for example) share it. It is immutable and safe for
// concurrent use.
type Authorizer struct {
	region, account string
	principals      map[string]Principal
}

// NewAuthorizer returns an Authorizer for the principals; region and
// account go into the ARNs it builds and the messages it writes. It fails
// when an access key appears twice or is empty.
func NewAuthorizer(region, account string, principals []Principal) (*Authorizer, error) {
	a := &Authorizer{region: region, account: account, principals: make(map[string]Principal, len(principals))}
	for i, p := range principals {
		if p.AccessKeyID == "" {
			return nil, fmt.Errorf("auth: principal %d: empty access key ID", i)
		}
		if _, dup := a.principals[p.AccessKeyID]; dup {
			return nil, fmt.Errorf("auth: principal %d: access key ID %q appears twice", i, p.AccessKeyID)
		}
		a.principals[p.AccessKeyID] = p
	}
	return a, nil
}

// ARN returns arn:aws:<service>:<region>:<account>:<resource>, for example
// ARN("firehose", "deliverystream/clicks") or ARN("glue", "table/db/t").
func (a *Authorizer) ARN(service, resource string) string {
	return "arn:aws:" + service + ":" + a.region + ":" + a.account + ":" + resource
}

// Authorize returns nil when the key accessKeyID may perform action on
// every one of resources (none means "*"), and otherwise an
// AccessDeniedException (HTTP 400) naming the first resource refused, in
// AWS's words:
//
//	User: arn:aws:iam::000000000000:user/producer is not authorized to perform: firehose:DeleteDeliveryStream on resource: arn:aws:firehose:us-east-1:000000000000:deliverystream/clicks because no identity-based policy allows the firehose:DeleteDeliveryStream action
//
// or "... with an explicit deny in an identity-based policy" when a Deny
// statement matched. An unknown key is refused.
func (a *Authorizer) Authorize(accessKeyID, action string, resources ...string) error {
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	p, known := a.principals[accessKeyID]
	for _, r := range resources {
		d := ImplicitDeny
		switch {
		case !known:
		case p.Policy == nil:
			d = Allow
		default:
			d = p.Policy.Evaluate(action, r)
		}
		if d != Allow {
			return a.denied(accessKeyID, p.Name, action, r, d)
		}
	}
	return nil
}

func (a *Authorizer) denied(id, name, action, resource string, d Decision) error {
	if name == "" {
		name = id
	}
	why := "because no identity-based policy allows the " + action + " action"
	if d == ExplicitDeny {
		why = "with an explicit deny in an identity-based policy"
	}
	return apierror.New(apierror.TypeAccessDenied, "User: arn:aws:iam::%s:user/%s is not authorized to perform: %s on resource: %s %s",
		a.account, name, action, resource, why)
}
