// Package console is the service's web console: a page at /console/ that
// lists the delivery streams and shows, for each, its configuration, live
// charts of its traffic over the last hour, its recent delivery errors and
// its latest objects, with a form that sends a test record.
//
// The page is plain HTML, CSS and JavaScript embedded in the binary (no
// build step, nothing loaded from elsewhere); charts are inline SVG drawn by
// the page's own script. The page reads JSON from /console/api/... and sends
// test records with PutRecord through the Firehose API itself (POST / with
// X-Amz-Target), so the console needs no write endpoint of its own.
//
// # Time series
//
// A [Console] samples the service's counters every Options.Interval (5 s by
// default) and keeps, per stream, a bounded ring of points covering
// Options.Window (1 h): rates computed from counter deltas (records and
// bytes in and delivered per second, objects per second), the share of
// successful object-store calls, and the data freshness. A counter that goes
// down was reset (the stream was recreated) and counts from zero. Close stops
// the sampler; there is no package-level state.
//
// # Routes
//
//	GET /                                   302 to /console/
//	GET /console/                           the page
//	GET /console/assets/{file}              its script, style sheet and icon
//	GET /console/api/streams                every stream: summary, totals, sparkline
//	GET /console/api/streams/{name}         one stream: summary and DescribeDeliveryStream's view
//	GET /console/api/streams/{name}/series  sampled points (?since=<unix ms> for newer ones only)
//	GET /console/api/streams/{name}/errors  recent delivery errors, newest first
//	GET /console/api/streams/{name}/objects a page of its objects (?limit=, default 20, at most 1000; ?after=)
//
// # Objects
//
// The objects route never lists a whole bucket: it is unauthenticated, and a
// bucket may hold millions of objects. Without ?after it answers the
// objects the stream stored lately, newest first ("order": "newest"), from
// the pipeline's memory of its last 100 with no store call; when there are
// none in the stream's bucket (a stream not ACTIVE, or one that has stored
// nothing since the service started) it answers the first page of the
// listing instead. With ?after=KEY (KEY may be empty: the start) it answers
// the page of the listing after KEY, in key order ("order": "key"): the
// stream's objects under its prefix root, the part of Prefix before the
// first !{. Each answer has "next", the ?after of the following page, or
// null at the end; after a "newest" page it is "", the listing's start. A
// page lists at most limit keys and, in a prefix shared with other streams,
// at most 1,000 (one S3 response), so it may hold fewer objects than limit.
//
// API errors are JSON, {"error": {"code": "...", "message": "..."}}, with
// status 404 for an unknown stream and 400 for a bad parameter.
//
// # Notes
//
// The console has no authentication yet: keep the service bound to the
// loopback address (the default) until request signing lands. Everything
// the page shows that comes from data (record text, object keys, error
// messages) is inserted as text, never as HTML, and the page is served with a
// Content-Security-Policy that allows only its own script.
package console
