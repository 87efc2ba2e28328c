// Reads Hudi archive files (log files of Avro data blocks) independently of fcsync's Go code:
// splits the blocks as Hudi's HoodieLogFileReader does (magic, block length, format version,
// block type, header, content, footer, trailing size checked against the block length), and
// decodes every record of an Avro data block with avsc from the block's writer schema (its
// SCHEMA header) resolved to the given reader schema, as Hudi reads them with its own
// HoodieArchivedMetaEntry. Prints one JSON line [file index, block version, record] per record.
//
// usage: node archive.mjs <reader schema file> <archive file>...
import { readFileSync } from 'node:fs';
import avro from 'avsc';

const [readerFile, ...files] = process.argv.slice(2);
if (!readerFile || files.length === 0) {
  console.error('usage: node archive.mjs <reader schema file> <archive file>...');
  process.exit(2);
}
const reader = avro.Type.forSchema(JSON.parse(readFileSync(readerFile, 'utf8')));

const fail = (msg) => {
  console.error(msg);
  process.exit(1);
};

for (const [index, file] of files.entries()) {
  const b = readFileSync(file);
  let pos = 0;
  while (pos < b.length) {
    if (b.toString('latin1', pos, pos + 6) !== '#HUDI#') fail(`${file}: no magic at ${pos}`);
    const length = Number(b.readBigInt64BE(pos + 6));
    const end = pos + 14 + length;
    if (end > b.length) fail(`${file}: block at ${pos} runs past the end`);
    // HoodieLogFileReader.isBlockCorrupt: the trailing size, less the magic, is the length.
    if (Number(b.readBigInt64BE(end - 8)) - 6 !== length) fail(`${file}: block at ${pos} is corrupt`);
    let p = pos + 14;
    const formatVersion = b.readInt32BE(p);
    const type = b.readInt32BE(p + 4);
    p += 8;
    if (formatVersion !== 1 || type !== 3) fail(`${file}: format version ${formatVersion}, block type ${type}`);
    const header = {};
    for (let n = b.readInt32BE((p += 4) - 4); n > 0; n--) {
      const key = b.readInt32BE(p);
      const len = b.readInt32BE(p + 4);
      header[key] = b.toString('utf8', p + 8, p + 8 + len);
      p += 8 + len;
    }
    const contentLength = Number(b.readBigInt64BE(p));
    const content = b.subarray(p + 8, p + 8 + contentLength);
    p += 8 + contentLength;
    if (b.readInt32BE(p) !== 0 || p + 4 + 8 !== end) fail(`${file}: block at ${pos} has a footer or trailing bytes`);
    const writer = avro.Type.forSchema(JSON.parse(header[2]));
    const resolver = reader.createResolver(writer);
    const blockVersion = content.readInt32BE(0);
    let q = 8;
    for (let n = content.readInt32BE(4); n > 0; n--) {
      const len = content.readInt32BE(q);
      const record = reader.fromBuffer(content.subarray(q + 4, q + 4 + len), resolver);
      process.stdout.write(JSON.stringify([index, blockVersion, record]) + '\n');
      q += 4 + len;
    }
    if (q !== content.length) fail(`${file}: block at ${pos} has bytes after its records`);
    pos = end;
  }
}
