// Package process is the real-time processing chain of DataWorks' single-table real-time sync
// ("DataWorks: Synchronize data from a Kafka table to OSS (Hudi) in real time" and "DataWorks:
// 单表实时同步任务配置"): Data Masking, Replace String, Data Filtering, JSON Parsing and Edit Field and
// Assign Value, applied to each record in the configured order.
//
// # Messages
//
// A Message is one record as an ordered list of named fields. It starts with the six
// attribute fields of the Kafka Reader, in DataWorks' order: __key__, __value__,
// __partition__, __headers__, __offset__ and __timestamp__. Field names are compared
// exactly (case-sensitively) inside the chain.
//
// A value is one of:
//
//   - nil: NULL (a null key, a tombstone value, a JSON null, a missing path);
//   - string: text (valid UTF-8 when it came from JSON);
//   - int64: whole numbers (__partition__, __offset__, __timestamp__ in epoch
//     milliseconds, JSON integers that fit);
//   - float64: other numbers;
//   - bool;
//   - []byte: __key__ and __value__ as the record's bytes (text to text processors when
//     valid UTF-8; binary otherwise);
//   - time.Time: JSON fields given a DATETIME, TIMESTAMP or DATE type;
//   - column.JSONText: a JSON object or array kept as its compact text (__headers__,
//     dynamic fields holding arrays or {}, fields typed JSON).
//
// JSON parsing's dynamic output fields are marked (Message.Dynamic): only they are subject
// to the destination's dynamic-column policy (shared/fieldmap).
//
// Speed: a Message allocates nothing per record for its attribute fields; JSON parsing
// makes one validating pass over the document (column.JSONPaths) and puts all text
// outputs of a record into one allocation (so a kept text field holds the others' bytes
// alive as long as it lives). BenchmarkChainStreamWorkload in shared/fieldmap measures
// the whole chain and mapping on the stream benchmark workload.
//
// # Configuration
//
// A chain is a list; each element is a mapping with one key, the processor's name:
//
//	processors:
//	  - json: {fields: [{name: amount, path: amount, type: DOUBLE}]}
//	  - filter: {field: amount, op: ">=", value: 100}
//
// Unknown fields are errors that name the field: processors[1].filter.opp: unknown field.
// A record a processor cannot handle becomes dirty data: Chain.Process returns a
// *DirtyError naming the processor, the field and the reason, with a short excerpt of the
// value (never for masked fields, never more than 64 bytes, cut at a character boundary).
// Bad input (malformed JSON, binary values, huge or deeply nested documents, hostile
// key names) never panics.
//
// # JSON Parsing (json)
//
// Parses the JSON text in a field (from, default __value__; []byte, string or
// column.JSONText; null or missing gives null outputs; text that is not exactly one JSON
// document makes the record dirty). Fixed output fields take a path in the Kafka Reader's
// syntax (a.a1, c[1], d[0].AA; a key containing '.' cannot be reached) and a type (default
// STRING): the value is converted as the Kafka Reader converts it (a JSON object or array
// into STRING is its compact text; into JSON it is column.JSONText). len(path) is the
// number of elements of an array, members of an object or characters of a string (type
// BIGINT by default). A missing path gives null. The source field is kept unless
// keepSource is false.
//
//	processors:
//	  - json:
//	      from: __value__
//	      fields:
//	        - {name: order_id, path: order_id}
//	        - {name: user_name, path: user.name}
//	        - {name: first_sku, path: "items[0].sku"}
//	        - {name: item_count, path: len(items)}
//	        - {name: amount, path: amount, type: DOUBLE}
//	      keepSource: false
//
// Dynamic output fields: every leaf of the document's object (or of the object at
// dynamic.path) becomes a field named prefix + its key path joined with separator (default
// "_"): {"user":{"id":7}} gives user_id. Nested objects are entered; arrays and {} are
// leaves kept as column.JSONText; scalars take their natural type (int64 when integral and
// in range, else float64; an integer beyond int64 keeps its digits as a string). A
// document that is not an object gives no dynamic fields. A dynamic field never replaces a
// field that is not dynamic (so fixed outputs win); between dynamic fields of one name the
// last wins. A name that is not a valid column name (schema.ValidateName) makes the
// record dirty (invalidNames: dirty, the default), is skipped (skip), or has each
// character outside [A-Za-z0-9_] replaced by _ (sanitize). More than maxFields (default
// 64, at most 4096) dynamic fields make the record dirty.
//
//	processors:
//	  - json:
//	      fields:
//	        - {name: event, path: type}
//	      dynamic:
//	        path: data
//	        prefix: d_
//	        maxFields: 32
//	        invalidNames: skip
//
// # Data Masking (mask)
//
// Per-field rules, applied in order; a missing or null field is left alone:
//
//   - hash: lower-case hex of sha256 (default), sha1 or md5 over salt + value (a []byte is
//     hashed as its bytes, other values as their text);
//   - partial: keep the first keepFirst and the last keepLast characters (Unicode
//     characters, not bytes) and replace every other character with char (default *); a
//     value with no more than keepFirst+keepLast characters is masked entirely;
//   - constant: replace with value;
//   - null: set null (method: null, with or without quotes).
//
// For example:
//
//	processors:
//	  - mask:
//	      fields:
//	        - {field: email, method: hash, algorithm: sha256, salt: s3cret}
//	        - {field: phone, method: partial, keepFirst: 3, keepLast: 2, char: "#"}
//	        - {field: card, method: constant, value: "****"}
//	        - {field: id_number, method: null}
//
// # Replace String (replace)
//
// Per-field find and replace, applied in order; the result is text. Matching is
// case-insensitive unless caseSensitive is true (DataWorks' default). In literal mode
// find and replace understand \t, \n, \r, \\ and \uXXXX (so \u0001 is the SOH control
// character); other backslashes are literal. With regex: true, find is an RE2 regular
// expression (rejected at load when invalid; \uXXXX is accepted there too) and replace may
// use $1 or ${name}. A binary (non-UTF-8) value makes the record dirty.
//
//	processors:
//	  - replace:
//	      fields:
//	        - {field: note, find: "\\t", replace: " "}
//	        - {field: note, find: "GIFT WRAP", replace: "gift-wrap"}
//	        - {field: phone, find: "[^0-9+]", replace: "", regex: true}
//	        - {field: status, find: "cancel(l)?ed", replace: "void", regex: true, caseSensitive: true}
//
// # Data Filtering (filter)
//
// A condition, either one rule {field, op, value, ignoreCase} or a group {and: [...]} /
// {or: [...]} whose elements are rules or groups (nested up to 32 deep). With action: keep
// (the default) records matching the condition pass and the rest are dropped; with
// action: drop records matching it are dropped.
//
// Operators: =, != (<>), <, <=, >, >=, contains, not contains, in, not in (a list, or
// comma-separated text), is null, is not null (no value), starts with, ends with, regex
// match (RE2, matches anywhere unless anchored). Comparison is numeric when both the field
// value and the operand are numbers (int64 or float64 values, or text that is a decimal
// number such as "0100" or "1e3"; integers compare exactly), and otherwise compares the
// texts in byte (code point) order; ignoreCase folds case for text. Null semantics follow
// SQL: a null or missing field matches only is null; every other operator, including !=,
// not in and not contains, is false for it.
//
//	processors:
//	  - filter:
//	      and:
//	        - {field: amount, op: ">=", value: 100}
//	        - or:
//	            - {field: status, op: in, value: [paid, shipped]}
//	            - {field: note, op: contains, value: urgent, ignoreCase: true}
//
// # Edit Field and Assign Value (edit)
//
// In this order: keep (only the listed fields, in list order; unlisted fields are removed)
// or drop (the listed fields; keep and drop exclude each other); rename (all at once, so
// two fields can swap names; a field that already had a new name is replaced); add (assign
// in order, replacing a field of the same name). An added value is a constant (text,
// number, boolean or null) or a record attribute (topic, partition, offset, timestamp,
// key, value, headers; read from the record even when its field was dropped). Text may
// hold scheduling parameters (${bizdate}, $[yyyymmddhh24mi-8/24/60], ${custom}) evaluated
// at the batch's scheduled time (Chain.At) in the job's time zone; an unknown parameter is
// a configuration error. Renamed and added names must be valid column names.
//
//	processors:
//	  - edit:
//	      keep: [order_id, user_name, email, amount, status]
//	      rename:
//	        - {from: user_name, to: customer}
//	      add:
//	        - {name: ds, value: "${bizdate}"}
//	        - {name: src_topic, attribute: topic}
//	        - {name: src_offset, attribute: offset}
//	        - {name: pipeline, value: orders-v1}
//
// # Output fields
//
// Chain.Outputs lists the fields (and types) a record has after the chain, as far as the
// configuration tells: the basis of "generate the table schema from the output columns".
// Attribute fields have the types column.AttributeColumns gives them.
//
// The examples above are kept in testdata/examples.yaml, which a test compiles and runs,
// so they cannot drift from the code.
package process
