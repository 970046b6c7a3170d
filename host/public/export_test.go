package public

// ClientsOf is the number of clients the route's rate limiter tracks.
func ClientsOf(h *Handler, path string) int {
	l := h.routes[path].limit
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// ClientKey exposes clientKey.
func ClientKey(remoteAddr string) string { return clientKey(remoteAddr) }

// DuplicateKey exposes duplicateKey.
func DuplicateKey(doc []byte) (string, bool, error) { return duplicateKey(doc) }
