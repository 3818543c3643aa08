package dev.sextant.inference.completion;

/**
 * A request that cannot fit the model's context: its prompt alone ({@code completionTokens} null), or its prompt
 * plus the completion it asked for. Refused before it is queued, with OpenAI's and vLLM's wording:
 *
 * <pre>{@code
 * This model's maximum context length is 512 tokens. However, you requested 530 tokens (18 in the messages,
 * 512 in the completion). Please reduce the length of the messages or set max_tokens to at most 494.
 * }</pre>
 *
 * @param param the request field to change, as the API names it ({@code max_tokens}, {@code messages}, ...)
 */
public class ContextLengthExceededException extends RuntimeException {

    private final String param;
    private final int contextLength;
    private final int promptTokens;
    private final Integer completionTokens;

    private ContextLengthExceededException(String param, int contextLength, int promptTokens, Integer completionTokens,
            String message) {
        super(message);
        this.param = param;
        this.contextLength = contextLength;
        this.promptTokens = promptTokens;
        this.completionTokens = completionTokens;
    }

    /** The prompt ({@code promptParam}, e.g. "messages") leaves no room for a single completion token. */
    static ContextLengthExceededException prompt(String promptParam, int contextLength, int promptTokens) {
        return new ContextLengthExceededException(promptParam, contextLength, promptTokens, null,
                "This model's maximum context length is " + contextLength + " tokens. However, your " + promptParam
                        + " resulted in " + promptTokens + " tokens, leaving none for the completion. Please reduce the"
                        + " length of the " + promptParam + ".");
    }

    /** The prompt fits, but not with the {@code requested} completion tokens ({@code maxParam}) after it. */
    static ContextLengthExceededException completion(String promptParam, String maxParam, int contextLength,
            int promptTokens, int requested) {
        return new ContextLengthExceededException(maxParam, contextLength, promptTokens, requested,
                "This model's maximum context length is " + contextLength + " tokens. However, you requested "
                        + ((long) promptTokens + requested) + " tokens (" + promptTokens + " in the " + promptParam + ", "
                        + requested + " in the completion). Please reduce the length of the " + promptParam
                        + " or set " + maxParam + " to at most " + (contextLength - promptTokens) + ".");
    }

    public String param() {
        return param;
    }

    public int contextLength() {
        return contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    /** The completion tokens asked for; null when the prompt alone does not fit. */
    public Integer completionTokens() {
        return completionTokens;
    }
}
