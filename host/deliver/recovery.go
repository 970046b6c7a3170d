package deliver

import (
	"github.com/wasmhose/wasmhose/host/wal"
)

// errorCodeLogDamaged is the error code reported when the write-ahead log
// holds damaged data: records that were written, and may have been
// acknowledged, and can no longer be read. Firehose has no such code; the
// name follows its style.
const errorCodeLogDamaged = "WriteAheadLog.Damaged"

// reportRecovery says what opening the log found: a torn tail quietly (a
// crash cuts the write it interrupts, which was never acknowledged), and
// damage loudly, once per damaged range: an ERROR log line, an entry in
// the stream's recent errors (and error log), and the counters of Stats.
func (p *Pipeline) reportRecovery(st *settings, rec wal.Recovery) {
	log := p.opts.Logger
	if rec.TornSegment != "" {
		log.Info("write-ahead log: torn tail of a write interrupted by a crash cut off; it was never acknowledged",
			"stream", st.name, "segment", rec.TornSegment, "bytes", rec.TruncatedBytes)
	}
	if r := rec.Skipped; r.To > r.From {
		log.Info("write-ahead log: sequence numbers leased before the log stopped without closing are skipped, so no RecordId is given twice",
			"stream", st.name, "from", r.From, "to", r.To)
	}
	if rec.CheckpointErr != nil {
		log.Warn("write-ahead log: checkpoint unreadable; records already delivered may be delivered again", "stream", st.name, "err", rec.CheckpointErr)
	}
	if rec.LeaseErr != nil {
		log.Warn("write-ahead log: sequence lease unreadable; a block of sequence numbers is skipped", "stream", st.name, "err", rec.LeaseErr)
	}
	for _, h := range rec.Holes {
		log.Warn("write-ahead log: sequence numbers held by no segment and not marked delivered", "stream", st.name, "from", h.From, "to", h.To)
	}
	for _, d := range rec.Damaged {
		p.logDamagedRanges.Add(1)
		p.logDamagedBytes.Add(d.Bytes())
		log.Error("write-ahead log damaged: the records in the damaged range cannot be delivered; everything around it is",
			"stream", st.name, "segment", d.Segment, "offset", d.Offset, "end", d.End, "bytes", d.Bytes(),
			"seqFrom", d.Seqs.From, "seqTo", d.Seqs.To, "quarantine", d.Quarantine, "err", d.Err)
		p.reportError(st, ErrorEvent{Time: p.opts.Now(), ErrorCode: errorCodeLogDamaged, Message: d.String()})
	}
}

// LogDamage returns the damage Open found in the stream's write-ahead log
// (see wal.Recovery.Damaged): empty for a healthy log.
func (p *Pipeline) LogDamage() []wal.Damage { return p.log.Recovered().Damaged }
