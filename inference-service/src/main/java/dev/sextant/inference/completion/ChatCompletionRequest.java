package dev.sextant.inference.completion;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/**
 * OpenAI's chat completion request, with vLLM's extensions: sampling ({@code top_k}, {@code min_p},
 * {@code repetition_penalty}, {@code ignore_eos}) and guided decoding ({@code guided_json}, {@code guided_regex},
 * {@code guided_choice}, {@code guided_grammar}). Unknown fields are refused by name (400).
 */
public record ChatCompletionRequest(
        String model,
        List<Message> messages,
        Float temperature,
        @JsonProperty("top_p") Float topP,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("min_p") Float minP,
        Integer n,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
        JsonNode stop,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        Long seed,
        @JsonProperty("presence_penalty") Float presencePenalty,
        @JsonProperty("frequency_penalty") Float frequencyPenalty,
        @JsonProperty("repetition_penalty") Float repetitionPenalty,
        Boolean logprobs,
        @JsonProperty("top_logprobs") Integer topLogprobs,
        @JsonProperty("response_format") JsonNode responseFormat,
        @JsonProperty("logit_bias") JsonNode logitBias,
        JsonNode tools,
        @JsonProperty("tool_choice") JsonNode toolChoice,
        @JsonProperty("parallel_tool_calls") Boolean parallelToolCalls,
        String user,
        @JsonProperty("ignore_eos") Boolean ignoreEos,
        @JsonProperty("guided_json") JsonNode guidedJson,
        @JsonProperty("guided_regex") String guidedRegex,
        @JsonProperty("guided_choice") List<String> guidedChoice,
        @JsonProperty("guided_grammar") String guidedGrammar) {

    /** A chat message; {@code content} is a string or a list of {"type":"text","text":...} parts. */
    public record Message(String role, JsonNode content, String name) {
    }

    public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {
    }
}
