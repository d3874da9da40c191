package io.drover.outbound;

import java.util.function.Supplier;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The HTTP client every outlet sends with (HTTP push, webhooks, log drains), set up in one place
 * so that a new outlet cannot forget a setting: no redirects followed (a redirect is a failed
 * attempt), no cookies carried from one send to the next, bodies as sent (no decompression), no
 * User-Agent of Jetty's own, and every connection through the guard's resolver, which connects
 * only to the addresses it checked (DROVER_OUTBOUND_ALLOW, no DNS rebinding).
 */
public final class OutboundClients {
    private OutboundClients() {}

    /**
     * A started client.
     *
     * @param name the threads' name ({@code push-http}, ...)
     * @param connectTimeoutMs the connect timeout
     * @param idleTimeoutMs how long a pooled connection may stay idle
     * @param concurrency connections per destination (and at least 1,024 requests queued per destination)
     * @param guard read at each lookup, so that the guard may be set after the client started
     */
    public static HttpClient start(String name, int connectTimeoutMs, long idleTimeoutMs, int concurrency,
            Supplier<OutboundGuard> guard) {
        HttpClient client = new HttpClient();
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName(name);
        pool.setDaemon(true);
        client.setExecutor(pool);
        client.setScheduler(new ScheduledExecutorScheduler(name + "-scheduler", true));
        client.setConnectTimeout(connectTimeoutMs);
        client.setIdleTimeout(idleTimeoutMs);
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.getContentDecoderFactories().clear();
        client.setUserAgentField(null);
        client.setMaxConnectionsPerDestination(concurrency);
        client.setMaxRequestsQueuedPerDestination(Math.max(1024, concurrency));
        client.setSocketAddressResolver((host, port, context, promise) ->
                guard.get().socketAddressResolver().resolve(host, port, context, promise));
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the " + name + " client", e);
        }
        return client;
    }
}
