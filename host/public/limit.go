package public

import (
	"math"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxClients bounds the clients one route's limiter tracks at once.
const maxClients = 100_000

// sweepEvery is how often idle clients are forgotten.
const sweepEvery = time.Minute

// limiter is a token bucket per client of one route.
type limiter struct {
	perSecond rate.Limit
	burst     int
	refill    time.Duration // time for an empty bucket to fill

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{
		perSecond: rate.Limit(perSecond),
		burst:     burst,
		refill:    time.Duration(float64(burst) / perSecond * float64(time.Second)),
		clients:   map[string]*client{},
	}
}

// allow takes a token for key at now, or says how long to wait for one.
func (l *limiter) allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.sweep(now)
	}
	c := l.clients[key]
	if c == nil {
		if len(l.clients) >= maxClients {
			l.sweep(now)
			if len(l.clients) >= maxClients {
				return false, sweepEvery
			}
		}
		c = &client{lim: rate.NewLimiter(l.perSecond, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	if c.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - c.lim.TokensAt(now)
	wait := time.Duration(math.Ceil(missing / float64(l.perSecond) * float64(time.Second)))
	return false, max(wait, time.Second)
}

// sweep forgets the clients whose bucket has refilled since they were
// last seen: a fresh bucket is the same as theirs, so nothing is lost.
func (l *limiter) sweep(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) > l.refill {
			delete(l.clients, k)
		}
	}
	l.lastSweep = now
}

// clientKey is the rate-limit key of a peer address: its IP, or its /64
// for IPv6, where one client commonly holds a whole /64.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, err := ip.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return ip.String()
}
