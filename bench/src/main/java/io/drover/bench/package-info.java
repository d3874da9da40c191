/** Benchmarks of the Drover engine. */
package io.drover.bench;
