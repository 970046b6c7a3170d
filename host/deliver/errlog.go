package deliver

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrorEvent is one delivery or processing error, as kept for the console
// and written to the stream's error log when CloudWatchLoggingOptions is on.
type ErrorEvent struct {
	// Time is when the error happened.
	Time time.Time `json:"timestamp"`
	// ErrorCode is Firehose's code, e.g. S3.AccessDenied, S3.NoSuchBucket, InternalError.
	ErrorCode string `json:"errorCode"`
	// Message is the error text.
	Message string `json:"message"`
	// Key is the object key the error concerns, if any.
	Key string `json:"objectKey,omitempty"`
	// Attempt is the attempt number of a retried call.
	Attempt int `json:"attempt,omitempty"`
}

// recentErrorsKept is how many errors RecentErrors keeps.
const recentErrorsKept = 100

// errorLog appends Firehose-style JSON error records to the file standing in
// for a CloudWatch Logs stream: <logs dir>/<LogGroupName>/<LogStreamName>.log.
type errorLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// logPath maps a log group and stream to a file under root. Group names may
// hold '/', which become folders; stream names may hold any character but
// ':' and '*', so path separators and dot-segments in them are replaced.
func logPath(root, group, stream string) (string, error) {
	if root == "" || group == "" || stream == "" {
		return "", errors.New("error log: no folder, log group or log stream")
	}
	var parts []string
	for _, seg := range strings.Split(group, "/") {
		if seg == "" || seg == "." || seg == ".." {
			continue
		}
		parts = append(parts, seg)
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("error log: log group %q names no folder", group)
	}
	s := strings.NewReplacer("/", "_", "\\", "_").Replace(stream)
	if s == "." || s == ".." {
		s = "_" + s
	}
	return filepath.Join(append(append([]string{root}, parts...), s+".log")...), nil
}

// write appends one JSON line.
func (l *errorLog) write(rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
			return fmt.Errorf("error log: %w", err)
		}
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("error log: %w", err)
		}
		l.f = f
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("error log %s: %w", l.path, err)
	}
	return nil
}

func (l *errorLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// cloudWatchRecord is the JSON shape Firehose writes to CloudWatch Logs for
// an S3 delivery error.
type cloudWatchRecord struct {
	DeliveryStreamARN       string `json:"deliveryStreamARN"`
	Destination             string `json:"destination"`
	DeliveryStreamVersionID int64  `json:"deliveryStreamVersionId"`
	Message                 string `json:"message"`
	ErrorCode               string `json:"errorCode"`
	Timestamp               int64  `json:"timestamp,omitempty"`
}
