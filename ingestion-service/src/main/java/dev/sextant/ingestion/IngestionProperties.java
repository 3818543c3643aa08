package dev.sextant.ingestion;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Everything an operator may tune, under {@code sextant.ingestion.*}; defaults live in application.yml.
 *
 * @param spoolDir  where uploads and parse results wait for their job (one file per generated id)
 * @param limits    what a single document may weigh
 * @param chunking  chunk size and overlap, in tokens of the embedding model's tokenizer
 * @param worker    the job queue's workers
 * @param embedding inference-service's embeddings endpoint (contract 1)
 * @param retrieval retrieval-service's internal write API (contract 4)
 */
@ConfigurationProperties("sextant.ingestion")
public record IngestionProperties(Path spoolDir, Limits limits, Chunking chunking, Worker worker,
        Embedding embedding, Retrieval retrieval) {

    /**
     * @param maxFileSize           an uploaded file larger than this is refused with 413
     * @param maxJsonSize           a JSON upload body larger than this is refused with 413
     * @param maxPages              pages, slides or sheets
     * @param maxCharacters         extracted characters
     * @param maxCompressionRatio   Tika's zip-bomb guard: output characters per input byte...
     * @param outputThreshold       ...checked once the output passes this many characters
     * @param maxDepth              Tika's guard on XML element nesting
     * @param maxPackageEntryDepth  Tika's guard on nested packages
     */
    public record Limits(DataSize maxFileSize, DataSize maxJsonSize, int maxPages, long maxCharacters, long maxCompressionRatio,
            long outputThreshold, int maxDepth, int maxPackageEntryDepth) {
    }

    public record Chunking(int maxTokens, int overlapTokens) {
    }

    /**
     * @param threads      concurrent jobs per instance
     * @param pollInterval how often an idle worker looks for work
     * @param lease        how long a claimed job stays claimed without a heartbeat; a crashed worker's job is
     *                     claimed again once its lease has expired
     * @param maxAttempts  attempts before a job whose upstream stays down fails
     * @param backoff      first retry delay; doubles per attempt up to {@code maxBackoff}
     */
    public record Worker(boolean enabled, int threads, Duration pollInterval, Duration lease, int maxAttempts,
            Duration backoff, Duration maxBackoff) {
    }

    /**
     * @param batchSize             texts per upstream call; requests of concurrent jobs are merged up to this
     * @param maxConcurrentRequests upstream calls in flight at once
     */
    public record Embedding(URI baseUrl, String model, int batchSize, int maxConcurrentRequests, Duration timeout) {
    }

    public record Retrieval(URI baseUrl, Duration timeout) {
    }
}
