package dev.sextant.ingestion.document;

import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The documents table: the latest accepted version of each document. Callers hold a transaction; {@link #lock}
 * takes the row lock that serialises a document's enqueue, index and delete.
 */
@Repository
public class DocumentRepository {

    private final JdbcClient jdbc;

    public DocumentRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The current row, locked until the transaction ends. */
    public Optional<Current> lock(String tenant, String collection, String documentId) {
        return jdbc.sql("""
                select version, content_hash, deleted from documents
                where tenant = :t and collection = :c and document_id = :d for update""")
                .param("t", tenant).param("c", collection).param("d", documentId)
                .query((rs, n) -> new Current(rs.getInt(1), rs.getString(2), rs.getBoolean(3)))
                .optional();
    }

    /** Creates the row if absent (version 0), then locks it. */
    Current lockOrCreate(String tenant, String collection, String documentId, String mediaType) {
        jdbc.sql("""
                insert into documents (tenant, collection, document_id, version, content_hash, media_type)
                values (:t, :c, :d, 0, '', :m) on conflict do nothing""")
                .param("t", tenant).param("c", collection).param("d", documentId).param("m", mediaType)
                .update();
        return lock(tenant, collection, documentId).orElseThrow();
    }

    /** The newest job of the document: its id, version and state. */
    Optional<LatestJob> latestJob(String tenant, String collection, String documentId) {
        return jdbc.sql("""
                select id, version, state from jobs where tenant = :t and collection = :c and document_id = :d
                order by seq desc limit 1""")
                .param("t", tenant).param("c", collection).param("d", documentId)
                .query((rs, n) -> new LatestJob(rs.getObject(1, UUID.class), rs.getInt(2), rs.getString(3)))
                .optional();
    }

    void accept(String tenant, String collection, String documentId, int version, String contentHash,
            String mediaType, String title, String uri) {
        jdbc.sql("""
                update documents set version = :v, content_hash = :h, media_type = :m, title = :title, uri = :uri,
                    deleted = false, updated_at = now()
                where tenant = :t and collection = :c and document_id = :d""")
                .param("v", version).param("h", contentHash).param("m", mediaType).param("title", title)
                .param("uri", uri).param("t", tenant).param("c", collection).param("d", documentId)
                .update();
    }

    /** Marks queued (not yet running) jobs of the document terminal: a newer version or a delete overtook them. */
    void closeQueuedJobs(String tenant, String collection, String documentId, String state, String reason) {
        jdbc.sql("""
                update jobs set state = :s, error = :r, updated_at = now(), finished_at = now()
                where tenant = :t and collection = :c and document_id = :d and state = 'queued'""")
                .param("s", state).param("r", reason)
                .param("t", tenant).param("c", collection).param("d", documentId)
                .update();
    }

    void markDeleted(String tenant, String collection, String documentId) {
        jdbc.sql("""
                update documents set deleted = true, indexed_version = null, chunks = null, updated_at = now()
                where tenant = :t and collection = :c and document_id = :d""")
                .param("t", tenant).param("c", collection).param("d", documentId)
                .update();
    }

    public void markIndexed(String tenant, String collection, String documentId, int version, int chunks) {
        jdbc.sql("""
                update documents set indexed_version = :v, chunks = :n, updated_at = now()
                where tenant = :t and collection = :c and document_id = :d""")
                .param("v", version).param("n", chunks)
                .param("t", tenant).param("c", collection).param("d", documentId)
                .update();
    }

    public record Current(int version, String contentHash, boolean deleted) {
    }

    record LatestJob(UUID id, int version, String state) {
    }
}
