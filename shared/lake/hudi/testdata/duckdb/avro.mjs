// Decodes Avro object container files with avsc, independently of fcsync's Go encoder, and
// prints one JSON line [file index, record] per record. With a reader schema (a JSON file; "-"
// for none), every record is resolved from the file's own (writer) schema to it, as Hudi's
// generated classes read the timeline's clean plans and clean metadata.
//
// usage: node avro.mjs <reader schema file | -> <file>...
import { readFileSync } from 'node:fs';
import avro from 'avsc';

const [readerFile, ...files] = process.argv.slice(2);
if (!readerFile || files.length === 0) {
  console.error('usage: node avro.mjs <reader schema file | -> <file>...');
  process.exit(2);
}
const opts = {};
if (readerFile !== '-') opts.readerSchema = JSON.parse(readFileSync(readerFile, 'utf8'));

const decode = (file, index) =>
  new Promise((resolve, reject) => {
    avro.createFileDecoder(file, opts)
      .on('error', reject)
      .on('data', (record) => process.stdout.write(JSON.stringify([index, record]) + '\n'))
      .on('end', resolve);
  });

try {
  for (const [i, file] of files.entries()) await decode(file, i);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
