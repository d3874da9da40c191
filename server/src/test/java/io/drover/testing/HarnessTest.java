package io.drover.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.client.DroverClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The test harness itself: {@link DroverTest}'s lifecycles and injection, and {@link Api#awaitStatus}. */
class HarnessTest {
    static final Set<Object> sharedServers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @AfterAll
    static void theSharedClassesHadOneServerThatOutlivesThem() {
        assertThat(sharedServers).hasSize(1);
        TestServer shared = (TestServer) sharedServers.iterator().next();
        assertThat(new Api(shared).get("/v1/jobs").status()).as("closed at the end of the run, not before").isEqualTo(200);
    }

    @Nested
    @DroverTest(shared = true, env = "DROVER_POLL_INTERVAL_MS=201") // an env no other class uses
    class SharedA {
        @Test
        void getsTheSharedServer(TestServer server, Api api) {
            sharedServers.add(server);
            assertThat(api.post("/v1/jobs", Map.of("slug", "shared-a")).status()).isEqualTo(201);
        }
    }

    @Nested
    @DroverTest(shared = true, env = "DROVER_POLL_INTERVAL_MS=201")
    class SharedB {
        @Test
        void getsTheSameServer(TestServer server, Api api) {
            sharedServers.add(server);
            assertThat(api.post("/v1/jobs", Map.of("slug", "shared-b")).status()).isEqualTo(201);
        }
    }

    @Nested
    @DroverTest(env = {"DROVER_RATE_LIMIT_PER_SEC=0.01", "DROVER_RATE_LIMIT_BURST=2"})
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class OneServerForTheClass {
        static TestServer server;
        static Api api;
        static DroverClient client;
        static Object seenInBeforeAll;
        static String firstUrl;

        @BeforeAll
        static void setUp(TestServer given) {
            seenInBeforeAll = given;
        }

        @Test
        @Order(1)
        void fieldsAndParametersAreTheSameServerStartedWithTheClassesEnvironment(TestServer param, Api paramApi) {
            assertThat(server).isSameAs(param).isSameAs(seenInBeforeAll);
            assertThat(paramApi).isSameAs(api);
            assertThat(client.listJobs(null, null).data()).isEmpty();
            firstUrl = server.jdbcUrl();
            // the env override is in force: a burst of 2, then refused (the client's call above was one)
            assertThat(api.get("/v1/jobs").status()).isEqualTo(200);
            assertThat(api.get("/v1/jobs").status()).isEqualTo(429);
        }

        @Test
        @Order(2)
        void theNextTestHasTheSameServer(TestServer param) {
            assertThat(param.jdbcUrl()).isEqualTo(firstUrl);
            assertThat(param.server()).isSameAs(server.server());
        }

        @AfterAll
        static void theServerIsStillUpInAfterAll() {
            assertThat(new Api(server.baseUrl(), null).get("/healthz").status()).isEqualTo(200);
        }
    }

    @Nested
    @DroverTest(lifecycle = DroverTest.Lifecycle.PER_METHOD)
    class OneServerPerTestMethod {
        static final Set<String> databases = new HashSet<>();
        TestServer server;
        Api api;

        @Test
        void aFreshServerAndDatabase(TestServer param) {
            freshAndEmpty(param);
        }

        @Test
        void anotherFreshServerAndDatabase(TestServer param) {
            freshAndEmpty(param);
        }

        private void freshAndEmpty(TestServer param) {
            assertThat(server).isSameAs(param);
            assertThat(databases.add(server.jdbcUrl())).as("a database no other test used").isTrue();
            assertThat(api.get("/v1/jobs").json().get("data")).isEmpty();
            assertThat(api.post("/v1/jobs", Map.of("slug", "mine")).status()).isEqualTo(201);
        }
    }

    @Nested
    @DroverTest
    class SeveralFieldsOfOneType {
        static TestServer first;
        static TestServer second;

        @Test
        void areLeftForTheClassToSet(TestServer param) {
            assertThat(first).isNull();
            assertThat(second).isNull();
            assertThat(param).isNotNull();
        }
    }

    @Nested
    @DroverTest
    class AwaitStatus {
        static Api api;

        @Test
        void returnsTheBodyOnceTheStatusIsReached() {
            api.post("/v1/jobs", Map.of("slug", "aw", "queue", "aw"));
            String id = api.post("/v1/jobs/aw/trigger", Map.of("delay_ms", 300)).json().get("id").asText();
            assertThat(api.awaitStatus("/v1/runs/" + id, "queued").get("id").asText()).isEqualTo(id);
        }

        @Test
        void aRunThatSettlesInAnotherStateFailsAtOnceShowingTheRun() {
            api.post("/v1/jobs", Map.of("slug", "aw2", "queue", "aw2"));
            String id = api.post("/v1/jobs/aw2/trigger", Map.of()).json().get("id").asText();
            assertThat(api.post("/v1/runs/" + id + "/cancel", Map.of()).status()).isEqualTo(200);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> api.awaitStatus("/v1/runs/" + id, "completed", Duration.ofSeconds(30)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("settled as canceled instead of completed")
                    .hasMessageContaining("\"id\":\"" + id + "\"");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not at the deadline").isLessThan(Duration.ofSeconds(10));
        }

        @Test
        void aTimeoutShowsTheLastBodySeen() {
            api.post("/v1/jobs", Map.of("slug", "aw3", "queue", "aw3"));
            String id = api.post("/v1/jobs/aw3/trigger", Map.of()).json().get("id").asText();
            assertThatThrownBy(() -> api.awaitStatus("/v1/runs/" + id, "completed", Duration.ofMillis(300)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("timed out")
                    .hasMessageContaining("\"status\":\"queued\"");
        }
    }
}
