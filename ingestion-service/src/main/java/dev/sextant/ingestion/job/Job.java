package dev.sextant.ingestion.job;

import java.time.Instant;
import java.util.UUID;

/** A row of the jobs table. {@code metadataJson} and {@code aclJson} are JSON text (acl may be null). */
public record Job(UUID id, String tenant, String collection, String documentId, int version, String contentHash,
        String mediaType, String title, String uri, String metadataJson, String aclJson, JobState state,
        Integer chunksTotal, int chunksDone, int attempts, String leaseOwner, String error, Instant createdAt,
        Instant updatedAt, Instant finishedAt) {
}
