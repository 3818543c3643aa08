package dev.sextant.inference.takeoff;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/** Titan Takeoff's generation request: {@code text} is one prompt (a string) and {@code consumer_group} picks the model. */
public record GenerateRequest(
        JsonNode text,
        @JsonProperty("consumer_group") String consumerGroup,
        @JsonProperty("sampling_temperature") Float samplingTemperature,
        @JsonProperty("sampling_topp") Float samplingTopp,
        @JsonProperty("sampling_topk") Integer samplingTopk,
        @JsonProperty("repetition_penalty") Float repetitionPenalty,
        @JsonProperty("max_new_tokens") Integer maxNewTokens,
        @JsonProperty("min_new_tokens") Integer minNewTokens,
        @JsonProperty("no_repeat_ngram_size") Integer noRepeatNgramSize,
        @JsonProperty("stop") JsonNode stop,
        Long seed,
        @JsonProperty("json_schema") JsonNode jsonSchema,
        @JsonProperty("regex_string") String regexString) {
}
