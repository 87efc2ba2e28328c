// Package schedule evaluates DataWorks scheduling parameters and Function Compute timer cron
// expressions, so a batch window's [startTime, endTime) and partition come out exactly as
// DataWorks computes them ("DataWorks: Supported formats for scheduling parameters", and the
// window table of "DataWorks: Synchronize incremental data from Kafka to MaxCompute").
//
// # Scheduling parameters
//
// Every expression is evaluated at the instance's scheduled time `at`, in at.Location() (the job's
// time zone). Two bases exist:
//
//   - ${fmt±N}: the business date (scheduled date minus one calendar day), day precision, tokens
//     yyyy yy mm dd. The unit of N is the finest token in fmt: days when fmt has dd (N may be a
//     product, ${yyyymmdd-7*2} is two weeks), months when it has mm but no dd (${yyyymm-1}), years
//     when it has only yyyy/yy (${yyyy-1}). Month and year offsets clamp to the month end.
//   - $[fmt±N]: the scheduled time itself, second precision, tokens yyyy yy mm dd hh24 mi ss. N is in
//     days: N/24 is hours, N/24/60 minutes, N*M products. The offset is what follows the LAST + or -
//     that is directly followed by a digit; everything before it is the format. An offset that is a
//     whole number of days moves the calendar date and keeps the wall-clock time (civil arithmetic);
//     any other offset moves the instant by that duration and the result is read in the zone again,
//     so across a DST change "-1/24" is one real hour. $[add_months(fmt,±N)] moves N calendar
//     months and clamps to the month end (Jan 31 + 1 month = Feb 28/29).
//
// Format literals are the characters - / : _ . only; letters other than tokens, digits and spaces
// are errors, as are empty formats, a format without any token, and offsets beyond ±10000 years.
//
// System parameters: $bizdate = ${yyyymmdd}; $cyctime = $[yyyymmddhh24miss]; $gmtdate = $[yyyymmdd]
// (the scheduled date); $bizmonth = the yyyymm of the business date's month, except that when that
// month equals the scheduled time's month it is the previous month. Both branches give the month
// before the scheduled month, so it is implemented as $[add_months(yyyymm,-1)], computed from the
// scheduled time (not the wall clock), which keeps backfills reproducible. The braced forms
// ${bizdate}, ${cyctime}, ${gmtdate} and ${bizmonth} mean the same.
//
// # Text expansion
//
// Expand and Template substitute inside arbitrary job text: ${name} takes vars[name] when present,
// otherwise a system parameter or a ${...} date expression; $[...] is always an expression;
// $bizdate-style names (followed by a non-identifier character) take vars first as well. An unknown
// ${name} is an error naming it; an unclosed ${ or $[ is an error. $$ is an escaped literal $ (so
// $${x} yields ${x}); any other $ (such as "$5" or "$foo") is kept literally. Values from vars are
// inserted as they are, never expanded again.
//
// # Cron
//
// ParseCron reads the FC timer syntax: six fields with seconds (sec min hour dom month dow), *, ?,
// ranges, lists, steps and month/weekday names, @every <duration> (whole seconds, ticks anchored at
// the Unix epoch), the @yearly/@monthly/@weekly/@daily/@hourly shorthands, and an optional
// CRON_TZ=<zone> (or TZ=<zone>) prefix. ? is allowed in the two day fields only; 7 is Sunday as 0.
// Without a prefix the cron is evaluated in the location of the time passed to Next/Prev/Between
// (FC itself uses UTC); with one it is evaluated in that zone. Results are always returned in the
// location of the time passed in. A day-of-month/month combination that never exists (Feb 30) is a
// parse error.
// Day of month and day of week combine like Vixie cron: when both are restricted a day matching
// either fires, otherwise both must match. In zones with DST a wall-clock time that does not exist
// never fires. A repeated wall-clock time fires at both of its instants when the cron fires in
// every hour (hour field *, as an FC timer, which runs on UTC, fires in both real hours of a
// fall-back overlap), and once (the instant time.Date picks) when the cron names hours. Between
// returns at most MaxTicks ticks; BetweenLimit reports truncation.
//
// The package imports time/tzdata so zones load even where the runtime has no zoneinfo files.
package schedule
