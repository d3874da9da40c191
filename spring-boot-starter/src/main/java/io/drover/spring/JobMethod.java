package io.drover.spring;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.client.JobSpec;
import io.drover.client.NonRetryableException;
import io.drover.client.RunContext;
import io.drover.client.RunHandler;
import io.drover.client.Schedule;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;

/**
 * One {@link DroverJob} method of a bean, as a {@link RunHandler}: maps the payload to the
 * method's payload parameter type, passes the {@link RunContext} where asked, and unwraps what the
 * method throws.
 */
final class JobMethod {

    private final Object bean;
    private final Method method;
    private final DroverJob annotation;
    /** Where the payload and the context go among the parameters, -1 when not taken. */
    private final int payloadIndex;
    private final int contextIndex;
    private final Type payloadType;

    JobMethod(Object bean, Method method, DroverJob annotation) {
        this.bean = bean;
        this.method = method;
        this.annotation = annotation;
        Class<?>[] types = method.getParameterTypes();
        int payload = -1;
        int context = -1;
        for (int i = 0; i < types.length; i++) {
            if (types[i] == RunContext.class && context < 0) {
                context = i;
            } else if (payload < 0) {
                payload = i;
            } else {
                throw new IllegalStateException("@DroverJob method " + describe() + " takes more than a payload and a "
                        + "RunContext: its parameters must be (payload), (payload, RunContext), (RunContext) or none");
            }
        }
        this.payloadIndex = payload;
        this.contextIndex = context;
        this.payloadType = payload >= 0 ? method.getGenericParameterTypes()[payload] : null;
        method.setAccessible(true);
    }

    String slug() {
        return annotation.value();
    }

    DroverJob annotation() {
        return annotation;
    }

    String describe() {
        return method.getDeclaringClass().getName() + "." + method.getName();
    }

    /** The job definition that the annotation's attributes declare (unset ones left null). */
    JobSpec spec() {
        JobSpec.Builder b = JobSpec.builder(annotation.value());
        if (!annotation.queue().isEmpty()) {
            b.queue(annotation.queue());
        }
        if (annotation.maxAttempts() > 0) {
            b.maxAttempts(annotation.maxAttempts());
        }
        if (!annotation.cron().isEmpty()) {
            b.schedule(new Schedule(annotation.cron(), null, null,
                    annotation.timezone().isEmpty() ? null : annotation.timezone(), null));
        }
        if (annotation.timeoutSecs() > 0) {
            b.timeoutSecs(annotation.timeoutSecs());
        }
        if (annotation.priority() != Integer.MIN_VALUE) {
            b.priority(annotation.priority());
        }
        if (annotation.maxConcurrency() > 0) {
            b.maxConcurrency(annotation.maxConcurrency());
        }
        if (!annotation.description().isEmpty()) {
            b.description(annotation.description());
        }
        return b.build();
    }

    /** The handler, mapping payloads with {@code mapper}. */
    RunHandler handler(ObjectMapper mapper) {
        JavaType type = payloadType == null ? null : mapper.getTypeFactory().constructType(payloadType);
        return (ctx, payload) -> {
            Object[] args = new Object[method.getParameterCount()];
            if (payloadIndex >= 0) {
                args[payloadIndex] = map(mapper, type, ctx, payload);
            }
            if (contextIndex >= 0) {
                args[contextIndex] = ctx;
            }
            try {
                return method.invoke(bean, args);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        };
    }

    private static Object map(ObjectMapper mapper, JavaType type, RunContext ctx, JsonNode payload) {
        if (type.getRawClass() == JsonNode.class) {
            return payload;
        }
        try {
            return mapper.convertValue(payload, type);
        } catch (IllegalArgumentException e) {
            // The same payload would fail on every retry.
            throw new NonRetryableException("payload of run " + ctx.runId() + " does not map to " + type + ": "
                    + e.getMessage(), e);
        }
    }
}
