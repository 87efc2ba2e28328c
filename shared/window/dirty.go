package window

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/fcsync/fcsync/shared/column"
	"github.com/fcsync/fcsync/shared/record"
)

// maxDirtyKept bounds the dirty records a window keeps in detail; all are counted.
const maxDirtyKept = 10000

// maxDirtyValue bounds the bytes of a key or value copied into a dirty record.
const maxDirtyValue = 1024

// dirtyRecord is one line of a window's dirty-data object.
type dirtyRecord struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Timestamp int64  `json:"timestamp"`
	Column    string `json:"column,omitempty"`
	Reason    string `json:"reason"`
	Key       string `json:"key,omitempty"`
	Value     string `json:"value,omitempty"`
	// Encoding is "base64" when Key and Value are base64 (binary data), empty for text.
	Encoding  string `json:"encoding,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	late      bool
}

func newDirty(rec *record.Record, err error) dirtyRecord {
	d := dirtyRecord{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.TimestampMillis(), Reason: err.Error()}
	var de *column.DirtyError
	if errors.As(err, &de) {
		d.Column = de.Column
		d.Reason = de.Reason
	}
	d.Key, d.Value, d.Encoding, d.Truncated = excerpt(rec.Key, rec.Value)
	return d
}

func newLateDirty(rec *record.Record, reason string) dirtyRecord {
	d := newDirty(rec, errors.New(reason))
	d.late = true
	return d
}

// excerpt copies at most maxDirtyValue bytes of key and value (cut at a character boundary), as
// text when both are UTF-8.
func excerpt(key, value []byte) (k, v, enc string, truncated bool) {
	cut := func(b []byte) []byte {
		if len(b) <= maxDirtyValue {
			return b
		}
		truncated = true
		// Do not split a UTF-8 sequence, or a long text value would be shown as base64.
		n := maxDirtyValue
		for i := 1; i < utf8.UTFMax && !utf8.RuneStart(b[n]); i++ {
			n--
		}
		return b[:n]
	}
	kb, vb := cut(key), cut(value)
	if utf8.Valid(kb) && utf8.Valid(vb) {
		return string(kb), string(vb), "", truncated
	}
	return base64.StdEncoding.EncodeToString(kb), base64.StdEncoding.EncodeToString(vb), "base64", truncated
}

type dirtyLog struct {
	job   string
	tick  time.Time
	kept  []dirtyRecord
	extra int64
}

func newDirtyLog(jobName string, tick time.Time) *dirtyLog {
	return &dirtyLog{job: jobName, tick: tick}
}

func (d *dirtyLog) add(r dirtyRecord) {
	if len(d.kept) < maxDirtyKept {
		d.kept = append(d.kept, r)
		return
	}
	d.extra++
}

func (d *dirtyLog) first() string {
	for _, r := range d.kept {
		if !r.late {
			return fmt.Sprintf("%s/%d@%d %s: %s", r.Topic, r.Partition, r.Offset, r.Column, r.Reason)
		}
	}
	return ""
}

// saveDirty writes the window's dirty records as JSON lines to dirty/<job>/<tick>.jsonl, replacing
// an earlier attempt's object. Nothing is written when there is no dirty data.
func (r *runner) saveDirty(ctx context.Context, d *dirtyLog, counts Counts) (string, error) {
	key := "dirty/" + r.spec.Name + "/" + r.job.At.UTC().Format("20060102T150405Z") + ".jsonl"
	if len(d.kept) == 0 {
		if err := r.env.Store.Delete(ctx, key); err != nil {
			return "", fmt.Errorf("dirty data %s: %w", key, err)
		}
		return "", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, rec := range d.kept {
		if err := enc.Encode(rec); err != nil {
			return "", err
		}
	}
	if d.extra > 0 {
		fmt.Fprintf(&buf, `{"reason":"%d more dirty records not kept in detail"}`+"\n", d.extra)
	}
	if err := r.env.Store.Put(ctx, key, buf.Bytes()); err != nil {
		return "", fmt.Errorf("dirty data %s: %w", key, err)
	}
	return key, nil
}
