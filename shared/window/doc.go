// Package window runs one bounded batch window of a job: Kafka records between two offsets per
// partition, mapped onto the destination columns, written to one warehouse partition.
//
// How a window avoids the data loss DataWorks documents at window edges:
//
//  1. Plan. The window's offset ranges are fixed once, in the job's state log (package state), before
//     anything is written: start = the previous planned window's end offsets (or the job's begin
//     position for the first window), end = the first offset whose timestamp is at or after the
//     window end (or the given end offset), never past the partition's last stable offset (under
//     read_committed, the default: the first offset of the oldest open transaction) nor the next
//     planned window's start. A transaction open when a window is planned is left whole to a
//     later window, which reads it once it ended; records of aborted transactions are never
//     read (package kafka). Windows
//     therefore tile each partition's offsets with no gap and no overlap, whatever the record
//     timestamps say, and a rerun of the same scheduled time reads exactly the same records.
//  2. Write. Records stream through the column mapper into a sink session whose segment id is the
//     job and scheduled time, so a rerun or a duplicate invocation replaces rather than adds.
//     A record whose timestamp lies outside [start, end) follows the job's late-data policy:
//     by default it goes to the partition its own timestamp belongs to, and is counted.
//  3. Commit the sink, then mark the window committed in the state log with its counts.
//
// A crash between any two steps is repaired by the rerun: the plan is already fixed, the sink
// segment is replaced, and the state commit is repeated.
package window
