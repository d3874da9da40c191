package io.drover.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 over plain sockets, for {@code http://} servers: the exchange runs on the caller's thread,
 * blocking, over a kept-alive connection taken from a small pool (one connection per concurrent
 * request). The JDK {@code HttpClient}, kept for {@code https://}, hands every exchange between the
 * caller, its selector thread and its executor; on the worker's hot path (claim, complete,
 * heartbeat, trigger) those hand-offs cost more CPU than the request itself and add a scheduling
 * delay to each answer (docs/benchmarks.md, "Third round").
 *
 * <p>What it supports is what the Drover server speaks: fixed-length and chunked answers,
 * {@code Connection: close}, HTTP/1.0 answers. A pooled connection is checked before it is reused
 * (one non-blocking read: did the server close it while it was idle, after a restart or its idle
 * timeout?), and one idle for longer than {@link #MAX_IDLE} is not reused (the server closes idle
 * connections after 65 s by default). No request is ever sent twice: a failed exchange throws, as
 * the JDK client does for POST. {@link Thread#interrupt()} ends an exchange at once (the
 * connection is an interruptible channel), the way the worker stops a long poll; a blocked read
 * also wakes every {@link #SLICE_MS} ms to check the deadline and the interrupt.
 */
final class PlainHttp implements AutoCloseable {

    static final Duration MAX_IDLE = Duration.ofSeconds(20);
    private static final int SLICE_MS = 200;
    private static final int MAX_LINE = 8 * 1024;
    private static final int MAX_HEADER_LINES = 200;

    /** A status and a body; {@code body} is empty, never null, when the answer had none. */
    record Answer(int status, byte[] body) {}

    private final String host;
    private final int port;
    private final int connectTimeoutMs;
    private final byte[] fixedHeaders;
    private final ConcurrentLinkedDeque<Conn> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    /** A transport for {@code baseUrl}, or null when it is not a plain http:// URL with a host (the JDK client then). */
    static PlainHttp forBase(String baseUrl, Duration connectTimeout, String userAgent, String apiKey) {
        if (!baseUrl.regionMatches(true, 0, "http://", 0, 7)) {
            return null;
        }
        try {
            URI base = new URI(baseUrl);
            return base.getHost() == null || base.getRawUserInfo() != null ? null
                    : new PlainHttp(base, connectTimeout, userAgent, apiKey);
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    PlainHttp(URI base, Duration connectTimeout, String userAgent, String apiKey) {
        if (!"http".equalsIgnoreCase(base.getScheme()) || base.getHost() == null) {
            throw new IllegalArgumentException("not an http:// URL: " + base);
        }
        this.host = base.getHost();
        this.port = base.getPort() == -1 ? 80 : base.getPort();
        this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        StringBuilder h = new StringBuilder();
        h.append("Host: ").append(host.contains(":") ? "[" + host + "]" : host);
        if (base.getPort() != -1) {
            h.append(':').append(port);
        }
        h.append("\r\nAccept: application/json\r\nUser-Agent: ").append(userAgent).append("\r\n");
        if (apiKey != null && !apiKey.isBlank()) {
            h.append("Authorization: Bearer ").append(apiKey).append("\r\n");
        }
        this.fixedHeaders = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * One exchange. {@code target} is the request target (path and query), already encoded;
     * {@code body} may be null (no body). Throws on any I/O failure, on a malformed answer, on
     * timeout (no byte for {@code timeout}) and on interrupt.
     */
    Answer exchange(String method, String target, byte[] body, Duration timeout) throws IOException {
        if (closed) {
            throw new IOException("client closed");
        }
        Conn conn = take();
        boolean ok = false;
        try {
            long timeoutNanos = Math.max(1, timeout.toNanos());
            conn.send(method, target, fixedHeaders, body);
            Answer answer = conn.receive(method, timeoutNanos);
            ok = true;
            return answer;
        } catch (java.nio.channels.ClosedByInterruptException e) {
            // The channel is interruptible: an interrupt closed it (the thread stays interrupted).
            InterruptedIOException interrupted = new InterruptedIOException("interrupted");
            interrupted.initCause(e);
            throw interrupted;
        } finally {
            if (ok && conn.reusable && !closed) {
                conn.lastUsed = System.nanoTime();
                idle.push(conn);
                if (closed) {
                    closeIdle();
                }
            } else {
                conn.close();
            }
        }
    }

    private Conn take() throws IOException {
        Conn conn;
        while ((conn = idle.poll()) != null) {
            if (System.nanoTime() - conn.lastUsed < MAX_IDLE.toNanos() && conn.open()) {
                return conn;
            }
            conn.close();
        }
        SocketChannel channel = SocketChannel.open();
        try {
            Socket socket = channel.socket();
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true);
            socket.connect(new InetSocketAddress(host, port), connectTimeoutMs);
            return new Conn(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private void closeIdle() {
        Conn conn;
        while ((conn = idle.poll()) != null) {
            conn.close();
        }
    }

    /**
     * Refuses new exchanges and closes the idle connections; exchanges in progress run to completion
     * and close their connections after (as {@code DroverClient.close()} promises).
     */
    @Override
    public void close() {
        closed = true;
        closeIdle();
    }

    /** One kept-alive connection and its read buffer; used by one exchange at a time. */
    private final class Conn {
        private final SocketChannel channel;
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final ByteBuffer probe = ByteBuffer.allocate(1);
        private final byte[] buf = new byte[16 * 1024];
        private int pos;
        private int lim;
        private long deadline;
        boolean reusable;
        long lastUsed;

        Conn(SocketChannel channel) throws IOException {
            this.channel = channel;
            this.socket = channel.socket();
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /**
         * Whether a pooled connection is still usable: the server may have closed it while it sat
         * idle (a restart, its idle timeout). A non-blocking read tells at once: 0 bytes = open;
         * end of stream or unexpected bytes = not reusable. (The JDK client watches idle
         * connections with its selector for the same reason.)
         */
        boolean open() {
            try {
                channel.configureBlocking(false);
                try {
                    probe.clear();
                    return channel.read(probe) == 0;
                } finally {
                    channel.configureBlocking(true);
                }
            } catch (IOException e) {
                return false;
            }
        }

        void send(String method, String target, byte[] fixed, byte[] body) throws IOException {
            StringBuilder line = new StringBuilder(method.length() + target.length() + 80);
            line.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            byte[] start = line.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] tail = body == null
                    ? ("POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method)
                            ? "Content-Length: 0\r\n\r\n" : "\r\n").getBytes(StandardCharsets.ISO_8859_1)
                    : ("Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1);
            int n = start.length + fixed.length + tail.length + (body == null ? 0 : body.length);
            byte[] request = new byte[n];
            int at = 0;
            System.arraycopy(start, 0, request, at, start.length);
            at += start.length;
            System.arraycopy(fixed, 0, request, at, fixed.length);
            at += fixed.length;
            System.arraycopy(tail, 0, request, at, tail.length);
            at += tail.length;
            if (body != null) {
                System.arraycopy(body, 0, request, at, body.length);
            }
            out.write(request); // one write: TCP_NODELAY sends it at once
            out.flush();
        }

        Answer receive(String method, long timeoutNanos) throws IOException {
            deadline = System.nanoTime() + timeoutNanos;
            int status;
            boolean http10;
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            boolean keepAlive = false;
            while (true) {
                String statusLine = line();
                if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
                    throw new IOException("not an HTTP/1.x answer: " + abbreviate(statusLine));
                }
                http10 = statusLine.charAt(7) == '0';
                try {
                    status = Integer.parseInt(statusLine.substring(9, 12));
                } catch (NumberFormatException e) {
                    throw new IOException("bad status line: " + abbreviate(statusLine));
                }
                for (int i = 0;; i++) {
                    String header = line();
                    if (header.isEmpty()) {
                        break;
                    }
                    if (i >= MAX_HEADER_LINES) {
                        throw new IOException("too many header lines in the answer");
                    }
                    int colon = header.indexOf(':');
                    if (colon <= 0) {
                        throw new IOException("bad header line: " + abbreviate(header));
                    }
                    String name = header.substring(0, colon).trim();
                    String value = header.substring(colon + 1).trim();
                    if (name.equalsIgnoreCase("Content-Length")) {
                        try {
                            length = Long.parseLong(value);
                        } catch (NumberFormatException e) {
                            throw new IOException("bad Content-Length: " + abbreviate(value));
                        }
                        if (length < 0 || length > Integer.MAX_VALUE - 16) {
                            throw new IOException("bad Content-Length: " + length);
                        }
                    } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                        chunked = value.toLowerCase(java.util.Locale.ROOT).endsWith("chunked");
                    } else if (name.equalsIgnoreCase("Connection")) {
                        String v = value.toLowerCase(java.util.Locale.ROOT);
                        close |= v.contains("close");
                        keepAlive |= v.contains("keep-alive");
                    }
                }
                if (status >= 100 && status < 200) {
                    length = -1; // an interim answer (100 Continue): the real one follows
                    chunked = close = keepAlive = false;
                    continue;
                }
                break;
            }
            byte[] body;
            boolean toEof = false;
            if ("HEAD".equals(method) || status == 204 || status == 304) {
                body = new byte[0];
            } else if (chunked) {
                body = chunkedBody();
            } else if (length >= 0) {
                body = exactly((int) length);
            } else {
                body = untilEof();
                toEof = true;
            }
            reusable = !toEof && !close && (!http10 || keepAlive) && pos == lim;
            return new Answer(status, body);
        }

        private byte[] chunkedBody() throws IOException {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            while (true) {
                String sizeLine = line();
                int semi = sizeLine.indexOf(';');
                long size;
                try {
                    size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("bad chunk size: " + abbreviate(sizeLine));
                }
                if (size < 0 || all.size() + size > Integer.MAX_VALUE - 16) {
                    throw new IOException("bad chunk size: " + size);
                }
                if (size == 0) {
                    while (!line().isEmpty()) {
                        // trailers: ignored
                    }
                    return all.toByteArray();
                }
                all.writeBytes(exactly((int) size));
                if (!line().isEmpty()) {
                    throw new IOException("chunk not followed by CRLF");
                }
            }
        }

        private byte[] exactly(int n) throws IOException {
            byte[] out = new byte[n];
            int got = Math.min(n, lim - pos);
            System.arraycopy(buf, pos, out, 0, got);
            pos += got;
            while (got < n) {
                int r = read(out, got, n - got);
                if (r < 0) {
                    throw new IOException("connection closed after " + got + " of " + n + " body bytes");
                }
                got += r;
            }
            return out;
        }

        private byte[] untilEof() throws IOException {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            all.write(buf, pos, lim - pos);
            pos = lim;
            byte[] chunk = new byte[8192];
            int r;
            while ((r = read(chunk, 0, chunk.length)) >= 0) {
                all.write(chunk, 0, r);
            }
            return all.toByteArray();
        }

        /** One CRLF- (or LF-) terminated line of ISO-8859-1 text, without its terminator. */
        private String line() throws IOException {
            StringBuilder sb = null;
            while (true) {
                for (int i = pos; i < lim; i++) {
                    if (buf[i] == '\n') {
                        int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                        String part = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                        pos = i + 1;
                        if (sb == null) {
                            return part;
                        }
                        sb.append(part);
                        int len = sb.length();
                        if (len > 0 && sb.charAt(len - 1) == '\r') {
                            sb.setLength(len - 1);
                        }
                        return sb.toString();
                    }
                }
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(new String(buf, pos, lim - pos, StandardCharsets.ISO_8859_1));
                if (sb.length() > MAX_LINE) {
                    throw new IOException("header line longer than " + MAX_LINE + " bytes");
                }
                pos = lim;
                if (fill() < 0) {
                    throw new IOException("connection closed before the answer was complete");
                }
            }
        }

        private int fill() throws IOException {
            pos = 0;
            lim = 0;
            int r = read(buf, 0, buf.length);
            if (r > 0) {
                lim = r;
            }
            return r;
        }

        /** A read that gives up at the deadline and on interrupt, waking every SLICE_MS to check. */
        private int read(byte[] into, int off, int len) throws IOException {
            while (true) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("interrupted while waiting for the answer");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException("no answer within the request timeout");
                }
                socket.setSoTimeout((int) Math.max(1, Math.min(SLICE_MS, TimeUnit.NANOSECONDS.toMillis(left) + 1)));
                try {
                    return in.read(into, off, len);
                } catch (SocketTimeoutException e) {
                    // a slice passed: check the interrupt and the deadline again
                }
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 100) + "...";
    }
}
