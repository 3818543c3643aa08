package dev.sextant.structuredoutput.grammar;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Contract 3's 201 body; {@code post_validated} lists keywords checked only on the finished output. */
public record GrammarResponse(String id, String hash, String model, @JsonProperty("tokenizer_hash") String tokenizerHash,
        Stats stats, @JsonProperty("enforced_keywords") List<String> enforcedKeywords,
        @JsonProperty("post_validated") List<String> postValidated, @JsonProperty("artifact_bytes") long artifactBytes) {

    public record Stats(int states, @JsonProperty("compile_ms") long compileMs, @JsonProperty("context_dependent") long contextDependent) {
    }
}
