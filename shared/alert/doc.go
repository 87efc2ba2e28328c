// Package alert evaluates alert rules over run records (package runlog) and sends notices to
// DingTalk robots and generic webhooks: DataWorks' real-time sync alerting, for fcsync's
// functions.
//
// A rule watches one metric of one job (or of every job, job "*"):
//
//	heartbeat  seconds since the job's last successful run ("no successful run within X")
//	failures   consecutive failed invocations, newest first (the status of the job)
//	delay      business delay: seconds between now and the newest data time a successful run
//	           made visible (a window's scheduled time, a micro-batch's newest record)
//	lag        messages behind the end of the source, as the newest run that knows it reported
//	failover   failed invocations within the rule's window (each one is a platform retry)
//	ddl        DDL events (columns added) within the window
//	dirty      dirty records within the window
//	memory     peak memory as a percentage of the function's memory size (max within the window)
//	duration   run time as a percentage of the function's timeout (max within the window)
//	stopped    1 while the newest run stopped the job's stream (run record error class
//	           "stopped": a dynamic field under the dynamic-column policy error, DataWorks'
//	           "Report Error"), else 0; use threshold 0
//
// and fires when the value exceeds its threshold and has kept exceeding it for the rule's `for`
// duration (DataWorks' "duration"). Severity is WARNING or CRITICAL. Once a rule has sent a
// notice for a job it sends no other firing notice for that job within the inhibition interval
// (default 5 minutes), so a flapping job cannot flood a channel: while the condition holds a
// reminder goes out once per interval (unless the rule says repeat: false, the default for ddl),
// and when it clears a recovery notice goes out (unless the rule says recovery: false, the
// default for ddl: an event does not end) if a firing notice had been sent.
//
// As in DataWorks, one rule may have a threshold per severity (threshold: {WARNING: x,
// CRITICAL: y}, and if need be for: {WARNING: 5m, CRITICAL: 15m}) and recipients per severity
// (notify: {WARNING: [...], CRITICAL: [...]}, naming channels defined once under channels).
// Each severity is its own alert: it fires, reminds and recovers on its own, and its notices,
// recovery included, go to its own recipients. A channel that two severities share is not told
// twice: while CRITICAL holds, WARNING's notices and reminders skip it, and when both recover at
// once it gets WARNING's recovery only. The older form (threshold, severity, channels) is one level and keeps its state key.
// A rule with enabled: false is parsed and checked like any other but never fires and keeps no
// state; `localrun status --alerts` lists it as disabled, and only enabled rules' channels are
// built (a disabled rule's secrets need not be set).
//
// Rules file (YAML; unknown fields are errors naming the rule and the field):
//
//	inhibit: 5m                    # default inhibition interval
//	channels:
//	  ops:
//	    type: dingtalk             # a DingTalk custom robot with the "sign" security setting
//	    webhook: ${DINGTALK_WEBHOOK}   # https://oapi.dingtalk.com/robot/send?access_token=...
//	    secret: ${DINGTALK_SECRET}     # SEC...
//	    msgtype: markdown          # or text
//	    atMobiles: ["13800000000"]
//	  pager:
//	    type: webhook              # POST of the notice as JSON
//	    url: ${PAGER_URL}
//	    headers: {Authorization: "Bearer ${PAGER_TOKEN}"}
//	rules:
//	  - name: orders-5min-heartbeat
//	    job: orders_5min
//	    metric: heartbeat
//	    threshold: 15m             # time metrics take a duration or seconds
//	    severity: CRITICAL
//	    channels: [ops, pager]
//	  - name: orders-5min-delay
//	    job: orders_5min
//	    metric: delay
//	    threshold: {WARNING: 20m, CRITICAL: 40m}
//	    notify: {WARNING: [ops], CRITICAL: [ops, pager]}
//	  - name: old-lag
//	    job: orders_rt
//	    metric: lag
//	    threshold: 100000
//	    enabled: false             # switched off, still checked
//	    channels: [ops]
//	  - name: dirty-records
//	    job: "*"
//	    metric: dirty
//	    threshold: 100
//	    window: 30m                # for count and resource metrics (default 30m)
//	    for: 10m
//	    inhibit: 15m
//	    channels: [ops]
//
// Secrets: channel fields may name environment variables as ${NAME}; they are read only when the
// channels are built (Config.Channels), never printed, and errors about a channel name the field
// and the variable, never the value. Request errors carry the channel's host, never its URL
// (DingTalk's access token is in the query; many webhooks keep theirs in the path).
//
// DingTalk signing (the robot's "加签" setting): timestamp is the current time in milliseconds,
// sign = urlencode(base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret))), both
// added to the webhook's query. DingTalk refuses a timestamp more than an hour off, and a robot
// accepts at most 20 messages a minute: the inhibition interval keeps well below that.
//
// Evaluation is a state machine per rule and job (Evaluator), driven by a clock the caller passes
// in; its state is plain JSON. Monitor.Check lists recent run records, advances the state kept in
// a state log on the object store (so overlapping checks never send a notice twice) and delivers
// the notices; run it from a timer, e.g. every minute. Replay evaluates a history at fixed steps,
// which is what `localrun status --alerts` prints.
package alert
