package window

import "github.com/fcsync/fcsync/shared/job"

// endEdge is where the window's read ends. A time window with skipExceedRecord: false also
// reads the records past its end time that were in Kafka when it was scheduled: up to the first
// offset stamped at or after the scheduled time (see job.Kafka.IncludeExceed). The scheduled
// time, not the wall clock, bounds it, so a backfill or a late run plans the same range.
func (r *runner) endEdge() job.Position {
	end := r.job.Reader.End
	if r.job.Reader.IncludeExceed && r.timeWindow() && r.job.At.After(end.Time) {
		end.Time = r.job.At
	}
	return end
}
