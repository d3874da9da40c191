package io.drover.redact;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The JSON log encoder (DROVER_LOG_FORMAT=json) with the formatted message redacted by the
 * default rules, like {@code %redactedMsg} in the text pattern, and no raw arguments.
 */
public final class RedactingJsonEncoder extends JsonEncoder {
    /** Raw arguments would carry what the message hides, so they are off unless a config turns them on. */
    public RedactingJsonEncoder() {
        setWithArguments(false);
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return super.encode(redacted(event));
    }

    static ILoggingEvent redacted(ILoggingEvent event) {
        String message = Redactor.defaults().redactText(event.getFormattedMessage());
        return (ILoggingEvent) Proxy.newProxyInstance(ILoggingEvent.class.getClassLoader(),
                new Class<?>[] {ILoggingEvent.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getFormattedMessage")) {
                        return message;
                    }
                    try {
                        return method.invoke(event, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
