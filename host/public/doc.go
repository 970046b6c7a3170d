// Package public is the opt-in public endpoint: unsigned POST routes, one
// per delivery stream, that web pages call directly, in place of the API
// Gateway proxy of Firehose's click-event architecture.
//
// A request to a route goes through, in order:
//
//  1. the route lookup (404 for any other path) and the method (OPTIONS is
//     a CORS preflight, POST a record, anything else 405);
//  2. CORS: a preflight is answered only for a configured origin and for
//     POST; a POST carrying an Origin that is not configured is refused
//     (403), so a page elsewhere cannot post even where the browser would
//     not ask first;
//  3. the content type, which must be application/json (415), so that a
//     browser always sends a preflight first;
//  4. a token-bucket rate limit per client IP address (per /64 for IPv6)
//     and route (429 with Retry-After);
//  5. the body size limit (413);
//  6. the JSON Schema of the route (santhosh-tekuri/jsonschema/v6, formats
//     asserted): an invalid body gets 400 with the validation errors in
//     JSON Schema's "basic" output form, and nothing reaches the stream. A
//     body with a key twice in one object is refused first (400, naming
//     the key's JSON Pointer): the schema would see one of its values and
//     the stored record hold both;
//  7. the record: the route's Go text/template over the decoded body (with
//     a json function), or the body as compact JSON; then, if the route
//     names one, an installed transform plugin (one record in, one out);
//     then an optional newline;
//  8. the stream, through the same durable path as PutRecord (the record is
//     in the write-ahead log when the answer is sent), answering 200
//     {"RecordId": "..."}.
//
// Error answers are JSON, {"message": "...", "errors": [...]}, with CORS
// headers for an allowed origin so the page can read them. The handler
// exposes no management operation and no stream other than its routes'.
//
// # Notes
//
// The client address is the TCP peer's: behind a proxy or load balancer all
// clients share its address and so its rate limit. The limiter forgets a
// client once its bucket has refilled, and tracks at most 100,000 clients
// per route at once; past that, new clients are refused with 429 until
// others are forgotten.
package public
