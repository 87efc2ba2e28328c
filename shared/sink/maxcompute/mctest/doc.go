// Package mctest is an in-process MaxCompute test server that speaks the wire protocol the Go
// SDK (github.com/aliyun/aliyun-odps-go-sdk) uses, so the MaxCompute sink is tested through the
// real SDK: no MaxCompute service is reachable from the build machines and no public emulator
// answers in shapes the Go SDK can parse.
//
// # What it serves
//
// Two listeners on 127.0.0.1, both closed by Close (New registers it with the test's Cleanup):
//
//   - the REST API at Endpoint() (base path /api): tunnel endpoint discovery
//     (GET /projects/{p}/tunnel?service), table metadata (GET /projects/{p}/tables/{t}, also
//     ?extended), partitions (?partitions: listed in pages with a Marker, filtered by a
//     partition prefix; ?partition=<spec>: one partition's metadata, also ?extended), SQL
//     instances (POST /projects/{p}/instances with the XML SQL task, then the GETs
//     WaitForSuccess makes: the instance, ?taskstatus and ?result), and what PyODPS asks once per
//     client (GET /logview/host, GET /tenants);
//   - the tunnel at TunnelEndpoint(): upload sessions on /projects/{p}/tables/{t} (create with
//     ?uploads and optional partition, overwrite, create_partition; reload; block PUT; commit)
//     and download sessions (create with ?downloads: a snapshot of the partition; reload; read
//     ?data&rowrange=(start,count) with an optional column list, zlib-compressed when the client
//     accepts deflate), so tests and users read back what was written.
//
// The SQL it runs is the DDL fcsync emits: CREATE TABLE [IF NOT EXISTS] with columns, COMMENT,
// PARTITIONED BY and LIFECYCLE; ALTER TABLE ... ADD [IF NOT EXISTS] PARTITION (...);
// ALTER TABLE ... ADD COLUMNS [IF NOT EXISTS] (...); and ALTER TABLE ... DROP [IF EXISTS]
// PARTITION (...), which the SDKs' partition deletion sends. Any other statement, path, method
// or tunnel feature (Arrow, streaming sessions, partition names only) is rejected with an error
// and recorded in Unexpected, so a test notices the sink asking for something the server does
// not model.
//
// Besides the Go SDK it was modelled on, sdk_test.go drives PyODPS and the Java SDK
// (odps-sdk-core) through all of the above (testdata/pyodps_ops.py, testdata/OdpsOps.java);
// readback_test.go keeps the request shapes they send covered with the Go SDK. For them the
// server also answers GET /projects/{p} (the owner and times in headers, as for instances:
// x-odps-owner, x-odps-start-time, x-odps-end-time), and a reload with getblockid=true.
//
// # Semantics it checks
//
//   - Every request carries `Authorization: ODPS <AccessKeyID>:<signature>` (or the v4 form
//     `ODPS <id>/<date>/<region>/odps/aliyun_v4_request:<signature>`), computed as the SDK's
//     signer does: HMAC-SHA1 over METHOD, Content-MD5, Content-Type, Date, the sorted x-odps-*
//     headers, the path without the endpoint's base path and the sorted query. A wrong or
//     missing signature, an unknown key, a wrong or missing STS token
//     (authorization-sts-token) or a Date more than 15 minutes off is refused (401/403).
//   - Block bodies are decoded with the SDK's exported pieces (tunnel.WrapByCompressor for
//     deflate (zlib), x-snappy-framed and zstd; tunnel.NewProtocStreamReader;
//     tunnel.NewCrc32CheckSum; datatype.ParseDataType): per-record CRC32C, the block's record
//     count and the CRC of the record CRCs must match, every value must fit its column
//     (INT range, VARCHAR/CHAR length, DECIMAL digits, valid JSON, DATETIME/DATE/TIMESTAMP
//     range, MaxFieldSize). A block that fails is refused whole (MalformedDataStream).
//   - Re-putting a block id replaces it. Data is invisible until the session commits; the commit
//     checks nothing about the client's block list (the SDK does that) and applies every block,
//     atomically, under one lock: rows are appended, or with overwrite=true they replace the
//     partition. A committed session is CLOSED: further blocks or commits are StatusConflict.
//     A missing partition is NoSuchPartition unless the session was created with
//     create_partition=true (the partition then appears at commit).
//   - Errors carry Code, Message and RequestId as the service does: JSON from the tunnel, XML
//     from the REST API (NoSuchProject, NoSuchTable, NoSuchPartition, NoSuchUpload,
//     InvalidPartitionSpec, StatusConflict, MalformedDataStream, SignatureNotMatch, ...).
//
// # Faults and inspection
//
// Inject queues faults for the next matching requests: a 5xx answer, a cut connection, a slow
// answer, a reply lost after the request took effect (commit applied, then the connection
// dropped), or a reply cut in the middle of its body. SetHook sees every request's Op and may
// return a fault for it, which crash tests use to stop a writer at any step.
//
// ExpireUpload and ForgetUpload age an upload session as the service does after a day;
// WithoutCreatePartition makes the tunnel ignore create_partition. Rows, RowCount, Partitions,
// Table, Tables, SQL, Uploads, Requests and Unexpected let a test look at what the server
// holds and what it was asked; Exec runs a statement to set up tables. WithoutRows keeps only
// row counts, for benchmarks.
package mctest
