package dev.sextant.ingestion.document;

import java.util.List;
import java.util.UUID;

/**
 * One entry per submitted document, in request order. {@code status} is {@code queued} (a job will index this
 * version) or {@code unchanged} (the same bytes are already the current version; {@code jobId} is the job that
 * indexed them).
 */
public record IngestResponse(List<Accepted> documents) {

    public record Accepted(String documentId, UUID jobId, int version, String status, String title,
            String mediaType, String contentHash) {
    }
}
