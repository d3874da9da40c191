package io.drover.webhooks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.ToIntFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** A webhook receiver on 127.0.0.1 (JDK HttpServer) that records every request and answers as told. */
final class Receiver implements AutoCloseable {
    record Request(String path, String id, String timestamp, String signature, String body, Instant at) {}

    private final HttpServer http;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile ToIntFunction<Request> answer = r -> 204;

    Receiver() {
        try {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            Request r = new Request(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("webhook-id"),
                    ex.getRequestHeaders().getFirst("webhook-timestamp"),
                    ex.getRequestHeaders().getFirst("webhook-signature"), new String(body, StandardCharsets.UTF_8),
                    Instant.now());
            requests.add(r);
            int status;
            try {
                status = answer.applyAsInt(r);
            } catch (RuntimeException e) {
                status = 500;
            }
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        http.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + http.getAddress().getPort() + path;
    }

    List<Request> to(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).toList();
    }

    @Override
    public void close() {
        http.stop(0);
    }

    /**
     * The Standard Webhooks check, written from the specification and independent of the server's
     * code: base64 HMAC-SHA256 of "id.timestamp.body" under the base64-decoded secret (after
     * "whsec_"), compared in constant time with each space-separated "v1,<sig>" of the header.
     */
    static boolean verifies(String secret, Request r) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            byte[] expected = Base64.getEncoder().encode(mac.doFinal(
                    (r.id() + "." + r.timestamp() + "." + r.body()).getBytes(StandardCharsets.UTF_8)));
            for (String part : r.signature().split(" ")) {
                int comma = part.indexOf(',');
                if (comma > 0 && part.substring(0, comma).equals("v1")
                        && MessageDigest.isEqual(expected, part.substring(comma + 1).getBytes(StandardCharsets.US_ASCII))) {
                    return Math.abs(Instant.now().getEpochSecond() - Long.parseLong(r.timestamp())) <= 300;
                }
            }
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
