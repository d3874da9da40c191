package io.drover.drains;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.ToIntFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** A log drain receiver on 127.0.0.1 (JDK HttpServer): records every request and answers as told. */
final class DrainReceiver implements AutoCloseable {
    record Request(String path, String contentType, String id, String timestamp, String signature, String body) {
        List<String> lines() {
            return body.lines().filter(l -> !l.isEmpty()).toList();
        }
    }

    private final HttpServer http;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile ToIntFunction<Request> answer = r -> 200;

    DrainReceiver() {
        try {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            var h = ex.getRequestHeaders();
            Request r = new Request(ex.getRequestURI().getPath(), h.getFirst("content-type"), h.getFirst("webhook-id"),
                    h.getFirst("webhook-timestamp"), h.getFirst("webhook-signature"),
                    new String(body, StandardCharsets.UTF_8));
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

    /** The Standard Webhooks check, written from the specification, independent of the server's code. */
    static boolean verifies(String secret, Request r) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            byte[] expected = Base64.getEncoder().encode(mac.doFinal(
                    (r.id() + "." + r.timestamp() + "." + r.body()).getBytes(StandardCharsets.UTF_8)));
            for (String part : r.signature().split(" ")) {
                if (part.startsWith("v1,") && MessageDigest.isEqual(expected,
                        part.substring(3).getBytes(StandardCharsets.US_ASCII))) {
                    return true;
                }
            }
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
