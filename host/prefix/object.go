package prefix

import (
	"time"
	"unsafe"
)

// ObjectName returns the part of an S3 key that follows the evaluated
// prefix:
//
//	<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><ext>
//
// for example my-stream-1-2016-02-25-13-05-09-a9fa96af-e4e4-409f-bac3-1f804714faaa.
// version is the stream's VersionId at delivery time, t the arrival time of
// the oldest record in the object, shown in loc (nil means UTC, as with
// Env.Location), uuid a random UUID and ext the file extension with its
// dot, or "".
func ObjectName(stream, version string, t time.Time, loc *time.Location, uuid, ext string) string {
	b := make([]byte, 0, len(stream)+len(version)+len(uuid)+len(ext)+22)
	b = AppendObjectName(b, stream, version, t, loc, uuid, ext)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not retained

}

// AppendObjectName is like ObjectName but appends to b and returns the
// extended buffer, so that a caller can build prefix and name in one
// buffer.
func AppendObjectName(b []byte, stream, version string, t time.Time, loc *time.Location, uuid, ext string) []byte {
	if loc != nil {
		t = t.In(loc)
	} else {
		t = t.UTC()
	}
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	b = append(b, stream...)
	b = append(b, '-')
	b = append(b, version...)
	b = append(b, '-')
	b = appendYear(b, int64(year), 4)
	for _, v := range [...]int{int(month), day, hour, min, sec} {
		b = appendPad(append(b, '-'), v, 2)
	}
	b = append(b, '-')
	b = append(b, uuid...)
	return append(b, ext...)
}
