#!/usr/bin/env bash
# End-to-end test with real clients: Debian's AWS CLI drives wasmhose, first
# on the embedded local object store, then delivering to versitygw, a real
# S3-compatible server. Needs /usr/bin/aws and versitygw (.ci/run installs
# both); without them it says so loudly and fails under CI=true.
set -euo pipefail

AWS=/usr/bin/aws
VGW=$(command -v versitygw || echo "$(go env GOPATH)/bin/versitygw")
missing=()
[ -x "$AWS" ] || missing+=("awscli (apt-get install awscli)")
[ -x "$VGW" ] || missing+=("versitygw (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e: SKIPPED: missing ${missing[*]}" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

pass=0
fail=0
ok()   { echo "ok   - $*"; pass=$((pass+1)); }
bad()  { echo "FAIL - $*"; fail=$((fail+1)); }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # url
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

go build -o "$WORK/wasmhose" ./cmd/wasmhose

export AWS_ACCESS_KEY_ID=e2e AWS_SECRET_ACCESS_KEY=e2esecret AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
# Debian's CLI carries an older model whose client-side check still says
# IntervalInSeconds >= 60 (the API allows 0 since zero buffering); let the
# server validate instead, as newer CLIs do.
printf '[default]\nparameter_validation = false\n' > "$WORK/aws-config"
export AWS_CONFIG_FILE="$WORK/aws-config"
PORT=$(free_port)
EP="http://127.0.0.1:$PORT"
FH=("$AWS" firehose --endpoint-url "$EP")

start_wasmhose() { # data-dir [config]
  local args=(serve --listen "127.0.0.1:$PORT" --data-dir "$1")
  [ $# -gt 1 ] && args+=(--config "$2")
  "$WORK/wasmhose" "${args[@]}" >>"$WORK/wasmhose.log" 2>&1 &
  WH_PID=$!
  PIDS+=("$WH_PID")
  wait_http "$EP/healthz" || { cat "$WORK/wasmhose.log"; echo "wasmhose did not start"; exit 1; }
}
stop_wasmhose() { kill -TERM "$WH_PID"; wait "$WH_PID" || true; }

wait_active() { # name
  for _ in $(seq 1 200); do
    s=$("${FH[@]}" describe-delivery-stream --delivery-stream-name "$1" --query DeliveryStreamDescription.DeliveryStreamStatus --output text 2>/dev/null || true)
    [ "$s" = ACTIVE ] && return 0
    sleep 0.05
  done
  return 1
}

# ---- 1. local object store -------------------------------------------------
DATA="$WORK/data"
start_wasmhose "$DATA"

"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-gzip \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::e2e-bucket","Prefix":"gz/","CompressionFormat":"GZIP","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":1}}' >/dev/null \
  && ok "create-delivery-stream" || bad "create-delivery-stream"
wait_active e2e-gzip && ok "stream becomes ACTIVE" || bad "stream becomes ACTIVE"

desc=$("${FH[@]}" describe-delivery-stream --delivery-stream-name e2e-gzip --output json)
echo "$desc" | grep -q '"CompressionFormat": "GZIP"' && echo "$desc" | grep -q '"VersionId": "1"' \
  && ok "describe shows the destination" || bad "describe: $desc"

"${FH[@]}" put-record --delivery-stream-name e2e-gzip --record "{\"Data\":\"$(printf 'first-record\n' | base64 -w0)\"}" >/dev/null && ok "put-record" || bad "put-record"

printf '[' > "$WORK/batch.json"
for i in $(seq 1 100); do
  [ "$i" -gt 1 ] && printf ',' >> "$WORK/batch.json"
  printf '{"Data":"%s"}' "$(printf 'batch-%03d\n' "$i" | base64 -w0)" >> "$WORK/batch.json"
done
printf ']' >> "$WORK/batch.json"
out=$("${FH[@]}" put-record-batch --delivery-stream-name e2e-gzip --records "file://$WORK/batch.json" --output json)
echo "$out" | grep -q '"FailedPutCount": 0' && ok "put-record-batch (100 records)" || bad "put-record-batch: $out"

# The interval is 1 s: wait for the objects and check their contents.
got=""
for _ in $(seq 1 100); do
  files=$(find "$DATA/s3/e2e-bucket" -type f -name 'e2e-gzip-1-*.gz' 2>/dev/null | sort || true)
  if [ -n "$files" ]; then
    got=$(for f in $files; do gunzip -c "$f"; done | sort)
    [ "$(echo "$got" | wc -l)" -ge 101 ] && break
  fi
  sleep 0.1
done
want=$( (echo first-record; for i in $(seq 1 100); do printf 'batch-%03d\n' "$i"; done) | sort)
[ "$got" = "$want" ] && ok "objects hold all 101 records, gunzip decodes them" || bad "delivered records differ: got $(echo "$got" | wc -l) lines"
key=$(find "$DATA/s3/e2e-bucket" -type f -name '*.gz' | head -1 | sed "s|$DATA/s3/e2e-bucket/||")
echo "$key" | grep -Eq '^gz/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{2}/e2e-gzip-1-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9a-f-]{36}\.gz$' \
  && ok "object key follows Firehose's naming: $key" || bad "object key $key"

# Errors come back in Firehose's shape through the CLI.
if err=$("${FH[@]}" describe-delivery-stream --delivery-stream-name nope 2>&1); then bad "describe of a missing stream succeeded"
else echo "$err" | grep -q ResourceNotFoundException && ok "missing stream: ResourceNotFoundException" || bad "missing stream: $err"; fi
if err=$("${FH[@]}" create-delivery-stream --delivery-stream-name e2e-gzip --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/r","BucketARN":"arn:aws:s3:::b"}' 2>&1); then bad "duplicate create succeeded"
else echo "$err" | grep -q ResourceInUseException && ok "duplicate name: ResourceInUseException" || bad "duplicate: $err"; fi

"${FH[@]}" update-destination --delivery-stream-name e2e-gzip --current-delivery-stream-version-id 1 \
  --destination-id destinationId-000000000001 --extended-s3-destination-update '{"Prefix":"v2/"}' >/dev/null && ok "update-destination" || bad "update-destination"
v=$("${FH[@]}" describe-delivery-stream --delivery-stream-name e2e-gzip --query DeliveryStreamDescription.VersionId --output text)
[ "$v" = 2 ] && ok "VersionId is 2 after the update" || bad "VersionId $v"
if err=$("${FH[@]}" update-destination --delivery-stream-name e2e-gzip --current-delivery-stream-version-id 1 --destination-id destinationId-000000000001 --extended-s3-destination-update '{"Prefix":"v3/"}' 2>&1); then bad "stale update succeeded"
else echo "$err" | grep -q ConcurrentModificationException && ok "stale version: ConcurrentModificationException" || bad "stale: $err"; fi

"${FH[@]}" tag-delivery-stream --delivery-stream-name e2e-gzip --tags Key=team,Value=data >/dev/null
t=$("${FH[@]}" list-tags-for-delivery-stream --delivery-stream-name e2e-gzip --query 'Tags[0].Value' --output text)
[ "$t" = data ] && ok "tags" || bad "tags: $t"

# The Glue Data Catalog on the same listener, through the stock CLI.
GL=("$AWS" glue --endpoint-url "$EP")
"${GL[@]}" create-database --database-input '{"Name":"E2E_DB","Description":"e2e"}' >/dev/null && ok "glue create-database" || bad "glue create-database"
"${GL[@]}" create-table --database-name e2e_db --table-input '{"Name":"Clicks","TableType":"EXTERNAL_TABLE","StorageDescriptor":{"Columns":[{"Name":"id","Type":"string"},{"Name":"ts","Type":"timestamp"},{"Name":"price","Type":"decimal(10,2)"},{"Name":"tags","Type":"array<string>"}],"Location":"s3://e2e-bucket/clicks/"}}' >/dev/null \
  && ok "glue create-table" || bad "glue create-table"
t=$("${GL[@]}" get-table --database-name e2e_db --name clicks --query '[Table.Name,Table.VersionId,Table.StorageDescriptor.Columns[2].Type]' --output text 2>&1)
[ "$t" = "$(printf 'clicks\t1\tdecimal(10,2)')" ] && ok "glue get-table: lower-cased name, version 1" || bad "glue get-table: $t"
"${GL[@]}" update-table --database-name e2e_db --table-input '{"Name":"clicks","StorageDescriptor":{"Columns":[{"Name":"id","Type":"string"},{"Name":"n","Type":"bigint"}]}}' >/dev/null \
  && ok "glue update-table" || bad "glue update-table"
v=$("${GL[@]}" get-table-versions --database-name e2e_db --table-name clicks --query 'TableVersions[].VersionId' --output text 2>&1)
[ "$v" = "$(printf '2\t1')" ] && ok "glue get-table-versions: 2 then 1" || bad "glue get-table-versions: $v"
if err=$("${GL[@]}" create-table --database-name e2e_db --table-input '{"Name":"bad","StorageDescriptor":{"Columns":[{"Name":"amount","Type":"decimal(50,2)"}]}}' 2>&1); then bad "glue create-table with decimal(50,2) succeeded"
else echo "$err" | grep -q 'InvalidInputException.*"amount".*decimal(50,2)' && ok "glue bad type: InvalidInputException names the column" || bad "glue bad type: $err"; fi
if err=$("${GL[@]}" get-table --database-name e2e_db --name nope 2>&1); then bad "glue get-table of a missing table succeeded"
else echo "$err" | grep -q EntityNotFoundException && ok "glue missing table: EntityNotFoundException" || bad "glue missing table: $err"; fi

# Names and prefixes the service used to accept and then lose or strand.
"${FH[@]}" create-delivery-stream --delivery-stream-name .logs \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::e2e-bucket","Prefix":"dot/","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":900}}' >/dev/null \
  && wait_active .logs && "${FH[@]}" put-record --delivery-stream-name .logs --record '{"Data":"ZG90dGVkCg=="}' >/dev/null \
  && ok "a stream named .logs takes a record" || bad "stream .logs"
for cfg in '"Prefix":"../"' '"Prefix":"'"$(printf 'a%.0s' $(seq 1 1000))"'/"'; do
  if err=$("${FH[@]}" create-delivery-stream --delivery-stream-name e2e-badprefix \
      --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::e2e-bucket",'"$cfg"'}' 2>&1); then
    bad "a prefix the store can never write was accepted (${cfg:0:20}…)"
  else echo "$err" | grep -q 'InvalidArgumentException.*Prefix' && ok "refused at create: ${cfg:0:20}…" || bad "bad prefix: $err"; fi
done

# Restart: the stream and its configuration survive.
stop_wasmhose
start_wasmhose "$DATA"
[ "$("${FH[@]}" describe-delivery-stream --delivery-stream-name .logs --query DeliveryStreamDescription.DeliveryStreamStatus --output text 2>&1)" = ACTIVE ] \
  && ok "stream .logs survives a restart" || bad "stream .logs lost at restart"
find "$DATA/s3/e2e-bucket/dot" -type f -name '.logs-1-*' 2>/dev/null | grep -q . \
  && ok "the record of .logs is delivered" || bad "no object of .logs under dot/"
"${FH[@]}" delete-delivery-stream --delivery-stream-name .logs >/dev/null || bad "delete .logs"
v=$("${GL[@]}" get-table --database-name e2e_db --name clicks --query Table.VersionId --output text 2>&1)
[ "$v" = 2 ] && ok "glue table survives a restart" || bad "glue after restart: $v"
"$WORK/wasmhose" schema show --data-dir "$DATA" e2e_db.clicks 2>&1 | grep -q 'bigint' && ok "wasmhose schema show reads the catalog" || bad "wasmhose schema show"
"${GL[@]}" delete-table --database-name e2e_db --name clicks >/dev/null && ok "glue delete-table" || bad "glue delete-table"
v=$("${FH[@]}" describe-delivery-stream --delivery-stream-name e2e-gzip --query DeliveryStreamDescription.VersionId --output text)
[ "$v" = 2 ] && ok "stream survives a restart" || bad "after restart VersionId $v"
names=$("${FH[@]}" list-delivery-streams --query DeliveryStreamNames --output text)
[ "$names" = e2e-gzip ] && ok "list-delivery-streams" || bad "list: $names"
"${FH[@]}" delete-delivery-stream --delivery-stream-name e2e-gzip >/dev/null && ok "delete-delivery-stream" || bad "delete"
stop_wasmhose

# ---- 2. versitygw, a real S3-compatible server ------------------------------
VPORT=$(free_port)
mkdir -p "$WORK/vgw"
ROOT_ACCESS_KEY_ID=vgwkey ROOT_SECRET_ACCESS_KEY=vgwsecret "$VGW" --port "127.0.0.1:$VPORT" --quiet posix "$WORK/vgw" >"$WORK/vgw.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$VPORT" && break; sleep 0.05; done
S3=("$AWS" --endpoint-url "http://127.0.0.1:$VPORT" s3api)
AWS_ACCESS_KEY_ID=vgwkey AWS_SECRET_ACCESS_KEY=vgwsecret "${S3[@]}" create-bucket --bucket vgw-bucket >/dev/null && ok "versitygw bucket" || bad "versitygw create-bucket"
cat > "$WORK/s3.yaml" <<YAML
store: s3
s3:
  endpoint: http://127.0.0.1:$VPORT
  region: us-east-1
  accessKeyId: vgwkey
  secretAccessKey: vgwsecret
  usePathStyle: true
YAML
start_wasmhose "$WORK/data-s3" "$WORK/s3.yaml"
"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-s3 \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::vgw-bucket","Prefix":"s3/","CompressionFormat":"GZIP","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":1}}' >/dev/null
wait_active e2e-s3 && ok "S3 stream ACTIVE" || bad "S3 stream ACTIVE"
out=$("${FH[@]}" put-record-batch --delivery-stream-name e2e-s3 --records "file://$WORK/batch.json" --output json)
echo "$out" | grep -q '"FailedPutCount": 0' && ok "put-record-batch to the S3 stream" || bad "put-record-batch S3: $out"
got=""
for _ in $(seq 1 100); do
  keys=$(AWS_ACCESS_KEY_ID=vgwkey AWS_SECRET_ACCESS_KEY=vgwsecret "${S3[@]}" list-objects-v2 --bucket vgw-bucket --prefix s3/ --query 'Contents[].Key' --output text 2>/dev/null || true)
  if [ -n "$keys" ] && [ "$keys" != None ]; then
    got=""
    for k in $keys; do
      AWS_ACCESS_KEY_ID=vgwkey AWS_SECRET_ACCESS_KEY=vgwsecret "${S3[@]}" get-object --bucket vgw-bucket --key "$k" "$WORK/obj.gz" >/dev/null
      got+=$(gunzip -c "$WORK/obj.gz")$'\n'
    done
    [ "$(echo -n "$got" | wc -l)" -ge 100 ] && break
  fi
  sleep 0.1
done
want=$(for i in $(seq 1 100); do printf 'batch-%03d\n' "$i"; done)
[ "$(echo -n "$got" | sort)" = "$want" ] && ok "versitygw holds all 100 records (key $(echo $keys | cut -d' ' -f1))" || bad "versitygw objects: $(echo -n "$got" | wc -l) lines"
stop_wasmhose

# ---- 3. format conversion: a Glue table, a Parquet stream, through the CLI --
start_wasmhose "$WORK/data-conv"
GL=("$AWS" glue --endpoint-url "$EP")
"${GL[@]}" create-database --database-input '{"Name":"web"}' >/dev/null
"${GL[@]}" create-table --database-name web --table-input '{"Name":"hits","StorageDescriptor":{"Columns":[{"Name":"path","Type":"string"},{"Name":"status","Type":"int"},{"Name":"at","Type":"timestamp"}]}}' >/dev/null \
  && ok "glue table for conversion" || bad "glue table for conversion"
"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-parquet \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::conv","Prefix":"hits/","ErrorOutputPrefix":"errors/!{firehose:error-output-type}/","BufferingHints":{"SizeInMBs":64,"IntervalInSeconds":1},"DataFormatConversionConfiguration":{"SchemaConfiguration":{"RoleARN":"arn:aws:iam::000000000000:role/firehose","DatabaseName":"web","TableName":"hits"},"InputFormatConfiguration":{"Deserializer":{"OpenXJsonSerDe":{}}},"OutputFormatConfiguration":{"Serializer":{"ParquetSerDe":{}}}}}' >/dev/null \
  && wait_active e2e-parquet && ok "stream with DataFormatConversionConfiguration" || bad "stream with DataFormatConversionConfiguration"
"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-badconv \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::conv","CompressionFormat":"GZIP","DataFormatConversionConfiguration":{"Enabled":true}}' 2>"$WORK/err.txt" >/dev/null || true
grep -q "InvalidArgumentException" "$WORK/err.txt" && grep -q "UNCOMPRESSED" "$WORK/err.txt" && ok "conversion with GZIP: InvalidArgumentException" || bad "conversion with GZIP: $(cat "$WORK/err.txt")"
printf '[' > "$WORK/conv.json"
printf '{"Data":"%s"},' "$(printf '{"path":"/a","status":200,"at":"2026-11-26 10:00:00"}' | base64 -w0)" >> "$WORK/conv.json"
printf '{"Data":"%s"},' "$(printf '{"path":"/b","status":"oops"}' | base64 -w0)" >> "$WORK/conv.json"
printf '{"Data":"%s"}]' "$(printf '{"path":"/c","status":404}' | base64 -w0)" >> "$WORK/conv.json"
out=$("${FH[@]}" put-record-batch --delivery-stream-name e2e-parquet --records "file://$WORK/conv.json" --output json)
echo "$out" | grep -q '"FailedPutCount": 0' && ok "put-record-batch of JSON records" || bad "put-record-batch conv: $out"
pq="" ; ef=""
for _ in $(seq 1 200); do
  pq=$(find "$WORK/data-conv/s3/conv/hits" -name '*.parquet' 2>/dev/null | head -1 || true)
  ef=$(find "$WORK/data-conv/s3/conv/errors/format-conversion-failed" -type f ! -name '.*' 2>/dev/null | head -1 || true)
  [ -n "$pq" ] && [ -n "$ef" ] && break
  sleep 0.05
done
[ -n "$pq" ] && [ "$(head -c4 "$pq")" = PAR1 ] && [ "$(tail -c4 "$pq")" = PAR1 ] && ok "a .parquet object (${pq#$WORK/data-conv/s3/conv/})" || bad "no Parquet object"
[ -n "$ef" ] && grep -q '"lastErrorCode":"DataFormatConversion.MalformedData"' "$ef" && ok "the bad record under format-conversion-failed" || bad "format-conversion-failed: $(cat "$ef" 2>/dev/null)"
READER=converters/parquet/testdata/reader
if [ -d "$READER/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
  rows=$(cd "$READER" && node dump.mjs "$pq" | tail -n +3)
  [ "$rows" = '{"path":"/a","status":200,"at":"2026-11-26 10:00:00"}
{"path":"/c","status":404,"at":null}' ] && ok "DuckDB reads the two good rows back" || bad "DuckDB read: $rows"
else
  echo "e2e: DuckDB reader not installed (npm ci --prefix $READER): Parquet rows not read back" >&2
fi
stop_wasmhose

# ---- 4. a Lambda processor running a built-in plugin, through the CLI --------
start_wasmhose "$WORK/data-lambda"
LAMBDA='{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"arn:aws:lambda:us-east-1:000000000000:function:apachelog-to-json"},{"ParameterName":"BufferIntervalInSeconds","ParameterValue":"0"},{"ParameterName":"NumberOfRetries","ParameterValue":"1"}]}'
"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-apache \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::logs","Prefix":"json/","ErrorOutputPrefix":"errors/!{firehose:error-output-type}/","BufferingHints":{"SizeInMBs":1,"IntervalInSeconds":1},"ProcessingConfiguration":{"Enabled":true,"Processors":['"$LAMBDA"',{"Type":"AppendDelimiterToRecord"}]}}' >/dev/null \
  && wait_active e2e-apache && ok "stream with a Lambda processor naming apachelog-to-json" || bad "stream with a Lambda processor"
"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-nofn \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::logs","ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"arn:aws:lambda:us-east-1:000000000000:function:no-such-plugin"}]}]}}' 2>"$WORK/err.txt" >/dev/null || true
grep -q InvalidArgumentException "$WORK/err.txt" && grep -q no-such-plugin "$WORK/err.txt" && ok "an unknown plugin: InvalidArgumentException" || bad "unknown plugin: $(cat "$WORK/err.txt")"
"${FH[@]}" create-delivery-stream --delivery-stream-name e2e-badwait \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::logs","ProcessingConfiguration":{"Enabled":true,"Processors":[{"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"arn:aws:lambda:us-east-1:000000000000:function:apachelog-to-json"},{"ParameterName":"BufferIntervalInSeconds","ParameterValue":"901"}]}]}}' 2>"$WORK/err.txt" >/dev/null || true
grep -q InvalidArgumentException "$WORK/err.txt" && grep -q "from 0 to 900" "$WORK/err.txt" && ok "BufferIntervalInSeconds 901: InvalidArgumentException" || bad "BufferIntervalInSeconds 901: $(cat "$WORK/err.txt")"
printf '[{"Data":"%s"},' "$(printf '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326' | base64 -w0)" > "$WORK/apache.json"
printf '{"Data":"%s"},' "$(printf 'not an access log line' | base64 -w0)" >> "$WORK/apache.json"
printf '{"Data":"%s"}]' "$(printf '66.249.66.1 - - [04/Mar/2024:08:15:42 +0000] "GET /robots.txt HTTP/1.1" 404 68 "-" "curl/8.5.0"' | base64 -w0)" >> "$WORK/apache.json"
out=$("${FH[@]}" put-record-batch --delivery-stream-name e2e-apache --records "file://$WORK/apache.json" --output json)
echo "$out" | grep -q '"FailedPutCount": 0' && ok "put-record-batch of Apache log lines" || bad "put-record-batch apache: $out"
jf="" ; pf=""
for _ in $(seq 1 200); do
  jf=$(find "$WORK/data-lambda/s3/logs/json" -type f ! -name '.*' 2>/dev/null | head -1 || true)
  pf=$(find "$WORK/data-lambda/s3/logs/errors/processing-failed" -type f ! -name '.*' 2>/dev/null | head -1 || true)
  [ -n "$jf" ] && [ -n "$pf" ] && break
  sleep 0.05
done
[ -n "$jf" ] && grep -q '^{"host":"127.0.0.1","ident":"-","authuser":"frank","request":"GET /apache_pb.gif HTTP/1.0","response":200,"bytes":2326,' "$jf" \
  && grep -q '"host":"66.249.66.1".*"response":404.*"agent":"curl/8.5.0"' "$jf" && [ "$(wc -l < "$jf")" -eq 2 ] \
  && ok "the lines stored as JSON objects, one a line (${jf#$WORK/data-lambda/s3/logs/})" || bad "JSON object: $(cat "$jf" 2>/dev/null)"
[ -n "$pf" ] && grep -q '"errorCode":"Lambda.ProcessingFailedStatus"' "$pf" && grep -q "\"rawData\":\"$(printf 'not an access log line' | base64 -w0)\"" "$pf" \
  && grep -q '"lambdaARN":"arn:aws:lambda:us-east-1:000000000000:function:apachelog-to-json"' "$pf" \
  && ok "the bad line under processing-failed with Firehose's error record" || bad "processing-failed: $(cat "$pf" 2>/dev/null)"
stop_wasmhose

# ---- 5. signed requests and access policies with the CLI ---------------------
cat > "$WORK/auth.yaml" <<'YAML'
auth:
  mode: sigv4
  keys:
    - accessKeyId: e2e
      secretAccessKey: e2esecret
    - accessKeyId: producer
      secretAccessKey: producersecret
      policy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "firehose:Put*", Resource: "arn:aws:firehose:*:*:deliverystream/signed"}
YAML
start_wasmhose "$WORK/data-auth" "$WORK/auth.yaml"
"${FH[@]}" create-delivery-stream --delivery-stream-name signed \
  --extended-s3-destination-configuration '{"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::signed"}' >/dev/null \
  && ok "sigv4: the configured key creates a stream" || bad "sigv4: create with the configured key"
AWS_SECRET_ACCESS_KEY=wrong "${FH[@]}" list-delivery-streams 2>"$WORK/err.txt" >/dev/null || true
grep -q InvalidSignatureException "$WORK/err.txt" && ok "sigv4: a wrong secret gets InvalidSignatureException" || bad "sigv4 wrong secret: $(cat "$WORK/err.txt")"
AWS_ACCESS_KEY_ID=nobody "${FH[@]}" list-delivery-streams 2>"$WORK/err.txt" >/dev/null || true
grep -q UnrecognizedClientException "$WORK/err.txt" && ok "sigv4: an unknown key gets UnrecognizedClientException" || bad "sigv4 unknown key: $(cat "$WORK/err.txt")"
AWS_ACCESS_KEY_ID=producer AWS_SECRET_ACCESS_KEY=producersecret "${FH[@]}" put-record --delivery-stream-name signed --record "{\"Data\":\"$(printf 'x' | base64 -w0)\"}" >/dev/null \
  && ok "policy: the producer key may put" || bad "policy: producer put"
AWS_ACCESS_KEY_ID=producer AWS_SECRET_ACCESS_KEY=producersecret "${FH[@]}" delete-delivery-stream --delivery-stream-name signed 2>"$WORK/err.txt" >/dev/null || true
grep -q AccessDeniedException "$WORK/err.txt" && grep -q "firehose:DeleteDeliveryStream" "$WORK/err.txt" && ok "policy: the producer key may not delete (AccessDeniedException)" || bad "policy delete: $(cat "$WORK/err.txt")"
stop_wasmhose

echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
