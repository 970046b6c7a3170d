package blueprint_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wasmhose/wasmhose/plugins/blueprint"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		bp     string
		config string
		expErr error
	}{
		{"defaults, no config", blueprint.ApachelogToJSON, "", nil},
		{"null config", blueprint.SyslogToJSON, "null", nil},
		{"empty object", blueprint.ProcessRecord, " {} ", nil},
		{"newline everywhere", blueprint.SyslogToCSV, `{"newline":true}`, nil},
		{"combined on csv", blueprint.ApachelogToCSV, `{"combined":true}`, nil},
		{"combined off on json", blueprint.ApachelogToJSON, `{"combined":false}`, nil},
		{"drop control messages", blueprint.CloudwatchLogsProcessor, `{"controlMessages":"drop"}`, nil},
		{"fail control messages", blueprint.CloudwatchLogsProcessor, `{"controlMessages":"fail"}`, nil},
		{"unknown blueprint", "apachelog-to-xml", "", blueprint.ErrUnknownBlueprint},
		{"unknown key", blueprint.ApachelogToJSON, `{"newlines":true}`, blueprint.ErrConfig},
		{"key in another case", blueprint.ApachelogToJSON, `{"Newline":true}`, blueprint.ErrConfig},
		{"null value", blueprint.ProcessRecord, `{"newline":null}`, nil},
		{"option of another blueprint", blueprint.SyslogToJSON, `{"combined":true}`, blueprint.ErrConfig},
		{"wrong type", blueprint.ProcessRecord, `{"newline":"yes"}`, blueprint.ErrConfig},
		{"bad enum", blueprint.CloudwatchLogsProcessor, `{"controlMessages":"ignore"}`, blueprint.ErrConfig},
		{"not an object", blueprint.ProcessRecord, `[1]`, blueprint.ErrConfig},
		{"trailing data", blueprint.ProcessRecord, `{} {}`, blueprint.ErrConfig},
		{"not JSON", blueprint.ProcessRecord, `{newline:true}`, blueprint.ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bp, err := blueprint.New(tc.bp, []byte(tc.config))
			if !errors.Is(err, tc.expErr) {
				t.Fatalf("error %v, want %v", err, tc.expErr)
			}
			if err == nil && bp.Name() != tc.bp {
				t.Errorf("Name() = %q, want %q", bp.Name(), tc.bp)
			}
		})
	}
}

func TestNewFromConfig(t *testing.T) {
	tests := []struct {
		name   string
		config string
		exp    string
		expErr error
	}{
		{"name only", `{"blueprint":"syslog-to-csv"}`, blueprint.SyslogToCSV, nil},
		{"name and options", `{"newline":true,"blueprint":"apachelog-to-json","combined":false}`, blueprint.ApachelogToJSON, nil},
		{"no name", `{"newline":true}`, "", blueprint.ErrConfig},
		{"name not a string", `{"blueprint":1}`, "", blueprint.ErrConfig},
		{"empty", ``, "", blueprint.ErrConfig},
		{"null", `null`, "", blueprint.ErrConfig},
		{"unknown name", `{"blueprint":"nope"}`, "", blueprint.ErrUnknownBlueprint},
		{"unknown option", `{"blueprint":"process-record","x":1}`, "", blueprint.ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bp, err := blueprint.NewFromConfig([]byte(tc.config))
			if !errors.Is(err, tc.expErr) {
				t.Fatalf("error %v, want %v", err, tc.expErr)
			}
			if err == nil && bp.Name() != tc.exp {
				t.Errorf("Name() = %q, want %q", bp.Name(), tc.exp)
			}
		})
	}
}

func TestNames(t *testing.T) {
	exp := []string{"apachelog-to-csv", "apachelog-to-json", "cloudwatch-logs-processor", "process-record", "syslog-to-csv", "syslog-to-json"}
	if got := blueprint.Names(); !slices.Equal(got, exp) {
		t.Errorf("Names() = %v, want %v", got, exp)
	}
}

func TestStatusString(t *testing.T) {
	for s, exp := range map[blueprint.Status]string{
		blueprint.StatusOk: "Ok", blueprint.StatusDropped: "Dropped",
		blueprint.StatusProcessingFailed: "ProcessingFailed", 7: "Status(7)",
	} {
		if s.String() != exp {
			t.Errorf("%d: %q, want %q", int(s), s, exp)
		}
	}
}

// TestAppendTransform checks that a batch can share one buffer: each
// result's Data stays intact while later records are appended, and failed
// records leave nothing behind.
func TestAppendTransform(t *testing.T) {
	bp, err := blueprint.New(blueprint.SyslogToCSV, []byte(`{"newline":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	var got []blueprint.Result
	for i := range 100 {
		line := fmt.Appendf(nil, "Oct 11 22:14:%02d host app[%d]: message %d", i%60, i+1, i)
		if i%3 == 0 {
			line = []byte("garbage")
		}
		var r blueprint.Result
		buf, r = bp.AppendTransform(buf, line)
		got = append(got, r)
	}
	for i, r := range got {
		if i%3 == 0 {
			if r.Status != blueprint.StatusProcessingFailed || r.Data != nil || r.Error == "" {
				t.Errorf("record %d: %+v, want ProcessingFailed with an error and no data", i, r)
			}
			continue
		}
		exp := fmt.Sprintf("Oct 11 22:14:%02d,host,app,%d,message %d\n", i%60, i+1, i)
		if r.Status != blueprint.StatusOk || string(r.Data) != exp {
			t.Errorf("record %d: %v %q, want Ok %q", i, r.Status, r.Data, exp)
		}
	}
}

// TestTransformEmpty checks that an Ok result with no bytes has non-nil
// empty Data and a newline is not added to it.
func TestTransformEmpty(t *testing.T) {
	bp, err := blueprint.New(blueprint.ProcessRecord, []byte(`{"newline":true}`))
	if err != nil {
		t.Fatal(err)
	}
	r := bp.Transform(nil)
	if r.Status != blueprint.StatusOk || r.Data == nil || len(r.Data) != 0 {
		t.Errorf("got %v %q (nil: %v), want Ok with empty data", r.Status, r.Data, r.Data == nil)
	}
}

// Transform one Apache log line, the blueprint's own example.
func ExampleBlueprint_Transform() {
	bp, err := blueprint.New("apachelog-to-json", []byte(`{"newline":true}`))
	if err != nil {
		panic(err)
	}
	r := bp.Transform([]byte(`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`))
	fmt.Print(r.Status, " ", string(r.Data))
	r = bp.Transform([]byte("not a log line"))
	fmt.Println(r.Status, r.Error)
	// Output:
	// Ok {"host":"127.0.0.1","ident":"-","authuser":"frank","request":"GET /apache_pb.gif HTTP/1.0","response":200,"bytes":2326,"verb":"GET","@timestamp":"2000-10-10T13:55:36.000Z","timezone":"-0700","@timestamp_utc":"2000-10-10T20:55:36.000Z"}
	// ProcessingFailed apachelog-to-json: the record is not an Apache access log line
}

// The plugins' configuration names the blueprint beside its options.
func ExampleNewFromConfig() {
	bp, err := blueprint.NewFromConfig([]byte(`{"blueprint":"syslog-to-json"}`))
	if err != nil {
		panic(err)
	}
	r := bp.Transform([]byte("Mar  1 06:25:43 server1 sshd[4123]: Accepted publickey for ubuntu\n"))
	fmt.Println(r.Status, string(r.Data))
	_, err = blueprint.NewFromConfig([]byte(`{"blueprint":"syslog-to-json","newlines":true}`))
	fmt.Println(err)
	// Output:
	// Ok {"timestamp":"Mar  1 06:25:43","hostname":"server1","program":"sshd","processid":"4123","message":"Accepted publickey for ubuntu"}
	// syslog-to-json: invalid blueprint configuration: unknown option "newlines" (the options are: newline)
}
