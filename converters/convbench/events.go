// Package convbench measures the JSON → Arrow → Parquet conversion on a
// realistic click-event table: a generator of ~440-byte records and a
// converter run that reports records/s, MB/s of JSON in and peak heap.
// The Go benchmark BenchmarkJSONToParquet and `wasmhose bench` use it.
package convbench

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/wasmhose/wasmhose/converters/hive"
)

// Columns returns the click-event table: 16 columns of strings, a
// timestamp, ints, doubles, a boolean, a nullable string, a decimal, a
// struct, an array of strings and a map of string to int.
func Columns() []hive.Column {
	return []hive.Column{
		{Name: "event_id", Type: "string"},
		{Name: "event_type", Type: "string"},
		{Name: "user_id", Type: "string"},
		{Name: "session_id", Type: "string"},
		{Name: "event_time", Type: "timestamp"},
		{Name: "page_url", Type: "string"},
		{Name: "referrer", Type: "string"},
		{Name: "user_agent", Type: "string"},
		{Name: "ip", Type: "string"},
		{Name: "duration_ms", Type: "int"},
		{Name: "scroll_pct", Type: "double"},
		{Name: "is_mobile", Type: "boolean"},
		{Name: "price", Type: "decimal(10,2)"},
		{Name: "geo", Type: "struct<country:string,city:string,lat:double>"},
		{Name: "tags", Type: "array<string>"},
		{Name: "counters", Type: "map<string,int>"},
	}
}

// DuckDBColumns returns the table in DuckDB's types, for read_json's
// columns= argument in the comparison runs.
func DuckDBColumns() map[string]string {
	return map[string]string{
		"event_id": "VARCHAR", "event_type": "VARCHAR", "user_id": "VARCHAR", "session_id": "VARCHAR",
		"event_time": "TIMESTAMP", "page_url": "VARCHAR", "referrer": "VARCHAR", "user_agent": "VARCHAR",
		"ip": "VARCHAR", "duration_ms": "INTEGER", "scroll_pct": "DOUBLE",
		"is_mobile": "BOOLEAN", "price": "DECIMAL(10,2)",
		"geo":      "STRUCT(country VARCHAR, city VARCHAR, lat DOUBLE)",
		"tags":     "VARCHAR[]",
		"counters": "MAP(VARCHAR, INTEGER)",
	}
}

var (
	eventTypes = []string{"page_view", "click", "scroll", "add_to_cart", "purchase", "search", "video_play", "signup"}
	paths      = []string{"/", "/products", "/products/shoes", "/products/shirts", "/cart", "/checkout", "/search", "/blog/2024/launch", "/account/settings", "/help/faq"}
	referrers  = []string{"https://google.com/", "https://t.co/", "https://bing.com/", "https://example.org/mail"}
	agents     = []string{
		"Chrome/124 (Windows)",
		"Safari/17 (iPhone)",
		"Safari/17 (Macintosh)",
		"Chrome/124 (Android)",
	}
	places = []struct {
		country, city string
		lat, lon      float64
	}{{"US", "Seattle", 47.6062, -122.3321}, {"DE", "Berlin", 52.52, 13.405}, {"JP", "Tokyo", 35.6762, 139.6503}, {"BR", "São Paulo", -23.5505, -46.6333}, {"NO", "Oslo", 59.9139, 10.7522}}
	tagWords = []string{"promo", "returning", "beta", "newsletter", "mobile-web", "ab-test-42", "vip"}
)

// Generator makes deterministic click events.
type Generator struct {
	rng  *rand.Rand
	seq  int64
	base time.Time
	buf  []byte
	id   [16]byte
}

// NewGenerator returns a generator whose output depends only on seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), base: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
}

func (g *Generator) uuid(dst []byte) []byte {
	for i := 0; i < 16; i += 8 {
		v := g.rng.Uint64()
		for j := 0; j < 8; j++ {
			g.id[i+j] = byte(v >> (8 * j))
		}
	}
	const hexd = "0123456789abcdef"
	for i, b := range g.id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[b>>4], hexd[b&15])
	}
	return dst
}

// Next returns the next record, without a newline. The slice is reused by
// the following call.
func (g *Generator) Next() []byte {
	r := g.rng
	g.seq++
	b := g.buf[:0]
	b = append(b, `{"event_id":"`...)
	b = g.uuid(b)
	b = append(b, `","event_type":"`...)
	b = append(b, eventTypes[r.IntN(len(eventTypes))]...)
	b = append(b, `","user_id":"u-`...)
	b = strconv.AppendInt(b, int64(r.IntN(50000)), 10)
	b = append(b, `","session_id":"`...)
	b = base64.RawURLEncoding.AppendEncode(b, binaryLE(r.Uint64()))
	b = append(b, `","event_time":"`...)
	ts := g.base.Add(time.Duration(g.seq)*7*time.Millisecond + time.Duration(r.IntN(1000))*time.Microsecond)
	b = ts.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","page_url":"`...)
	b = append(b, paths[r.IntN(len(paths))]...)
	b = append(b, `?r=`...)
	b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
	b = append(b, `","referrer":`...)
	if r.IntN(2) == 0 {
		b = append(b, `null`...)
	} else {
		b = strconv.AppendQuote(b, referrers[r.IntN(len(referrers))])
	}
	b = append(b, `,"user_agent":"`...)
	b = append(b, agents[r.IntN(len(agents))]...)
	b = append(b, `","ip":"`...)
	for i := 0; i < 4; i++ {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
	}
	b = append(b, `","duration_ms":`...)
	b = strconv.AppendInt(b, int64(r.IntN(60000)), 10)
	b = append(b, `,"scroll_pct":`...)
	b = strconv.AppendFloat(b, float64(r.IntN(10000))/100, 'f', -1, 64)
	b = append(b, `,"is_mobile":`...)
	b = strconv.AppendBool(b, r.IntN(3) == 0)
	b = append(b, `,"price":`...)
	b = strconv.AppendInt(b, int64(r.IntN(100000)), 10)
	b = append(b, '.')
	cents := r.IntN(100)
	b = append(b, byte('0'+cents/10), byte('0'+cents%10))
	p := places[r.IntN(len(places))]
	b = append(b, `,"geo":{"country":"`...)
	b = append(b, p.country...)
	b = append(b, `","city":"`...)
	b = append(b, p.city...)
	b = append(b, `","lat":`...)
	b = strconv.AppendFloat(b, p.lat, 'f', -1, 64)
	b = append(b, `},"tags":[`...)
	for i, n := 0, r.IntN(3); i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, tagWords[r.IntN(len(tagWords))]...)
		b = append(b, '"')
	}
	b = append(b, `],"counters":{"clicks":`...)
	b = strconv.AppendInt(b, int64(r.IntN(50)), 10)
	b = append(b, `,"views":`...)
	b = strconv.AppendInt(b, int64(r.IntN(500)), 10)
	b = append(b, `}}`...)
	g.buf = b
	return b
}

func binaryLE(v uint64) []byte {
	var b [8]byte
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b[:]
}

// Generate writes n newline-delimited records to w and returns the bytes
// written.
func Generate(w io.Writer, n int, seed uint64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := NewGenerator(seed)
	var total int64
	for i := 0; i < n; i++ {
		rec := g.Next()
		k, err := bw.Write(rec)
		total += int64(k)
		if err != nil {
			return total, fmt.Errorf("convbench: generate: %w", err)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return total, fmt.Errorf("convbench: generate: %w", err)
		}
		total++
	}
	if err := bw.Flush(); err != nil {
		return total, fmt.Errorf("convbench: generate: %w", err)
	}
	return total, nil
}
