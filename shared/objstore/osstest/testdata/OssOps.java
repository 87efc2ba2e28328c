// Drives the OSS Java SDK (com.aliyun.oss:aliyun-sdk-oss) against an osstest server, every
// operation fcsync's OSS store uses, as oss2_ops.py does for Python.
//
// Usage: java -cp JARS OssOps.java ENDPOINT REGION SIGNING=BUCKET..., (SIGNING V1 or V4), with
// the keys in OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and an STS token in
// OSS_SECURITY_TOKEN if the server wants one): every step signed each way, each on a
// bucket of its own, in one JVM. Prints one JSON object, the steps by signing version, for
// sdk_test.go to check.

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.auth.DefaultCredentialProvider;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.*;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class OssOps {
    static String endpoint, bucket, region, signing, ak, sk, token;
    static Map<String, Map<String, Object>> out;

    interface Step { Map<String, Object> run() throws Exception; }

    static OSS client(String secret) { return client(secret, token); }

    static OSS client(String secret, String stsToken) {
        ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
        conf.setSignatureVersion(signing.equals("V4") ? SignVersion.V4 : SignVersion.V1);
        conf.setMaxErrorRetry(0);
        conf.setSLDEnabled(true); // path style: /bucket/key on the endpoint's host
        return OSSClientBuilder.create().endpoint(endpoint).region(region)
                .credentialsProvider(stsToken.isEmpty() ? new DefaultCredentialProvider(ak, secret) : new DefaultCredentialProvider(ak, secret, stsToken))
                .clientConfiguration(conf).build();
    }

    static OSS client;

    static void step(String name, Step s) {
        Map<String, Object> r = new TreeMap<>();
        try {
            Map<String, Object> v = s.run();
            r.put("ok", true);
            if (v != null) r.putAll(v);
        } catch (OSSException e) {
            r.put("ok", false);
            r.put("code", e.getErrorCode());
            r.put("request_id", e.getRequestId());
            r.put("message", e.getErrorMessage());
        } catch (Exception e) {
            r.put("ok", false);
            r.put("code", "client:" + e.getClass().getSimpleName());
            r.put("message", String.valueOf(e.getMessage()));
        }
        out.put(name, r);
    }

    static Map<String, Object> m(Object... kv) {
        Map<String, Object> r = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) r.put((String) kv[i], kv[i + 1]);
        return r;
    }

    static InputStream in(byte[] b) { return new ByteArrayInputStream(b); }

    static byte[] read(OSSObject o) throws Exception {
        try (InputStream s = o.getObjectContent()) { return s.readAllBytes(); }
    }

    static final int PART = 100 * 1024;

    public static void main(String[] args) throws Exception {
        endpoint = args[0]; region = args[1];
        ak = System.getenv("OSS_ACCESS_KEY_ID"); sk = System.getenv("OSS_ACCESS_KEY_SECRET");
        token = Objects.requireNonNullElse(System.getenv("OSS_SECURITY_TOKEN"), "");
        Map<String, Object> all = new TreeMap<>();
        for (int i = 2; i < args.length; i++) {
            String[] sb = args[i].split("=", 2);
            signing = sb[0]; bucket = sb[1];
            out = new TreeMap<>();
            client = client(sk);
            steps();
            client.shutdown();
            all.put(signing, out);
        }
        System.out.println(json(all));
    }

    static void steps() {
        step("put", () -> {
            ObjectMetadata meta = new ObjectMetadata();
            meta.setContentType("text/plain");
            PutObjectResult r = client.putObject(bucket, "dir/a.txt", in("hello, oss".getBytes(StandardCharsets.UTF_8)), meta);
            return m("etag", r.getETag(), "crc", String.valueOf(r.getServerCRC()));
        });
        step("get", () -> {
            OSSObject o = client.getObject(bucket, "dir/a.txt");
            return m("body", new String(read(o), StandardCharsets.UTF_8), "content_type", o.getObjectMetadata().getContentType());
        });
        step("ranged_get", () -> {
            GetObjectRequest req = new GetObjectRequest(bucket, "dir/a.txt");
            req.setRange(2, 5);
            OSSObject o = client.getObject(req);
            return m("body", new String(read(o), StandardCharsets.UTF_8),
                    "content_range", o.getObjectMetadata().getRawMetadata().get("Content-Range"));
        });
        step("ranged_get_standard", () -> {
            GetObjectRequest req = new GetObjectRequest(bucket, "dir/a.txt");
            req.setRange(7, 100);
            req.addHeader("x-oss-range-behavior", "standard");
            OSSObject o = client.getObject(req);
            return m("body", new String(read(o), StandardCharsets.UTF_8),
                    "content_range", o.getObjectMetadata().getRawMetadata().get("Content-Range"));
        });
        step("head", () -> {
            ObjectMetadata meta = client.getObjectMetadata(bucket, "dir/a.txt");
            return m("size", meta.getContentLength(), "etag", meta.getETag(), "type", meta.getObjectType());
        });
        step("head_missing", () -> { client.getObjectMetadata(bucket, "dir/missing"); return null; });
        step("get_missing", () -> { client.getObject(bucket, "dir/missing"); return null; });
        step("create_absent", () -> {
            PutObjectRequest req = new PutObjectRequest(bucket, "dir/once", in("first".getBytes()));
            req.addHeader("x-oss-forbid-overwrite", "true");
            client.putObject(req);
            return null;
        });
        step("create_present", () -> {
            PutObjectRequest req = new PutObjectRequest(bucket, "dir/once", in("second".getBytes()));
            req.addHeader("x-oss-forbid-overwrite", "true");
            client.putObject(req);
            return null;
        });
        step("list", () -> {
            for (int i = 0; i < 5; i++) client.putObject(bucket, "list/k" + i, in("x".getBytes()));
            client.putObject(bucket, "list/sub/a", in("x".getBytes()));
            client.putObject(bucket, "list/sub/b", in("x".getBytes()));
            List<String> keys = new ArrayList<>(), prefixes = new ArrayList<>();
            int pages = 0;
            String token = null;
            while (true) {
                ListObjectsV2Request req = new ListObjectsV2Request(bucket).withPrefix("list/").withDelimiter("/").withMaxKeys(2);
                if (token != null) req.setContinuationToken(token);
                ListObjectsV2Result r = client.listObjectsV2(req);
                pages++;
                for (OSSObjectSummary s : r.getObjectSummaries()) keys.add(s.getKey());
                prefixes.addAll(r.getCommonPrefixes());
                if (!r.isTruncated()) break;
                token = r.getNextContinuationToken();
            }
            ListObjectsV2Result after = client.listObjectsV2(new ListObjectsV2Request(bucket).withPrefix("list/").withStartAfter("list/k3"));
            List<String> afterKeys = new ArrayList<>();
            for (OSSObjectSummary s : after.getObjectSummaries()) afterKeys.add(s.getKey());
            return m("pages", pages, "keys", keys, "prefixes", prefixes, "after_k3", afterKeys);
        });
        step("list_odd", () -> {
            // Keys that XML and URL encoding must not mangle.
            List<String> odd = List.of("odd/sp ace", "odd/plus+sign", "odd/pct%41", "odd/中文", "odd/amp&eq=q?");
            for (String k : odd) client.putObject(bucket, k, in(k.getBytes(StandardCharsets.UTF_8)));
            List<String> keys = new ArrayList<>();
            boolean same = true;
            // Without an encoding type the keys come as XML text; with url, the Java SDK hands
            // them over encoded and leaves decoding to the caller.
            List<String> decoded = new ArrayList<>();
            for (OSSObjectSummary s : client.listObjectsV2(new ListObjectsV2Request(bucket).withPrefix("odd/")).getObjectSummaries()) {
                keys.add(s.getKey());
            }
            for (OSSObjectSummary s : client.listObjectsV2(new ListObjectsV2Request(bucket).withPrefix("odd/").withEncodingType("url")).getObjectSummaries()) {
                decoded.add(java.net.URLDecoder.decode(s.getKey(), StandardCharsets.UTF_8));
            }
            if (!decoded.equals(keys)) throw new RuntimeException("url-encoded listing decodes to " + decoded + ", the plain one is " + keys);
            for (String k : keys) {
                try {
                    same &= Arrays.equals(read(client.getObject(bucket, k)), k.getBytes(StandardCharsets.UTF_8));
                } catch (OSSException e) {
                    throw new RuntimeException("get " + k + ": " + e.getErrorCode() + " among " + keys);
                }
            }
            return m("keys", keys, "bodies_match", same);
        });
        step("append", () -> {
            AppendObjectResult r1 = client.appendObject(new AppendObjectRequest(bucket, "log/app", in("one,".getBytes())).withPosition(0L));
            AppendObjectResult r2 = client.appendObject(new AppendObjectRequest(bucket, "log/app", in("two".getBytes())).withPosition(r1.getNextPosition()));
            return m("first_next", r1.getNextPosition(), "second_next", r2.getNextPosition());
        });
        step("append_wrong_position", () -> {
            client.appendObject(new AppendObjectRequest(bucket, "log/app", in("x".getBytes())).withPosition(1L));
            return null;
        });
        step("versioning", () -> m("status", client.getBucketVersioning(bucket).getStatus()));
        step("multipart", () -> {
            byte[] src = new byte[256 * 800];
            for (int i = 0; i < src.length; i++) src[i] = (byte) i;
            client.putObject(bucket, "mp/src", in(src));
            String uid = client.initiateMultipartUpload(new InitiateMultipartUploadRequest(bucket, "mp/dst")).getUploadId();
            List<PartETag> parts = new ArrayList<>();
            byte[] a = new byte[PART];
            Arrays.fill(a, (byte) 'a');
            UploadPartRequest p1 = new UploadPartRequest(bucket, "mp/dst", uid, 1, in(a), PART);
            parts.add(client.uploadPart(p1).getPartETag());
            UploadPartCopyRequest p2 = new UploadPartCopyRequest(bucket, "mp/src", bucket, "mp/dst", uid);
            p2.setPartNumber(2);
            p2.setBeginIndex(1000L);
            p2.setPartSize((long) PART);
            parts.add(client.uploadPartCopy(p2).getPartETag());
            UploadPartRequest p3 = new UploadPartRequest(bucket, "mp/dst", uid, 3, in("tail".getBytes()), 4);
            parts.add(client.uploadPart(p3).getPartETag());
            client.completeMultipartUpload(new CompleteMultipartUploadRequest(bucket, "mp/dst", uid, parts));
            byte[] got = read(client.getObject(bucket, "mp/dst"));
            byte[] want = new byte[2 * PART + 4];
            System.arraycopy(a, 0, want, 0, PART);
            System.arraycopy(src, 1000, want, PART, PART);
            System.arraycopy("tail".getBytes(), 0, want, 2 * PART, 4);
            return m("size", got.length, "matches", Arrays.equals(got, want));
        });
        step("multipart_abort", () -> {
            String uid = client.initiateMultipartUpload(new InitiateMultipartUploadRequest(bucket, "mp/aborted")).getUploadId();
            PartETag p = client.uploadPart(new UploadPartRequest(bucket, "mp/aborted", uid, 1, in("x".getBytes()), 1)).getPartETag();
            VoidResult r = client.abortMultipartUpload(new AbortMultipartUploadRequest(bucket, "mp/aborted", uid));
            out.put("abort", m("ok", true, "status", r.getResponse().getStatusCode()));
            client.completeMultipartUpload(new CompleteMultipartUploadRequest(bucket, "mp/aborted", uid, new ArrayList<>(List.of(p))));
            return null;
        });
        step("delete", () -> {
            VoidResult r = client.deleteObject(bucket, "dir/a.txt");
            return m("status", r.getResponse().getStatusCode(), "gone", !client.doesObjectExist(bucket, "dir/a.txt"));
        });
        step("delete_missing", () -> { client.deleteObject(bucket, "dir/never"); return null; });
        step("wrong_secret", () -> { client(sk + "x").getObject(bucket, "dir/once"); return null; });
        step("wrong_token", () -> { client(sk, (token.isEmpty() ? "none" : token) + "x").getObject(bucket, "dir/once"); return null; });
    }

    static String json(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean || v instanceof Number) return v.toString();
        if (v instanceof Map<?, ?> mp) {
            StringJoiner j = new StringJoiner(",", "{", "}");
            for (Map.Entry<?, ?> e : mp.entrySet()) j.add(json(e.getKey().toString()) + ":" + json(e.getValue()));
            return j.toString();
        }
        if (v instanceof Collection<?> c) {
            StringJoiner j = new StringJoiner(",", "[", "]");
            for (Object o : c) j.add(json(o));
            return j.toString();
        }
        StringBuilder b = new StringBuilder("\"");
        for (char ch : v.toString().toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.append('"').toString();
    }
}
