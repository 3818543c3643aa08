package dev.sextant.ingestion.document;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.multipart.MultipartFile;

import dev.sextant.ingestion.IngestionErrors;
import dev.sextant.ingestion.job.JobState;
import dev.sextant.ingestion.job.ParsedCodec;
import dev.sextant.ingestion.parse.DocumentParser;
import dev.sextant.ingestion.parse.ParsedDocument;
import dev.sextant.ingestion.upstream.RetrievalClient;
import dev.sextant.ingestion.upstream.UpstreamException;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Accepts documents: every file is spooled, typed, checked against the limits and parsed before anything is
 * written, so a request with one bad file writes nothing; then, in one transaction, each document becomes a new
 * version with a queued job — or, when its bytes equal the current version's, nothing happens and the existing
 * version is returned.
 */
@Service
public class DocumentIntakeService {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final UploadSpool spool;
    private final DocumentParser parser;
    private final ParsedCodec codec;
    private final DocumentRepository documents;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final RetrievalClient retrieval;
    private final JsonMapper json = JsonMapper.builder().build();

    DocumentIntakeService(UploadSpool spool, DocumentParser parser, ParsedCodec codec, DocumentRepository documents,
            JdbcClient jdbc, TransactionTemplate tx, RetrievalClient retrieval) {
        this.spool = spool;
        this.parser = parser;
        this.codec = codec;
        this.documents = documents;
        this.jdbc = jdbc;
        this.tx = tx;
        this.retrieval = retrieval;
    }

    IngestResponse ingestFiles(String tenant, String collection, List<MultipartFile> files,
            List<DocumentRequests.FileDocument> fields) {
        checkName("collection", collection);
        if (files.isEmpty()) {
            throw new SextantException(ErrorCode.MISSING_PARAMETER, "file", "Send one or more parts named 'file'");
        }
        if (fields != null && fields.size() != files.size()) {
            throw new SextantException(ErrorCode.VALIDATION, "documents", "'documents' has " + fields.size()
                    + " entries for " + files.size() + " files; give one per file, in the same order");
        }
        List<Incoming> incoming = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            MultipartFile file = files.get(i);
            DocumentRequests.FileDocument field = fields == null ? null : fields.get(i);
            String fileName = FileNames.clean(file.getOriginalFilename());
            try (UploadSpool.Spooled spooled = spool.spool(file.getInputStream())) {
                String mediaType = parser.detect(spooled.path(), fileName);
                ParsedDocument parsed = requireText(parser.parse(spooled.path(), fileName, mediaType), fileName);
                String title = field != null && field.title() != null ? field.title()
                        : parsed.title() != null ? parsed.title() : fileName;
                String uri = field == null ? null : field.uri();
                String key = field != null && field.documentId() != null ? null : uri != null ? uri : fileName;
                String documentId = documentId(field == null ? null : field.documentId(), key);
                incoming.add(new Incoming(documentId, title, uri, field == null ? null : field.metadata(),
                        field == null ? null : field.acl(), spooled.sha256(), parsed));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return enqueue(tenant, collection, incoming);
    }

    IngestResponse ingestJson(String tenant, String collection, DocumentRequests.JsonDocuments request) {
        checkName("collection", collection);
        List<Incoming> incoming = new ArrayList<>();
        for (DocumentRequests.JsonDocument document : request.documents()) {
            String mediaType = DocumentParser.inlineType(document.mediaType());
            ParsedDocument parsed = requireText(parser.parseText(document.text(), mediaType), document.title());
            String documentId = documentId(document.documentId(),
                    document.uri() != null ? document.uri() : document.title());
            incoming.add(new Incoming(documentId, document.title(), document.uri(), document.metadata(),
                    document.acl(), sha256(document.text()), parsed));
        }
        return enqueue(tenant, collection, incoming);
    }

    /** Removes the document from search (retrieval's DELETE) and cancels its queued jobs, under its row lock. */
    void delete(String tenant, String collection, String documentId) {
        tx.executeWithoutResult(status -> {
            DocumentRepository.Current current = documents.lock(tenant, collection, documentId)
                    .filter(c -> !c.deleted())
                    .orElseThrow(() -> new SextantException(IngestionErrors.DOCUMENT_NOT_FOUND, "documentId",
                            "No document '" + documentId + "' in collection '" + collection + "'"));
            try {
                retrieval.delete(tenant, collection, documentId);
            } catch (UpstreamException e) {
                throw new SextantException(e.retryable() ? ErrorCode.UPSTREAM_UNAVAILABLE
                        : ErrorCode.of("upstream-rejected", HttpStatus.BAD_GATEWAY, "An upstream service refused the request"),
                        null, e.getMessage(), e.retryable() ? Map.of("retryAfterSeconds", 5) : Map.of(), e);
            }
            documents.markDeleted(tenant, collection, documentId);
            documents.closeQueuedJobs(tenant, collection, documentId, JobState.CANCELLED.wire(),
                    "the document was deleted (version " + current.version() + ")");
        });
    }

    private IngestResponse enqueue(String tenant, String collection, List<Incoming> incoming) {
        List<IngestResponse.Accepted> accepted = tx.execute(status -> {
            List<IngestResponse.Accepted> out = new ArrayList<>();
            for (Incoming doc : incoming) {
                out.add(enqueueOne(tenant, collection, doc));
            }
            return out;
        });
        return new IngestResponse(accepted);
    }

    private IngestResponse.Accepted enqueueOne(String tenant, String collection, Incoming doc) {
        String mediaType = doc.parsed().mediaType();
        DocumentRepository.Current current = documents.lockOrCreate(tenant, collection, doc.documentId(), mediaType);
        var latest = documents.latestJob(tenant, collection, doc.documentId());
        if (!current.deleted() && current.contentHash().equals(doc.contentHash()) && latest.isPresent()
                && latest.get().version() == current.version()
                && !JobState.FAILED.wire().equals(latest.get().state())
                && !JobState.CANCELLED.wire().equals(latest.get().state())) {
            return new IngestResponse.Accepted(doc.documentId(), latest.get().id(), current.version(), "unchanged",
                    doc.title(), mediaType, doc.contentHash());
        }
        int version = current.version() + 1;
        documents.accept(tenant, collection, doc.documentId(), version, doc.contentHash(), mediaType, doc.title(),
                doc.uri());
        documents.closeQueuedJobs(tenant, collection, doc.documentId(), JobState.SUPERSEDED.wire(),
                "version " + version + " arrived before this one was indexed");
        UUID jobId = UUID.randomUUID();
        jdbc.sql("""
                insert into jobs (id, tenant, collection, document_id, version, content_hash, media_type, title, uri,
                                  metadata, acl, state)
                values (:id, :t, :c, :d, :v, :h, :m, :title, :uri, cast(:metadata as jsonb), cast(:acl as jsonb), 'queued')""")
                .param("id", jobId).param("t", tenant).param("c", collection).param("d", doc.documentId())
                .param("v", version).param("h", doc.contentHash()).param("m", mediaType).param("title", doc.title())
                .param("uri", doc.uri())
                .param("metadata", json.writeValueAsString(doc.metadata() == null ? Map.of() : doc.metadata()))
                .param("acl", doc.acl() == null ? null : json.writeValueAsString(doc.acl()))
                .update();
        jdbc.sql("insert into job_inputs (job_id, parsed) values (:id, :p)")
                .param("id", jobId).param("p", codec.encode(doc.parsed())).update();
        return new IngestResponse.Accepted(doc.documentId(), jobId, version, "queued", doc.title(), mediaType,
                doc.contentHash());
    }

    private static ParsedDocument requireText(ParsedDocument parsed, String name) {
        if (parsed.blocks().isEmpty()) {
            throw new SextantException(IngestionErrors.DOCUMENT_UNREADABLE, "file",
                    "'" + name + "' contains no extractable text (a scanned document needs OCR first)");
        }
        return parsed;
    }

    /** An explicit id as given (if well-formed), else a stable id derived from the document's key. */
    static String documentId(String explicit, String key) {
        if (explicit != null) {
            checkName("documentId", explicit);
            return explicit;
        }
        return "doc-" + sha256(key).substring(0, 32);
    }

    static void checkName(String field, String value) {
        if (value == null || !ID.matcher(value).matches()) {
            throw new SextantException(ErrorCode.VALIDATION, field, field
                    + " must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }

    private static String sha256(String text) {
        return HexFormat.of().formatHex(UploadSpool.sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private record Incoming(String documentId, String title, String uri, Map<String, Object> metadata, Object acl,
            String contentHash, ParsedDocument parsed) {
    }
}
