package dev.sextant.ingestion.upstream;

import java.util.List;
import java.util.Map;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import dev.sextant.ingestion.IngestionProperties;

/**
 * retrieval-service's internal write API (contract 4): one PUT replaces all chunks of a document atomically,
 * one DELETE removes it from search.
 */
@Component
public class RetrievalClient {

    private final RestClient http;

    public RetrievalClient(RestClient.Builder builder, IngestionProperties properties) {
        this.http = builder.clone()
                .baseUrl(properties.retrieval().baseUrl().toString())
                .requestFactory(Upstreams.requestFactory(properties.retrieval().timeout()))
                .build();
    }

    public PutResult put(String tenant, String collection, String documentId, DocumentVersion document) {
        return Upstreams.call("retrieval-service", () -> http.put()
                .uri("/internal/collections/{c}/documents/{d}", collection, documentId)
                .header("X-Sextant-Tenant", tenant)
                .contentType(MediaType.APPLICATION_JSON)
                .body(document)
                .retrieve()
                .body(PutResult.class));
    }

    /** Removes the document; one retrieval does not know (never indexed, or already gone) counts as removed. */
    public void delete(String tenant, String collection, String documentId) {
        Upstreams.call("retrieval-service", () -> http.delete()
                .uri("/internal/collections/{c}/documents/{d}", collection, documentId)
                .header("X-Sextant-Tenant", tenant)
                .retrieve()
                .onStatus(status -> status.value() == 404, (request, response) -> { })
                .toBodilessEntity());
    }

    /** The body of the PUT, field names as contract 4 spells them. */
    public record DocumentVersion(String title, String uri, String contentHash, int version,
            Map<String, Object> metadata, List<IndexedChunk> chunks) {
    }

    public record IndexedChunk(int index, String text, int startOffset, int endOffset, Integer page,
            List<String> headingPath, float[] embedding) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PutResult(String documentId, int version, int chunks) {
    }
}
