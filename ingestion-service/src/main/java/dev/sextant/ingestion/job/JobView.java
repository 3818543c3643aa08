package dev.sextant.ingestion.job;

import java.time.Instant;
import java.util.UUID;

/**
 * A job as clients see it: {@code state} in queued, parsing, chunking, embedding, indexing, done, failed,
 * superseded, cancelled; {@code chunksDone}/{@code chunksTotal} once chunked; {@code error} says why a job failed
 * (or, while it is queued again, why the last attempt did).
 */
public record JobView(UUID id, String collection, String documentId, int version, String state, Integer chunksTotal,
        int chunksDone, int attempts, String error, Instant createdAt, Instant updatedAt, Instant finishedAt) {

    static JobView of(Job job) {
        return new JobView(job.id(), job.collection(), job.documentId(), job.version(), job.state().wire(),
                job.chunksTotal(), job.chunksDone(), job.attempts(), job.error(), job.createdAt(), job.updatedAt(),
                job.finishedAt());
    }

    boolean terminal() {
        return JobState.fromWire(state).terminal();
    }
}
