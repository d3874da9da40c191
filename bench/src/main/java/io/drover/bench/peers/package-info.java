/**
 * {@code ./bench/peers}: Drover side by side with db-scheduler, JobRunr, Quartz and a raw-SQL ceiling.
 * {@link io.drover.bench.peers.Peers} runs each contender in its own child JVM ({@link io.drover.bench.peers.PeerRun}).
 */
package io.drover.bench.peers;
