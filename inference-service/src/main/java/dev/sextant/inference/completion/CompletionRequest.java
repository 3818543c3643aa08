package dev.sextant.inference.completion;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/** OpenAI's legacy completion request ({@code prompt} is a string, or a list of token ids), with vLLM's extensions. */
public record CompletionRequest(
        String model,
        JsonNode prompt,
        Float temperature,
        @JsonProperty("top_p") Float topP,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("min_p") Float minP,
        Integer n,
        @JsonProperty("best_of") Integer bestOf,
        @JsonProperty("max_tokens") Integer maxTokens,
        JsonNode stop,
        Boolean stream,
        @JsonProperty("stream_options") ChatCompletionRequest.StreamOptions streamOptions,
        Long seed,
        @JsonProperty("presence_penalty") Float presencePenalty,
        @JsonProperty("frequency_penalty") Float frequencyPenalty,
        @JsonProperty("repetition_penalty") Float repetitionPenalty,
        Integer logprobs,
        Boolean echo,
        String suffix,
        @JsonProperty("logit_bias") JsonNode logitBias,
        String user,
        @JsonProperty("ignore_eos") Boolean ignoreEos,
        @JsonProperty("response_format") JsonNode responseFormat,
        @JsonProperty("guided_json") JsonNode guidedJson,
        @JsonProperty("guided_regex") String guidedRegex,
        @JsonProperty("guided_choice") java.util.List<String> guidedChoice,
        @JsonProperty("guided_grammar") String guidedGrammar) {
}
