// Package fieldmap maps the fields of processed messages (shared/process) onto a
// destination table's columns, with DataWorks' field-mapping rules and its policy for
// dynamic columns ("DataWorks: Synchronize data from a Kafka table to OSS (Hudi) in real
// time" and "DataWorks: 单表实时同步任务配置").
//
// # Mapping
//
// By default fields map to columns of the same name (compared case-insensitively, as
// MaxCompute compares column names; an exact match wins over a case-folded one, and the
// first field in message order wins among case-folded ones). An explicit list replaces
// that:
//
//	mapping:
//	  columns:
//	    - {source: user_name, target: customer}
//	    - {source: user_name, target: customer_copy}   # one source may feed several columns
//	    - {source: amount, target: amount}
//	  dynamic: {policy: add, maxPerBatch: 16, maxTotal: 256}
//	  emptyAsNull: false
//
// Every target must be a column of the table, and a column may be fed by one source only:
// several sources for one target is a configuration error naming both. Source fields that
// feed no column are not written; columns no field feeds are NULL. In explicit mode,
// sources are matched exactly, and dynamic fields still map to columns of their own name
// that no explicit entry targets (a dynamic field named like a targeted column is not
// written).
//
// Each value is converted to its column's type with column.Convert (the Kafka Reader's
// rules): BIGINT, INT, SMALLINT and TINYINT give int64; DOUBLE and FLOAT float64; DECIMAL
// its decimal text; STRING, VARCHAR, CHAR and JSON string; BOOLEAN bool; DATETIME,
// TIMESTAMP and DATE time.Time; BINARY []byte. A value that does not fit makes the record
// dirty data (*column.DirtyError with the column, the source field and the reason).
//
// # Dynamic columns
//
// Fields made by JSON parsing's dynamic output (process.Message.Dynamic) that match no
// column are handled by the policy:
//
//   - error (the default): Map returns a *ColumnError naming the column and the record;
//     the caller stops the batch (nothing is lost silently). A null value needs no column
//     and is not an error;
//   - ignore: the field is dropped and the rest of the record is written;
//   - add: a nullable column is appended to the batch's schema, typed from the value
//     (int64 BIGINT, float64 DOUBLE, bool BOOLEAN, anything else STRING), and a DDLEvent
//     is recorded for alerts (DataWorks' "DDL notification: AddColumn"). A null value adds
//     no column (there is nothing to write). The name must be a valid column name
//     (schema.ValidateName) or the record is dirty; a hostile name never becomes a column.
//     At most maxPerBatch (default 16) columns are added per batch and maxTotal (default
//     256) over the mapper's life: a record that would pass either cap is dirty, and none
//     of its columns are added.
//
// # Batches
//
// A Mapper holds the base schema. Each batch of records is mapped through a Batch, which
// starts from the base and may grow it (policy add). Rows mapped before a column was
// added are shorter than later rows: their missing trailing columns are NULL, and writers
// must treat them so. Batch.Columns is the evolved schema to write with and Batch.Events
// the columns added. Batch.Commit makes the evolved schema the mapper's base once the
// batch was written; a batch that failed is simply dropped, leaving no phantom columns.
package fieldmap
