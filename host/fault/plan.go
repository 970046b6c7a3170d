package fault

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Operation names a Rule matches.
const (
	// OpPut, OpGet, OpList and OpPing are the object store's calls.
	OpPut  = "put"
	OpGet  = "get"
	OpList = "list"
	OpPing = "ping"
	// OpOpen, OpWrite, OpSync, OpTruncate and OpClose are file calls made
	// through FS.
	OpOpen     = "open"
	OpWrite    = "write"
	OpSync     = "sync"
	OpTruncate = "truncate"
	OpClose    = "close"
)

// Rule is one fault. A rule matches the calls of Op whose name (the
// object's bucket/key, or the file's path) contains Name, numbers the calls
// it matches from 1 in the order they arrive, skips the first Skip of them
// and acts on the next Times (every later one when Times is 0).
type Rule struct {
	// Op is the operation the rule matches (OpPut, OpWrite, ...); empty
	// matches every operation.
	Op string
	// Name, when not empty, restricts the rule to calls whose object name
	// or file path contains it.
	Name string
	// Skip is how many matching calls pass before the rule acts: Skip 2,
	// Times 1 fails the third call.
	Skip int
	// Times is how many matching calls the rule acts on after Skip; 0 means
	// every one until the rule is removed.
	Times int
	// Delay is waited before the call (cut short when its context ends).
	Delay time.Duration
	// Err is the failure returned; nil with a Delay only slows the call.
	Err error
	// Partial, for writes, is how many bytes of the data are written before
	// Err is returned: a short write. Ignored for other calls.
	Partial int
	// Commit makes the call take effect before Err is returned: the object
	// is stored, the data written, and the caller still sees a failure, as
	// when a response is lost. Ignored when Err is nil.
	Commit bool
}

// Action is what a Plan decided for one call.
type Action struct {
	// Delay is waited before the call.
	Delay time.Duration
	// Err is returned instead of (or, with Commit, after) the call.
	Err error
	// Partial is Rule.Partial of the rule that fired.
	Partial int
	// Commit is Rule.Commit of the rule that fired.
	Commit bool
}

// rule is a Rule added to a plan, with its count of matching calls.
type rule struct {
	Rule
	seen int
}

// Plan is a set of rules and the counts of the calls they saw. The zero
// value is not usable; call NewPlan.
type Plan struct {
	mu       sync.Mutex
	rules    []*rule
	calls    map[string]int
	injected map[string]int
}

// NewPlan returns a plan holding rules.
func NewPlan(rules ...Rule) *Plan {
	p := &Plan{calls: map[string]int{}, injected: map[string]int{}}
	for _, r := range rules {
		p.Add(r)
	}
	return p
}

// Add adds a rule, which counts calls from now on, and returns a function
// that removes it: an outage that ends when the test says so.
func (p *Plan) Add(r Rule) (remove func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rr := &rule{Rule: r}
	p.rules = append(p.rules, rr)
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, x := range p.rules {
			if x == rr {
				p.rules = append(p.rules[:i], p.rules[i+1:]...)
				return
			}
		}
	}
}

// Decide counts one call of op on name and returns what the first rule
// that acts on it asks for (the zero Action when none does). Every
// matching rule counts the call, acting or not.
func (p *Plan) Decide(op, name string) Action {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	var act Action
	fired := false
	for _, r := range p.rules {
		if r.Op != "" && r.Op != op || !strings.Contains(name, r.Name) {
			continue
		}
		r.seen++
		if fired || r.seen <= r.Skip || r.Times > 0 && r.seen > r.Skip+r.Times {
			continue
		}
		fired = true
		act = Action{Delay: r.Delay, Err: r.Err, Partial: r.Partial, Commit: r.Commit}
	}
	if act.Err != nil {
		p.injected[op]++
	}
	return act
}

// Calls returns how many calls of op the plan has seen.
func (p *Plan) Calls(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// Injected returns how many calls of op the plan has failed.
func (p *Plan) Injected(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[op]
}

// wait sleeps d or until ctx ends, and returns ctx's error if it ended.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
