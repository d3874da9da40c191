package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PlainHttp against a scripted socket server: every answer shape the transport must read, connection
 * reuse, and the ways an exchange must fail (closed early, timeout, interrupt) without hanging.
 */
class PlainHttpTest {

    /** What the fake server does with one request: writes raw bytes; true keeps the connection open. */
    interface Script {
        boolean answer(String request, OutputStream out) throws IOException;
    }

    private ServerSocket server;
    private final BlockingQueue<Script> scripts = new LinkedBlockingQueue<>();
    private final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connections = new AtomicInteger();
    /** A permit per connection the server has closed. */
    private final java.util.concurrent.Semaphore serverClosed = new java.util.concurrent.Semaphore(0);
    private Thread acceptor;
    private PlainHttp http;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0);
        acceptor = daemon(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    daemon(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        http = new PlainHttp(URI.create("http://127.0.0.1:" + server.getLocalPort()), Duration.ofSeconds(2), "test/1",
                "key-1");
    }

    @AfterEach
    void stop() throws IOException {
        http.close();
        server.close();
    }

    private void serve(Socket s) {
        try {
            serveOn(s);
        } finally {
            serverClosed.release(); // after the socket is closed (the try-with-resources in serveOn)
        }
    }

    private void serveOn(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (true) {
                String request = readRequest(in);
                if (request == null) {
                    return;
                }
                requests.add(request);
                Script script = scripts.poll(5, TimeUnit.SECONDS);
                if (script == null || !script.answer(request, out)) {
                    return;
                }
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the test decides what a broken connection means
        }
    }

    /** Reads one request (head and Content-Length body) as text; null at end of stream. */
    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                int length = 0;
                for (String line : text.split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static Script raw(String bytes, boolean keepOpen) {
        return (request, out) -> {
            out.write(bytes.getBytes(StandardCharsets.UTF_8));
            return keepOpen;
        };
    }

    private static Script json(int status, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return raw("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n"
                + body, true);
    }

    private String call(String method, String target, String body) throws IOException {
        PlainHttp.Answer a = http.exchange(method, target,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(3));
        return a.status() + " " + new String(a.body(), StandardCharsets.UTF_8);
    }

    @Test
    void sendsOneWellFormedRequestAndReusesTheConnection() throws IOException {
        scripts.add(json(200, "{\"a\":1}"));
        scripts.add(json(201, "{\"b\":\"\u00e9\"}"));

        assertThat(call("POST", "/v1/x?y=1", "{\"k\":\"\u00e9\"}")).isEqualTo("200 {\"a\":1}");
        assertThat(call("GET", "/v1/z", null)).isEqualTo("201 {\"b\":\"\u00e9\"}");

        assertThat(connections.get()).isEqualTo(1);
        String first = requests.get(0);
        assertThat(first).startsWith("POST /v1/x?y=1 HTTP/1.1\r\n")
                .contains("\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n")
                .contains("\r\nAuthorization: Bearer key-1\r\n")
                .contains("\r\nContent-Type: application/json\r\n")
                .contains("\r\nContent-Length: " + "{\"k\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8).length + "\r\n")
                .endsWith("\r\n\r\n{\"k\":\"\u00e9\"}");
        assertThat(requests.get(1)).startsWith("GET /v1/z HTTP/1.1\r\n").doesNotContain("Content-Length");
    }

    @Test
    void readsChunkedAnswersInterimAnswersAndEmptyPosts() throws IOException {
        scripts.add(raw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nTrailer: x\r\n\r\n", true));
        scripts.add(json(200, "{}"));

        assertThat(call("POST", "/c", null)).isEqualTo("200 {\"a\":1}");
        assertThat(requests.get(0)).contains("\r\nContent-Length: 0\r\n");
        assertThat(call("GET", "/again", null)).isEqualTo("200 {}");
        assertThat(connections.get()).isEqualTo(1);
    }

    @Test
    void aConnectionTheServerClosesIsNotReused() throws IOException {
        scripts.add(raw("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", false));
        scripts.add(raw("HTTP/1.0 200 OK\r\n\r\n{\"to\":\"eof\"}", false));
        scripts.add(json(200, "[]"));

        assertThat(call("GET", "/1", null)).isEqualTo("200 {}");
        assertThat(call("GET", "/2", null)).isEqualTo("200 {\"to\":\"eof\"}");
        assertThat(call("GET", "/3", null)).isEqualTo("200 []");
        assertThat(connections.get()).isEqualTo(3);
    }

    @Test
    void anIdleConnectionTheServerClosedIsNotUsedAgain() throws Exception {
        // A keep-alive answer, then the server closes the connection while it sits in the pool (a
        // restart, its idle timeout): the next call must go out on a new connection, not fail.
        scripts.add((request, out) -> {
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.UTF_8));
            return false;
        });
        scripts.add(json(200, "{\"second\":true}"));

        assertThat(call("GET", "/1", null)).isEqualTo("200 {}");
        assertThat(serverClosed.tryAcquire(5, TimeUnit.SECONDS)).isTrue();
        assertThat(call("POST", "/2", "{}")).isEqualTo("200 {\"second\":true}");
        assertThat(connections.get()).isEqualTo(2);
        assertThat(requests).hasSize(2);
    }

    @Test
    void errorAnswersCarryTheirStatusAndBody() throws IOException {
        scripts.add(json(409, "{\"error\":{\"code\":\"not_held\"}}"));
        assertThat(call("POST", "/e", "{}")).isEqualTo("409 {\"error\":{\"code\":\"not_held\"}}");
    }

    @Test
    void anAnswerCutShortFailsAndItsConnectionIsDropped() throws IOException {
        scripts.add(raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\"", false));
        scripts.add(raw("garbage\r\n\r\n", false));
        scripts.add(json(200, "{}"));

        assertThatThrownBy(() -> call("GET", "/short", null)).isInstanceOf(IOException.class)
                .hasMessageContaining("connection closed after 4 of 10 body bytes");
        assertThatThrownBy(() -> call("GET", "/garbage", null)).isInstanceOf(IOException.class)
                .hasMessageContaining("not an HTTP/1.x answer");
        assertThat(call("GET", "/fine", null)).isEqualTo("200 {}");
        assertThat(connections.get()).isEqualTo(3);
    }

    @Test
    void aSilentServerTimesOut() {
        scripts.add((request, out) -> {
            sleepQuietly(5_000);
            return false;
        });
        long start = System.nanoTime();
        assertThatThrownBy(() -> http.exchange("GET", "/slow", null, Duration.ofMillis(300)))
                .isInstanceOf(SocketTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void anInterruptEndsAWaitingExchange() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = waitingExchange("POST", "{}", failure);
        caller.interrupt();
        caller.join(5_000);

        assertThat(caller.isAlive()).isFalse();
        assertThat(failure.get()).isInstanceOf(InterruptedIOException.class)
                .isNotInstanceOf(SocketTimeoutException.class);
    }

    @Test
    void closeLetsExchangesInProgressFinishAndRefusesLaterOnes() throws Exception {
        CountDownLatch received = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        scripts.add((request, out) -> {
            received.countDown();
            try {
                answer.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".getBytes(StandardCharsets.UTF_8));
            out.flush();
            return true; // keep-alive: the client, closed meanwhile, must not pool it
        });
        AtomicReference<String> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = started(() -> {
            try {
                result.set(call("GET", "/in-progress", null));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertThat(received.await(5, TimeUnit.SECONDS)).isTrue();
        http.close();
        answer.countDown();
        caller.join(5_000);

        assertThat(failure.get()).isNull();
        assertThat(result.get()).isEqualTo("200 {}");
        assertThat(serverClosed.tryAcquire(5, TimeUnit.SECONDS)).as("the connection is closed after").isTrue();
        assertThatThrownBy(() -> call("GET", "/after", null)).isInstanceOf(IOException.class)
                .hasMessageContaining("closed");
        assertThat(requests).hasSize(1);
    }

    @Test
    void onlyPlainHttpUrlsWithAHostGetThisTransport() {
        Duration t = Duration.ofSeconds(1);
        assertThat(PlainHttp.forBase("http://localhost:7070", t, "ua", null)).isNotNull();
        assertThat(PlainHttp.forBase("HTTP://localhost", t, "ua", null)).isNotNull();
        assertThat(PlainHttp.forBase("https://localhost:7070", t, "ua", null)).isNull();
        assertThat(PlainHttp.forBase("http://user:pw@localhost:7070", t, "ua", null)).isNull();
        assertThat(PlainHttp.forBase("http://under_score:7070", t, "ua", null)).isNull();
    }

    /**
     * Starts an exchange on its own thread against a server that takes the request and never
     * answers; returns once the server has the request. What the exchange throws lands in {@code failure}.
     */
    private Thread waitingExchange(String method, String body, AtomicReference<Throwable> failure) throws InterruptedException {
        CountDownLatch received = new CountDownLatch(1);
        scripts.add((request, out) -> {
            received.countDown();
            sleepQuietly(10_000);
            return false;
        });
        Thread caller = started(() -> {
            try {
                http.exchange(method, "/waiting", body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                        Duration.ofSeconds(30));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertThat(received.await(5, TimeUnit.SECONDS)).isTrue();
        return caller;
    }

    private static Thread started(Runnable task) {
        Thread thread = new Thread(task);
        thread.start();
        return thread;
    }

    private static Thread daemon(Runnable task) {
        Thread thread = new Thread(task);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
