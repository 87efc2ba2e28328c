// Package column implements the Kafka Reader's column list (DataWorks/DataX kafkareader
// "column") and its one-to-one mapping onto a destination schema.Table.
//
// A reader column is one of:
//
//   - an attribute column: __key__, __value__, __partition__, __headers__, __offset__ or
//     __timestamp__ (13-digit epoch milliseconds);
//   - a constant in single quotes: 'abc', '2024' (a pair of quotes with nothing
//     between is the empty string);
//   - a JSON path into the record value: a.a1, b, c[1], d[0].AA, x[0][1], [0].id. A key
//     whose own name contains '.' cannot be reached: a.b reads key a, then key b.
//
// keyType and valueType (BYTEARRAY, DOUBLE, FLOAT, INTEGER, LONG, SHORT, STRING; default
// STRING) say how key and value bytes decode; numeric types are big-endian as Kafka's
// serializers write them. encoding (default UTF-8) applies to STRING.
//
// Mapping is positional: Columns[i] feeds Dest[i]. Map turns one record into one row typed
// for the destination columns; a value that cannot be converted makes the record dirty
// data (*DirtyError), never a panic.
//
// Choices where DataWorks documents nothing:
//
//   - __headers__ is a JSON object {"k":"v",...} in header order; a key repeated in the
//     record becomes an array of its values in order {"k":["v1","v2"]}, so nothing is lost;
//     a null header value is JSON null; no headers give {}. Header values decode with
//     the configured encoding.
//   - JSON paths need valueType STRING or BYTEARRAY. A null (tombstone) value gives NULL
//     for every path; an empty or malformed value is dirty data. With duplicate object
//     keys the last one wins, as encoding/json does.
//   - BINARY columns receive __key__/__value__ as the raw record bytes whatever the codec;
//     other sources give the UTF-8 bytes of their text.
//   - A JSON column receives JSON text: a path's selected value as compact JSON (a string
//     keeps its quotes); other text must itself be valid JSON.
//   - Fractional numbers are dirty data for integer columns (never truncated); integer text
//     for DATETIME, TIMESTAMP and DATE is epoch milliseconds.
//   - EmptyAsNull turns empty text or empty bytes into NULL whatever the destination type.
//   - Constants convert once, in NewMapper; one that does not fit its column is a
//     configuration error, not dirty data.
//
// # Shared with the processing chain
//
// The stream path (shared/process, shared/fieldmap) reuses the same rules through
// exported pieces: ParsePath and JSONPaths (the one-pass path scanner), Leaves (every
// leaf of a document, for dynamic fields), JSONLen, ConvertJSON and JSONValue (a JSON
// value as a column value or as its natural Go value), Convert (a processed Go value into
// a column type), JSONText (nested JSON kept as compact text), Codec.HeadersJSON (the
// __headers__ rendering) and Excerpt (dirty-data excerpts cut at a rune boundary).
package column
