package dev.sextant.structuredoutput.grammar;

import java.time.Duration;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import dev.sextant.constraint.Vocabulary;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/** Fetches a model's vocabulary from inference-service ({@code GET /v1/models/{model}/vocabulary}), cached per model. */
@Component
public class VocabularyClient {

    public static final ErrorCode UNKNOWN_MODEL = ErrorCode.of("model-not-found", HttpStatus.NOT_FOUND, "Model not found");

    /** Contract 2 of the brief. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record VocabularyResponse(String model, @JsonProperty("tokenizer_hash") String tokenizerHash, String kind,
            @JsonProperty("vocab_size") int vocabSize, @JsonProperty("eos_token_ids") List<Integer> eosTokenIds,
            List<String> tokens) {
    }

    private final RestClient http;
    private final Cache<String, Vocabulary> cache = Caffeine.newBuilder().maximumSize(16).expireAfterWrite(Duration.ofMinutes(10)).build();

    public VocabularyClient(RestClient.Builder builder, GrammarProperties properties) {
        this.http = builder.baseUrl(properties.inferenceUrl()).build();
    }

    public Vocabulary vocabulary(String model) {
        return cache.get(model, this::fetch);
    }

    private Vocabulary fetch(String model) {
        VocabularyResponse r;
        try {
            r = http.get().uri("/v1/models/{model}/vocabulary", model).retrieve().body(VocabularyResponse.class);
        } catch (HttpClientErrorException.NotFound e) {
            throw new SextantException(UNKNOWN_MODEL, "model", "inference-service has no model '" + model + "'");
        } catch (RestClientException e) {
            throw new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, "model",
                    "cannot fetch the vocabulary of '" + model + "' from inference-service: " + e.getMessage(), java.util.Map.of(), e);
        }
        if (r == null || r.tokens() == null || r.tokens().size() != r.vocabSize()) {
            throw new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, "model", "inference-service sent a malformed vocabulary for '" + model + "'");
        }
        Base64.Decoder b64 = Base64.getDecoder();
        byte[][] tokens = new byte[r.vocabSize()][];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = b64.decode(r.tokens().get(i));
        }
        int[] eos = r.eosTokenIds() == null ? new int[0] : r.eosTokenIds().stream().mapToInt(Integer::intValue).toArray();
        return new Vocabulary(tokens, eos, r.tokenizerHash() != null ? r.tokenizerHash() : Vocabulary.canonicalHash(tokens, eos));
    }
}
