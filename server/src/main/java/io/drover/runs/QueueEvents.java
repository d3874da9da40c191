package io.drover.runs;

import java.time.Instant;
import java.util.Collection;

/** What the store tells the dispatch side after a commit: queues with new ready runs, new delays. */
public interface QueueEvents {
    void ready(Collection<String> queues);

    void delayed(Instant at);

    QueueEvents NONE = new QueueEvents() {
        @Override
        public void ready(Collection<String> queues) {}

        @Override
        public void delayed(Instant at) {}
    };
}
