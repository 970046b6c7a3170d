package api

import (
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/wasmhose/wasmhose/host/apierror"
	"github.com/wasmhose/wasmhose/host/stream"
)

func (s *Server) create(c echo.Context, in *stream.CreateInput, info *callInfo) (any, error) {
	arn, err := s.b.Create(c.Request().Context(), in)
	if err != nil {
		return nil, err
	}
	return map[string]string{"DeliveryStreamARN": arn}, nil
}

type describeInput struct {
	DeliveryStreamName          *string
	Limit                       *int
	ExclusiveStartDestinationId *string
}

func (s *Server) describe(c echo.Context, in *describeInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	checkRange(&v, "limit", in.Limit, 1, 10000)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := s.b.Describe(c.Request().Context(), *in.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	if in.ExclusiveStartDestinationId != nil && *in.ExclusiveStartDestinationId >= stream.DefaultDestinationID {
		d.Destinations = []stream.DestinationDescription{}
	}
	return map[string]any{"DeliveryStreamDescription": d}, nil
}

type listInput struct {
	Limit                            *int
	DeliveryStreamType               *string
	ExclusiveStartDeliveryStreamName *string
}

func (s *Server) list(c echo.Context, in *listInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkRange(&v, "limit", in.Limit, 1, 10000)
	if in.DeliveryStreamType != nil {
		switch *in.DeliveryStreamType {
		case stream.TypeDirectPut, stream.TypeKinesisStreamAsSource, stream.TypeMSKAsSource, stream.TypeDatabaseAsSource:
		default:
			v.Add("deliveryStreamType", *in.DeliveryStreamType, true, "Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]")
		}
	}
	if in.ExclusiveStartDeliveryStreamName != nil {
		checkNameAt(&v, "exclusiveStartDeliveryStreamName", *in.ExclusiveStartDeliveryStreamName)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	limit := 10
	if in.Limit != nil {
		limit = *in.Limit
	}
	names, more := s.b.List(c.Request().Context(), limit, deref(in.DeliveryStreamType), deref(in.ExclusiveStartDeliveryStreamName))
	if names == nil {
		names = []string{}
	}
	return map[string]any{"DeliveryStreamNames": names, "HasMoreDeliveryStreams": more}, nil
}

type deleteInput struct {
	DeliveryStreamName *string
	AllowForceDelete   *bool
}

func (s *Server) delete(c echo.Context, in *deleteInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return nil, s.b.Delete(c.Request().Context(), *in.DeliveryStreamName, in.AllowForceDelete != nil && *in.AllowForceDelete)
}

func (s *Server) update(c echo.Context, in *stream.UpdateInput, info *callInfo) (any, error) {
	return nil, s.b.Update(c.Request().Context(), in)
}

// record is the Record shape; a nil Data means the member was absent.
type record struct {
	Data blob
}

type putRecordInput struct {
	DeliveryStreamName *string
	Record             *record
}

func (s *Server) putRecord(c echo.Context, in *putRecordInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	if in.Record == nil {
		v.Add("record", "", false, "Member must not be null")
	} else {
		checkData(&v, "record.data", in.Record.Data)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	info.stream, info.records, info.bytes = *in.DeliveryStreamName, 1, len(in.Record.Data)
	ids, enc, err := s.b.Put(c.Request().Context(), *in.DeliveryStreamName, [][]byte{in.Record.Data})
	if err != nil {
		if apierror.As(err).Type == apierror.TypeServiceUnavailable {
			info.failed = 1
		}
		return nil, err
	}
	return putRecordOutput{RecordId: ids[0], Encrypted: enc}, nil
}

type putRecordOutput struct {
	RecordId  string
	Encrypted bool
}

type putRecordBatchInput struct {
	DeliveryStreamName *string
	Records            []record
}

type batchEntry struct {
	RecordId     string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
}

type putRecordBatchOutput struct {
	FailedPutCount   int
	Encrypted        bool
	RequestResponses []batchEntry
}

// decodeBody decodes a PutRecordBatch body, through the fast decoder when
// the body has its common shape.
func (in *putRecordBatchInput) decodeBody(body []byte) error {
	if fast, ok := decodeBatchFast(body); ok {
		*in = fast
		return nil
	}
	return decode(body, in)
}

func (s *Server) putRecordBatch(c echo.Context, in *putRecordBatchInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	switch {
	case in.Records == nil:
		v.Add("records", "", false, "Member must not be null")
	case len(in.Records) < 1:
		v.Add("records", "", false, "Member must have length greater than or equal to 1")
	case len(in.Records) > MaxBatchRecords:
		v.Add("records", "", false, fmt.Sprintf("Member must have length less than or equal to %d", MaxBatchRecords))
	}
	total := 0
	countOK := len(in.Records) >= 1 && len(in.Records) <= MaxBatchRecords
	for i, r := range in.Records {
		// Per-record checks only for a batch of legal length, so that a
		// huge malformed batch cannot make a huge answer.
		if countOK {
			checkData(&v, fmt.Sprintf("records.%d.member.data", i+1), r.Data)
		}
		total += len(r.Data)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if total > MaxBatchBytes {
		return nil, apierror.InvalidArgument("Records size exceeds 4 MB limit")
	}
	data := make([][]byte, len(in.Records))
	for i, r := range in.Records {
		data[i] = []byte(r.Data)
	}
	info.stream, info.records, info.bytes = *in.DeliveryStreamName, len(data), total
	out := putRecordBatchOutput{RequestResponses: make([]batchEntry, len(data))}
	ids, enc, err := s.b.Put(c.Request().Context(), *in.DeliveryStreamName, data)
	if err != nil {
		e := apierror.As(err)
		if e.Type != apierror.TypeServiceUnavailable && e.Type != apierror.TypeInternalFailure {
			return nil, err
		}
		// Throttling and internal failures are per record, with HTTP 200.
		for i := range out.RequestResponses {
			out.RequestResponses[i] = batchEntry{ErrorCode: e.Type, ErrorMessage: e.Message}
		}
		out.FailedPutCount = len(data)
		info.failed = len(data)
		return out, nil
	}
	out.Encrypted = enc
	for i, id := range ids {
		out.RequestResponses[i].RecordId = id
	}
	return out, nil
}

type tagInput struct {
	DeliveryStreamName string
	Tags               []stream.Tag
}

func (s *Server) tag(c echo.Context, in *tagInput, info *callInfo) (any, error) {
	return nil, s.b.Tag(c.Request().Context(), in.DeliveryStreamName, in.Tags)
}

type untagInput struct {
	DeliveryStreamName string
	TagKeys            []string
}

func (s *Server) untag(c echo.Context, in *untagInput, info *callInfo) (any, error) {
	return nil, s.b.Untag(c.Request().Context(), in.DeliveryStreamName, in.TagKeys)
}

type listTagsInput struct {
	DeliveryStreamName   *string
	ExclusiveStartTagKey *string
	Limit                *int
}

func (s *Server) listTags(c echo.Context, in *listTagsInput, info *callInfo) (any, error) {
	var v apierror.Violations
	checkName(&v, in.DeliveryStreamName)
	checkRange(&v, "limit", in.Limit, 1, 50)
	if err := v.Err(); err != nil {
		return nil, err
	}
	limit := 0
	if in.Limit != nil {
		limit = *in.Limit
	}
	tags, more, err := s.b.ListTags(c.Request().Context(), *in.DeliveryStreamName, deref(in.ExclusiveStartTagKey), limit)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []stream.Tag{}
	}
	return map[string]any{"Tags": tags, "HasMoreTags": more}, nil
}

// checkName checks a required stream name member.
func checkName(v *apierror.Violations, name *string) {
	if name == nil {
		v.Add("deliveryStreamName", "", false, "Member must not be null")
		return
	}
	checkNameAt(v, "deliveryStreamName", *name)
}

// checkNameAt checks a stream name found at path.
func checkNameAt(v *apierror.Violations, path, name string) {
	if err := stream.CheckStreamName(name); err != nil {
		msg := trimPrefix(apierror.As(err).Message)
		v.Addf("%s", strings.Replace(msg, "'deliveryStreamName'", "'"+path+"'", 1))
	}
}

// trimPrefix removes "1 validation error detected: " so a nested check's
// message joins the caller's list.
func trimPrefix(msg string) string {
	const p = "1 validation error detected: "
	if len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

func checkRange(v *apierror.Violations, path string, val *int, lo, hi int) {
	if val == nil {
		return
	}
	if *val < lo {
		v.Add(path, fmt.Sprint(*val), true, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	}
	if *val > hi {
		v.Add(path, fmt.Sprint(*val), true, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
}

func checkData(v *apierror.Violations, path string, data []byte) {
	if data == nil {
		v.Add(path, "", false, "Member must not be null")
		return
	}
	if len(data) > MaxRecordBytes {
		v.Add(path, "", false, fmt.Sprintf("Member must have length less than or equal to %d", MaxRecordBytes))
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
