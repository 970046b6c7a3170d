package prefix

import (
	"testing"
	"time"
)

func TestObjectName(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	const id = "a9fa96af-e4e4-409f-bac3-1f804714faaa"
	documented := time.Date(2016, 2, 25, 13, 5, 9, 0, time.UTC)
	tests := []struct {
		name    string
		stream  string
		version string
		t       time.Time
		loc     *time.Location
		ext     string
		exp     string
	}{
		{name: "documented", stream: "my-stream", version: "1", t: documented, exp: "my-stream-1-2016-02-25-13-05-09-" + id},
		{name: "extension", stream: "my-stream", version: "12", t: documented, ext: ".gz", exp: "my-stream-12-2016-02-25-13-05-09-" + id + ".gz"},
		{name: "parquet", stream: "s", version: "3", t: documented, ext: ".parquet", exp: "s-3-2016-02-25-13-05-09-" + id + ".parquet"},
		{name: "custom time zone", stream: "s", version: "1", t: documented, loc: tokyo, exp: "s-1-2016-02-25-22-05-09-" + id},
		{name: "time zone crosses the date", stream: "s", version: "1", t: time.Date(2016, 1, 1, 3, 0, 0, 0, time.UTC), loc: la,
			exp: "s-1-2015-12-31-19-00-00-" + id},
		{name: "nil location is UTC", stream: "s", version: "1", t: documented.In(tokyo), exp: "s-1-2016-02-25-13-05-09-" + id},
		{name: "fractions dropped", stream: "s", version: "1", t: documented.Add(999 * time.Millisecond), exp: "s-1-2016-02-25-13-05-09-" + id},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ObjectName(tt.stream, tt.version, tt.t, tt.loc, id, tt.ext); got != tt.exp {
				t.Errorf("ObjectName = %q, want %q", got, tt.exp)
			}
			if got := string(AppendObjectName([]byte("2016/"), tt.stream, tt.version, tt.t, tt.loc, id, tt.ext)); got != "2016/"+tt.exp {
				t.Errorf("AppendObjectName = %q", got)
			}
		})
	}
}

// TestObjectKeyDocumented builds the developer guide's illustrative key
// from DataPrefix and ObjectName.
func TestObjectKeyDocumented(t *testing.T) {
	at := time.Date(2016, 2, 25, 13, 5, 9, 0, time.UTC)
	e, err := DataPrefix("")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.AppendEval(nil, Env{Time: at})
	if err != nil {
		t.Fatal(err)
	}
	key := string(AppendObjectName(b, "my-stream", "1", at, nil, "a9fa96af-e4e4-409f-bac3-1f804714faaa", ""))
	if want := "2016/02/25/13/my-stream-1-2016-02-25-13-05-09-a9fa96af-e4e4-409f-bac3-1f804714faaa"; key != want {
		t.Errorf("key = %q, want %q", key, want)
	}
}
