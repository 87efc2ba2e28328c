// Produce writes records read from standard input with Kafka's Java producer and prints the
// partition and offset of each, in input order. kafka4test compiles and runs it (JavaProduce).
//
// Arguments: bootstrap-servers topic compression.type [producer-property=value ...]
// Input, one record a line, fields separated by one space:
//   partition timestamp key value header-count [header-key header-value]...
// partition -1 lets the producer's partitioner choose (by key), timestamp - lets it stamp the
// record, and key, value and header fields are "-" for null or "b:" followed by base64.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
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

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("compression.type", args[2]);
        props.put("acks", "all");
        props.put("linger.ms", "20");
        props.put("batch.size", "1048576");
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                String[] f = line.split(" ", -1);
                int partition = Integer.parseInt(f[0]);
                Long ts = f[1].equals("-") ? null : Long.parseLong(f[1]);
                RecordHeaders headers = new RecordHeaders();
                int n = Integer.parseInt(f[4]);
                for (int i = 0; i < n; i++) {
                    headers.add(new String(field(f[5 + 2 * i]), StandardCharsets.UTF_8), field(f[6 + 2 * i]));
                }
                sent.add(producer.send(new ProducerRecord<>(args[1], partition < 0 ? null : partition, ts, field(f[2]), field(f[3]), headers)));
            }
            producer.flush();
            StringBuilder out = new StringBuilder();
            for (Future<RecordMetadata> f : sent) {
                RecordMetadata m = f.get();
                out.append(m.partition()).append(' ').append(m.offset()).append('\n');
            }
            System.out.print(out);
        }
    }
}
