// Package blueprint reproduces Firehose's Lambda blueprints (the Node.js
// functions of amazon-archives/serverless-app-examples,
// javascript/kinesis-firehose-*) as plain Go with no dependency outside the
// standard library, so the same code runs natively (tests, benchmarks) and
// inside the built-in plugins' Wasm module (plugins/guest).
//
// New returns a Blueprint by name and JSON configuration; NewFromConfig
// reads the plugins' configuration {"blueprint":"<name>", ...options}. A
// Blueprint transforms one record at a time (Transform, or AppendTransform
// to share one buffer across a batch). Every record gets exactly one
// Result; a record a blueprint cannot parse is StatusProcessingFailed with
// an error text, and the service sends the original record to the error
// output. Output records carry no delimiter of their own unless the format
// has one (the CSV blueprints end each line with "\n"), as in Firehose.
//
// # Blueprints
//
// process-record returns the data unchanged.
//
// apachelog-to-json matches the blueprint's expression
//
//	^([\d.]+) (\S+) (\S+) \[([\w:/]+)(\s[\+\-]\d{4}){0,1}\] "(.+?)" (\d{3}) (\d+)
//
// with JavaScript's semantics (\s and \S are Unicode-aware, . stops at line
// terminators, the rest of the line is ignored) and writes JSON.stringify's
// output of
//
//	{"host","ident","authuser","request","response","bytes","verb","@timestamp","timezone","@timestamp_utc"}
//
// in that order: response and bytes are numbers (leading zeros dropped,
// digits beyond 2^53 rounded as JavaScript's Number does); verb, the
// request's text before its first space, only if the request has a space;
// @timestamp the log's clock time written as UTC
// ("2000-10-10T13:55:36.000Z": the blueprint hands "10 Oct 2000 13:55:36"
// to new Date() in Lambda, whose zone is UTC), or the raw text if V8 finds
// no date in it; and only when the line has a zone, timezone ("-0700") and,
// if V8 finds a date, @timestamp_utc (the time converted to UTC). V8's date
// parser, lenient legacy rules included, is reproduced in full (v8date.go),
// so odd times give what Node gives: 31 Feb 2001 is 3 March, "2000:10:20"
// is 2000-01-01T10:20, "notadate +0100" is the year 100. Apache's own
// layout takes a fast path checked against the full parser. Beyond the
// blueprint, a combined-format line (` "referer" "agent"` right after the
// byte count) adds "referer" and "agent", the raw text between the quotes
// (Apache's \" escapes kept, like the request's); option {"combined":false}
// turns them off.
//
// apachelog-to-csv uses the same expression with the zone required and
// writes host,ident,authuser,dd/Mon/yyyy:HH:mm:ss ±zzzz,request,status,bytes
// and "\n", fields unquoted and as written in the log. Option
// {"combined":true} adds two columns, referer and agent, quoted as RFC 4180
// requires, empty for a line without them.
//
// syslog-to-json matches the blueprint's RFC 3164 expression
// (Mon dd HH:mm:ss host program[pid]: message, month names short or long,
// an optional "<n.n> " after the time, the message up to the first line
// terminator) and writes {"timestamp","hostname","program","processid",
// "message"}, processid absent without a pid. Beyond the blueprint:
//
//   - an RFC 3164 line with its "<PRI>" prefix (which the blueprint fails) is
//     parsed too and adds "priority", "facility" and "severity" (numbers);
//   - an RFC 5424 line, <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
//     STRUCTURED-DATA [MSG], fills the same five fields (timestamp as written,
//     hostname, program = APP-NAME, processid = PROCID, message = MSG without
//     its BOM and trailing line breaks, "" if absent) and adds "priority",
//     "facility", "severity", "version" (numbers), "msgid" and
//     "structuredData", an object of SD-ID → {param: value}, values
//     unescaped, a repeated parameter as an array of its values in order. A
//     NILVALUE ("-") field is absent. A malformed header or structured data,
//     or a repeated SD-ID, fails the record.
//
// syslog-to-csv writes timestamp,hostname,program,processid,message and
// "\n", unquoted, an absent field empty (RFC 5424 lines too).
//
// cloudwatch-logs-processor gunzips the record (compress/gzip; at most
// MaxDecompressedBytes), parses the CloudWatch Logs subscription payload
// with JSON.parse's rules (strict grammar, the last of a repeated member
// wins, escapes and surrogate pairs decoded, lone surrogates as U+FFFD) and,
// for a DATA_MESSAGE, writes each log event's message followed by "\n",
// concatenated; any other messageType fails, or with
// {"controlMessages":"drop"} a CONTROL_MESSAGE is Dropped. Only the members
// it needs are decoded (jsonscan.go), which in Wasm is about seven times as
// fast as encoding/json.
//
// # Options
//
// Configuration is a JSON object; a member a blueprint does not know is an
// error (ErrConfig). Every blueprint takes {"newline":true}, which ends
// every non-empty Ok record with "\n" unless it already ends with one (so
// the CSV blueprints and the CloudWatch Logs processor are unchanged by
// it).
//
// # Notes
//
// Where the Node.js code differs from what it was meant to do, this package
// follows the behaviour documented in firehose-reference.md §13:
//
//   - syslog-to-csv: the Node code writes match[1]..match[6] of a
//     five-group expression, so every line ends in ",undefined", and a line
//     without a pid has "undefined" in that column. Here the line has five
//     columns and an absent pid is empty.
//   - The syslog blueprints decode records as 'ascii' in Node, which
//     mangles non-ASCII bytes; here they are UTF-8 like the Apache ones.
//   - Invalid UTF-8 is replaced by U+FFFD as Node's decoder does.
//   - cloudwatch-logs-processor: a record that is not gzip or not JSON, or
//     whose logEvents is not an array, makes the Node function throw, which
//     fails the whole invocation; here only that record fails. A log event
//     whose message is missing or not a string (Node writes "undefined",
//     "5", "[object Object]") fails the record too.
//
// Everything else was checked against Node.js 20 running the blueprints'
// record logic (TZ=UTC, as in Lambda): 500,000 mutated Apache lines and
// 300,000 generated Apache times per blueprint, 250,000 syslog lines and
// 100,000 mutated CloudWatch Logs payloads gave byte-identical results.
// That differential test needs Node and a copy of the blueprints' code, so
// it is not part of the repository; the golden files in testdata/ hold its
// cases.
package blueprint
