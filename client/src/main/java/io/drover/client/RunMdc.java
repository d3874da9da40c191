package io.drover.client;

/**
 * Puts the run a handler executes into SLF4J's MDC for the handler's duration, so that every line
 * it logs carries {@code drover.run_id}, {@code drover.job} and {@code drover.attempt}. SLF4J is an
 * optional dependency: without it on the class path this does nothing.
 */
final class RunMdc {

    static final String RUN_ID = "drover.run_id";
    static final String JOB = "drover.job";
    static final String ATTEMPT = "drover.attempt";

    private static final boolean AVAILABLE = available();

    private RunMdc() {
    }

    private static boolean available() {
        try {
            Class.forName("org.slf4j.MDC", false, RunMdc.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static void put(RunContext ctx) {
        if (AVAILABLE) {
            Slf4j.put(ctx);
        }
    }

    static void clear() {
        if (AVAILABLE) {
            Slf4j.clear();
        }
    }

    /** Loaded only when SLF4J is there. */
    private static final class Slf4j {
        static void put(RunContext ctx) {
            org.slf4j.MDC.put(RUN_ID, ctx.runId());
            org.slf4j.MDC.put(JOB, ctx.jobSlug());
            org.slf4j.MDC.put(ATTEMPT, Integer.toString(ctx.attempt()));
        }

        static void clear() {
            org.slf4j.MDC.remove(RUN_ID);
            org.slf4j.MDC.remove(JOB);
            org.slf4j.MDC.remove(ATTEMPT);
        }
    }
}
