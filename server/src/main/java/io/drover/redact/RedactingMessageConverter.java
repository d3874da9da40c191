package io.drover.redact;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %redactedMsg} in logback patterns: the log message with sensitive key=value pairs and
 * card numbers masked by the default rules. A safety net; code should not log secrets at all.
 */
public final class RedactingMessageConverter extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return Redactor.defaults().redactText(super.convert(event));
    }
}
