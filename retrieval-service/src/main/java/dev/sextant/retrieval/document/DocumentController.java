package dev.sextant.retrieval.document;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.validation.Valid;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.store.ChunkInput;
import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.DocumentInput;
import dev.sextant.retrieval.store.StaleVersionException;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import dev.sextant.support.Tenants;

/**
 * Contract 4, the write side ingestion-service calls (not routed by the gateway): replace a document's chunks in one
 * transaction, or delete the document. A version older than the stored one is refused with 409.
 */
@RestController
class DocumentController {

    private static final Pattern DOCUMENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,199}");

    private final ChunkStore store;

    DocumentController(ChunkStore store) {
        this.store = store;
    }

    @PutMapping("/internal/collections/{collection}/documents/{documentId}")
    Map<String, Object> upsert(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader,
            @PathVariable String collection, @PathVariable String documentId, @Valid @RequestBody UpsertDocumentRequest request) {
        String tenant = RetrievalErrors.tenant(tenantHeader);
        checkDocumentId(documentId);
        CollectionInfo c = store.findCollection(tenant, collection).orElseThrow(() -> RetrievalErrors.collectionNotFound(collection));
        Set<Integer> indexes = new HashSet<>();
        List<UpsertDocumentRequest.Chunk> chunks = request.chunks();
        for (int i = 0; i < chunks.size(); i++) {
            UpsertDocumentRequest.Chunk chunk = chunks.get(i);
            if (chunk.embedding().length != c.dimension()) {
                throw new SextantException(ErrorCode.VALIDATION, "chunks[" + i + "].embedding", "Embedding has "
                        + chunk.embedding().length + " dimensions; collection '" + collection + "' holds " + c.dimension());
            }
            if (!nonZeroFinite(chunk.embedding())) {
                throw new SextantException(ErrorCode.VALIDATION, "chunks[" + i + "].embedding",
                        "Embedding must be finite and not all zeros (cosine similarity is undefined otherwise)");
            }
            if (chunk.endOffset() < chunk.startOffset()) {
                throw new SextantException(ErrorCode.VALIDATION, "chunks[" + i + "].endOffset", "endOffset is before startOffset");
            }
            if (!indexes.add(chunk.index())) {
                throw new SextantException(ErrorCode.VALIDATION, "chunks[" + i + "].index", "Chunk index " + chunk.index() + " appears twice");
            }
        }
        List<ChunkInput> inputs = chunks.stream().map(ch -> new ChunkInput(ch.index(), ch.text(), ch.startOffset(),
                ch.endOffset(), ch.page(), ch.headingPath() == null ? List.of() : ch.headingPath(), ch.embedding())).toList();
        try {
            int stored = store.replaceDocument(tenant, c, new DocumentInput(documentId, request.title(), request.uri(),
                    request.contentHash(), request.version(), request.metadata() == null ? Map.of() : request.metadata(), inputs));
            return Map.of("documentId", documentId, "version", request.version(), "chunks", stored);
        } catch (StaleVersionException e) {
            throw new SextantException(RetrievalErrors.STALE_VERSION, "version", e.getMessage(),
                    Map.of("storedVersion", e.storedVersion()), null);
        }
    }

    @DeleteMapping("/internal/collections/{collection}/documents/{documentId}")
    ResponseEntity<Void> delete(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader,
            @PathVariable String collection, @PathVariable String documentId) {
        String tenant = RetrievalErrors.tenant(tenantHeader);
        CollectionInfo c = store.findCollection(tenant, collection).orElseThrow(() -> RetrievalErrors.collectionNotFound(collection));
        // Idempotent: deleting a document that is already gone is a success, so a retried delete never fails.
        store.deleteDocument(tenant, c, documentId);
        return ResponseEntity.noContent().build();
    }

    private static void checkDocumentId(String documentId) {
        if (!DOCUMENT_ID.matcher(documentId).matches()) {
            throw new SextantException(ErrorCode.VALIDATION, "documentId", "documentId must match " + DOCUMENT_ID.pattern());
        }
    }

    private static boolean nonZeroFinite(float[] v) {
        boolean nonZero = false;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return false;
            }
            nonZero |= x != 0f;
        }
        return nonZero;
    }
}
