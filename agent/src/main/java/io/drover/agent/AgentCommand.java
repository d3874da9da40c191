package io.drover.agent;

import java.util.Map;

/**
 * A command from Drover: {@code retry} or {@code cancel} of a task (target: its external id), or
 * {@code pause} / {@code resume} of an observed schedule (target: its name).
 */
public record AgentCommand(String id, String type, String target, Map<String, Object> args) {

    /** What the engine did with a command. */
    public record Result(boolean ok, String message) {
        public static Result ok(String message) {
            return new Result(true, message);
        }

        public static Result failed(String message) {
            return new Result(false, message);
        }
    }

    /** Carries commands out on the watched engine; one per adapter. */
    @FunctionalInterface
    public interface Handler {
        /** Does what the command asks, or says why not; an exception counts as a failure with its message. */
        Result handle(AgentCommand command) throws Exception;

        Handler NONE = c -> Result.failed("this agent carries out no commands");
    }
}
