package dev.sextant.ingestion.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import dev.sextant.ingestion.IngestionProperties;
import dev.sextant.ingestion.chunk.Chunk;
import dev.sextant.ingestion.chunk.Chunker;
import dev.sextant.ingestion.document.DocumentRepository;
import dev.sextant.ingestion.parse.ParsedDocument;
import dev.sextant.ingestion.upstream.EmbeddingBatcher;
import dev.sextant.ingestion.upstream.RetrievalClient;
import dev.sextant.ingestion.upstream.UpstreamException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs one claimed job: load the parse result, chunk, embed in batches (progress after each), then index — the
 * PUT of contract 4 replaces the document's chunks in one go — under the document's row lock, so that a delete
 * or a newer version cannot slip in between the check and the write. Rerunning a job after a crash repeats the
 * same PUT, which replaces rather than adds: each document ends up indexed exactly once.
 */
@Component
class JobPipeline {

    private static final Logger log = LoggerFactory.getLogger(JobPipeline.class);

    private final JobRepository jobs;
    private final DocumentRepository documents;
    private final ParsedCodec codec;
    private final Chunker chunker;
    private final EmbeddingBatcher embeddings;
    private final RetrievalClient retrieval;
    private final TransactionTemplate tx;
    private final IngestionProperties.Worker worker;
    private final int batchSize;
    private final JsonMapper json = JsonMapper.builder().build();
    private final JobTimings timings;

    JobPipeline(JobRepository jobs, DocumentRepository documents, ParsedCodec codec, Chunker chunker,
            EmbeddingBatcher embeddings, RetrievalClient retrieval, TransactionTemplate tx,
            IngestionProperties properties, JobTimings timings) {
        this.jobs = jobs;
        this.documents = documents;
        this.codec = codec;
        this.chunker = chunker;
        this.embeddings = embeddings;
        this.retrieval = retrieval;
        this.tx = tx;
        this.worker = properties.worker();
        this.batchSize = properties.embedding().batchSize();
        this.timings = timings;
    }

    void run(Job job, String owner) {
        Duration lease = worker.lease();
        try {
            if (job.attempts() > worker.maxAttempts()) {
                fail(job, owner, "gave up after " + (job.attempts() - 1) + " attempts"
                        + (job.error() == null ? "" : "; last error: " + job.error()));
                return;
            }
            if (job.attempts() == 1 && job.createdAt() != null) {
                timings.queued(Duration.between(job.createdAt(), java.time.Instant.now()).toNanos());
            }
            long t0 = System.nanoTime();
            ParsedDocument parsed = codec.decode(jobs.input(job.id()));
            if (!jobs.advance(job.id(), owner, JobState.CHUNKING, null, 0, lease)) {
                return;
            }
            List<Chunk> chunks = chunker.chunk(parsed);
            long t1 = System.nanoTime();
            if (!jobs.advance(job.id(), owner, JobState.EMBEDDING, chunks.size(), 0, lease)) {
                return;
            }
            List<float[]> vectors = new ArrayList<>(chunks.size());
            for (int from = 0; from < chunks.size(); from += batchSize) {
                List<String> texts = chunks.subList(from, Math.min(chunks.size(), from + batchSize)).stream()
                        .map(Chunk::text).toList();
                vectors.addAll(embeddings.embed(job.tenant(), texts));
                if (!jobs.advance(job.id(), owner, JobState.EMBEDDING, chunks.size(), vectors.size(), lease)) {
                    return;
                }
            }
            long t2 = System.nanoTime();
            if (!jobs.advance(job.id(), owner, JobState.INDEXING, chunks.size(), chunks.size(), lease)) {
                return;
            }
            index(job, owner, chunks, vectors);
            timings.record(chunks.size(), t1 - t0, t2 - t1, System.nanoTime() - t2);
        } catch (UpstreamException e) {
            if (e.retryable() && job.attempts() < worker.maxAttempts()) {
                Duration delay = backoff(job.attempts());
                log.warn("job {} attempt {} failed, retrying in {}: {}", job.id(), job.attempts(), delay, e.getMessage());
                jobs.retryLater(job.id(), owner, delay,
                        "attempt " + job.attempts() + " of " + worker.maxAttempts() + " failed: " + e.getMessage());
            } else {
                fail(job, owner, e.getMessage() + (e.retryable() ? " (after " + job.attempts() + " attempts)" : ""));
            }
        } catch (RuntimeException e) {
            log.error("job {} failed", job.id(), e);
            fail(job, owner, "internal error: " + e);
        }
    }

    private void index(Job job, String owner, List<Chunk> chunks, List<float[]> vectors) {
        tx.executeWithoutResult(status -> {
            DocumentRepository.Current current = documents.lock(job.tenant(), job.collection(), job.documentId())
                    .orElse(null);
            if (current == null || current.deleted()) {
                finishTerminal(job, owner, JobState.CANCELLED, "the document was deleted before it was indexed");
                return;
            }
            if (current.version() != job.version()) {
                finishTerminal(job, owner, JobState.SUPERSEDED,
                        "version " + current.version() + " arrived before this one was indexed");
                return;
            }
            List<RetrievalClient.IndexedChunk> indexed = new ArrayList<>(chunks.size());
            for (int i = 0; i < chunks.size(); i++) {
                Chunk c = chunks.get(i);
                indexed.add(new RetrievalClient.IndexedChunk(c.index(), c.text(), c.startOffset(), c.endOffset(),
                        c.page(), c.headingPath(), vectors.get(i)));
            }
            retrieval.put(job.tenant(), job.collection(), job.documentId(), new RetrievalClient.DocumentVersion(
                    job.title(), job.uri(), job.contentHash(), job.version(), metadata(job), indexed));
            documents.markIndexed(job.tenant(), job.collection(), job.documentId(), job.version(), chunks.size());
            if (!jobs.finish(job.id(), owner, JobState.DONE, null)) {
                // another worker holds the job now; roll back, its PUT replaces this one
                status.setRollbackOnly();
                return;
            }
            jobs.dropInput(job.id());
        });
    }

    private void finishTerminal(Job job, String owner, JobState state, String reason) {
        if (jobs.finish(job.id(), owner, state, reason)) {
            jobs.dropInput(job.id());
        }
    }

    private void fail(Job job, String owner, String reason) {
        tx.executeWithoutResult(status -> finishTerminal(job, owner, JobState.FAILED, reason));
    }

    private Map<String, Object> metadata(Job job) {
        Map<String, Object> metadata = new LinkedHashMap<>(
                json.readValue(job.metadataJson(), new TypeReference<Map<String, Object>>() { }));
        if (job.aclJson() != null) {
            metadata.put("acl", json.readValue(job.aclJson(), Object.class));
        }
        return metadata;
    }

    /** backoff · 2^(attempt-1), capped. */
    Duration backoff(int attempt) {
        long factor = 1L << Math.min(20, Math.max(0, attempt - 1));
        Duration delay = worker.backoff().multipliedBy(factor);
        return delay.compareTo(worker.maxBackoff()) > 0 ? worker.maxBackoff() : delay;
    }
}
