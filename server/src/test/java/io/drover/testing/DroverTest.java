package io.drover.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class that runs against an in-process Drover server ({@link TestServer}) on a fresh
 * database. The server starts before the class's {@code @BeforeAll} methods and closes after its
 * {@code @AfterAll} methods, or, with {@link Lifecycle#PER_METHOD}, around each test method.
 *
 * <p>The server reaches the test two ways. As a parameter of a constructor, a test method or a
 * {@code @BeforeAll}/{@code @BeforeEach} method: {@link TestServer}, {@link Api} (admin key) or
 * {@code DroverClient} (admin key, closed with the server). As a field: a non-final field of one
 * of those types, static for a per-class server, is set before the class's set-up methods run;
 * when a class declares several fields of one type (a second node, say), none of them is set and
 * the class assigns them itself. {@link #shared} classes share one server, started once.
 *
 * <pre>{@code
 * @DroverTest(env = "DROVER_PUSH_ENABLED=false")
 * class LeaseExpiryTest {
 *     static Api api;          // set by the extension
 *
 *     @Test
 *     void something() { api.post("/v1/jobs", Map.of("slug", "a")); }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(TestServerExtension.class)
public @interface DroverTest {

    /** Environment overrides for the server, each {@code NAME=value}, e.g. {@code "DROVER_PUSH_ENABLED=false"}. */
    String[] env() default {};

    /** One server for the whole class (the default), or a new one for every test method. */
    Lifecycle lifecycle() default Lifecycle.PER_CLASS;

    /**
     * Share one server and database with the other {@code shared} classes of the same {@link #env}
     * (started by the first, closed when the test run ends), to spare a start and a stop per class.
     * Only for classes that touch nothing but their own jobs and queues (names no other shared class
     * uses) and assert nothing about the whole database, the metrics or listings across jobs. For
     * {@link Lifecycle#PER_CLASS} only.
     */
    boolean shared() default false;

    enum Lifecycle {
        /** Started before {@code @BeforeAll}, closed after {@code @AfterAll}. */
        PER_CLASS,
        /** Started before {@code @BeforeEach}, closed after {@code @AfterEach}, for each test method. */
        PER_METHOD
    }
}
