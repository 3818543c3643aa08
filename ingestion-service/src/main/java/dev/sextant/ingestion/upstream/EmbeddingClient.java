package dev.sextant.ingestion.upstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import dev.sextant.ingestion.IngestionProperties;

/**
 * inference-service's OpenAI-shaped embeddings endpoint (contract 1): {@code POST /v1/embeddings}
 * {@code {"model","input":[...]}} → {@code {"data":[{"index","embedding"}]}}.
 */
@Component
public class EmbeddingClient {

    private final RestClient http;
    private final String model;

    public EmbeddingClient(RestClient.Builder builder, IngestionProperties properties) {
        IngestionProperties.Embedding embedding = properties.embedding();
        this.model = embedding.model();
        this.http = builder.clone()
                .baseUrl(embedding.baseUrl().toString())
                .requestFactory(Upstreams.requestFactory(embedding.timeout()))
                .build();
    }

    /** One vector per text, in the order given. */
    public List<float[]> embed(String tenant, List<String> texts) {
        EmbeddingResponse response = Upstreams.call("inference-service embeddings", () -> http.post()
                .uri("/v1/embeddings")
                .header("X-Sextant-Tenant", tenant)
                .contentType(MediaType.APPLICATION_JSON)
                .body(new EmbeddingRequest(model, texts))
                .retrieve()
                .body(EmbeddingResponse.class));
        if (response == null || response.data() == null || response.data().size() != texts.size()) {
            throw new UpstreamException("inference-service embeddings returned "
                    + (response == null || response.data() == null ? "no data" : response.data().size() + " vectors")
                    + " for " + texts.size() + " inputs", false, null);
        }
        List<EmbeddingResponse.Item> items = new ArrayList<>(response.data());
        items.sort(Comparator.comparingInt(EmbeddingResponse.Item::index));
        return items.stream().map(EmbeddingResponse.Item::embedding).toList();
    }

    record EmbeddingRequest(String model, List<String> input) {
    }

    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record EmbeddingResponse(List<Item> data) {

        @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
        record Item(int index, float[] embedding) {
        }
    }
}
