// Produce writes records read from standard input with Kafka's Java producer and prints the
// partition and offset of each, in input order. kafka4test compiles and runs it (JavaProduce).
//
// Arguments: bootstrap-servers [producer-property=value ...]
// Input: batches, each a header line and then its records, one a line, fields separated by one
// space:
//   @ topic compression.type transaction
//   partition timestamp key value header-count [header-key header-value]...
// transaction is "-" (none), "commit" or "abort": the batch's records are sent in one
// transaction that ends so. Every batch is flushed before the next starts. partition -1 lets
// the producer's partitioner choose (by key), timestamp - lets it stamp the record, and key,
// value and header fields are "-" for null or "b:" followed by base64.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Produce {
    private static byte[] field(String s) {
        if (s.equals("-")) return null;
        if (!s.startsWith("b:")) throw new IllegalArgumentException("field must be - or b:<base64>");
        return Base64.getDecoder().decode(s.substring(2));
    }

    private static final Map<String, KafkaProducer<byte[], byte[]>> producers = new HashMap<>();

    private static KafkaProducer<byte[], byte[]> producer(String[] args, String compression, boolean txn) {
        String key = compression + (txn ? "/txn" : "");
        return producers.computeIfAbsent(key, k -> {
            Properties props = new Properties();
            props.put("bootstrap.servers", args[0]);
            props.put("compression.type", compression);
            props.put("acks", "all");
            props.put("linger.ms", "20");
            props.put("batch.size", "1048576");
            for (int i = 1; i < args.length; i++) {
                int eq = args[i].indexOf('=');
                props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
            }
            if (txn) props.put("transactional.id", "kafka4test-" + compression + "-" + UUID.randomUUID());
            KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
            if (txn) p.initTransactions();
            return p;
        });
    }

    public static void main(String[] args) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        KafkaProducer<byte[], byte[]> current = null;
        String topic = null, txn = "-";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                String[] f = line.split(" ", -1);
                if (f[0].equals("@")) {
                    end(current, txn);
                    topic = f[1];
                    txn = f[3];
                    current = producer(args, f[2], !txn.equals("-"));
                    if (!txn.equals("-")) current.beginTransaction();
                    continue;
                }
                int partition = Integer.parseInt(f[0]);
                Long ts = f[1].equals("-") ? null : Long.parseLong(f[1]);
                RecordHeaders headers = new RecordHeaders();
                int n = Integer.parseInt(f[4]);
                for (int i = 0; i < n; i++) {
                    headers.add(new String(field(f[5 + 2 * i]), StandardCharsets.UTF_8), field(f[6 + 2 * i]));
                }
                sent.add(current.send(new ProducerRecord<>(topic, partition < 0 ? null : partition, ts, field(f[2]), field(f[3]), headers)));
            }
            end(current, txn);
            StringBuilder out = new StringBuilder();
            for (Future<RecordMetadata> f : sent) {
                RecordMetadata m = f.get();
                out.append(m.partition()).append(' ').append(m.offset()).append('\n');
            }
            System.out.print(out);
        } finally {
            for (KafkaProducer<byte[], byte[]> p : producers.values()) p.close();
        }
    }

    // end flushes a batch and ends its transaction, if any.
    private static void end(KafkaProducer<byte[], byte[]> p, String txn) {
        if (p == null) return;
        p.flush();
        if (txn.equals("commit")) p.commitTransaction();
        if (txn.equals("abort")) p.abortTransaction();
    }
}
