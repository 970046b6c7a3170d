#!/usr/bin/env bash
# End-to-end benchmark: starts wasmhose (fsync'd write-ahead log, local store)
# and drives it with `wasmhose bench` over HTTP on the same machine:
#   1. full load: 8 clients, 500 records of 200 B per PutRecordBatch, GZIP,
#      delivery checked by counting every record in the stored objects;
#   2. half load (--rate), for latency percentiles;
# while sampling the server's RSS, threads and open files every 5 s.
# BENCH_DURATION (default 30s) sets each phase's length; BENCH_RATE the
# half-load rate (default 100000 records/s). Results go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${BENCH_DURATION:-30s}
HALF_DUR=${BENCH_HALF_DURATION:-$DUR}
RATE=${BENCH_RATE:-100000}
WORK=$(mktemp -d)
trap 'kill $SRV 2>/dev/null || true; kill $SAMPLER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

go build -o "$WORK/wasmhose" ./cmd/wasmhose
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
EP=http://127.0.0.1:$PORT
"$WORK/wasmhose" serve --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --log-level warn 2>"$WORK/server.log" &
SRV=$!
for _ in $(seq 1 200); do curl -fsS -o /dev/null "$EP/healthz" 2>/dev/null && break; sleep 0.05; done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "go: $(go version | cut -d' ' -f3-)   commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "server: fsync'd WAL, local store, GZIP, buffer 64 MiB / 10 s; load on the same machine"
echo

(
  while kill -0 $SRV 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' /proc/$SRV/status 2>/dev/null || echo 0)
    thr=$(awk '/Threads/ {print $2}' /proc/$SRV/status 2>/dev/null || echo 0)
    fds=$(ls /proc/$SRV/fd 2>/dev/null | wc -l)
    echo "$(date +%s) $rss $thr $fds"
    sleep 5
  done
) > "$WORK/samples" &
SAMPLER=$!

echo "== full load: 8 clients x 500 records x 200 B, $DUR"
"$WORK/wasmhose" bench --endpoint "$EP" --stream bench-full --create --compression GZIP --buffer-mb 64 --buffer-seconds 10 \
  --batch 500 --size 200 --concurrency 8 --duration "$DUR" --check-dir "$WORK/data" 2>/dev/null
echo
echo "== half load: $RATE records/s, same shape, $HALF_DUR"
"$WORK/wasmhose" bench --endpoint "$EP" --stream bench-half --create --compression GZIP --buffer-mb 64 --buffer-seconds 10 \
  --batch 500 --size 200 --concurrency 8 --rate "$RATE" --duration "$HALF_DUR" --check-dir "$WORK/data" 2>/dev/null
echo
kill $SAMPLER 2>/dev/null || true
echo "== server resources (sampled every 5 s)"
awk 'NR==1 {t0=$1} {printf "  t=%4ds  rss=%6.1f MiB  threads=%3d  fds=%3d\n", $1-t0, $2/1024, $3, $4}' "$WORK/samples" | awk 'NR%4==1'
awk '{ if ($2>max) max=$2 } END { printf "  peak RSS %.1f MiB over %d samples\n", max/1024, NR }' "$WORK/samples"
