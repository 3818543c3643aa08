package dev.sextant.ingestion.job;

import java.util.concurrent.TimeUnit;

import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Where the time goes, per stage, as Prometheus metrics ({@code sextant_ingestion_stage_seconds{stage}}). */
@Component
public class JobTimings {

    private final Timer chunking;
    private final Timer embedding;
    private final Timer indexing;
    private final Timer queued;
    private final Counter chunks;

    JobTimings(MeterRegistry registry) {
        this.chunking = Timer.builder("sextant.ingestion.stage").tag("stage", "chunk").register(registry);
        this.embedding = Timer.builder("sextant.ingestion.stage").tag("stage", "embed").register(registry);
        this.indexing = Timer.builder("sextant.ingestion.stage").tag("stage", "index").register(registry);
        this.queued = Timer.builder("sextant.ingestion.stage").tag("stage", "queue")
                .description("from upload to a worker's first claim").register(registry);
        this.chunks = Counter.builder("sextant.ingestion.chunks").register(registry);
    }

    void queued(long nanos) {
        queued.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    void record(int chunkCount, long chunkNanos, long embedNanos, long indexNanos) {
        chunking.record(chunkNanos, TimeUnit.NANOSECONDS);
        embedding.record(embedNanos, TimeUnit.NANOSECONDS);
        indexing.record(indexNanos, TimeUnit.NANOSECONDS);
        chunks.increment(chunkCount);
    }
}
