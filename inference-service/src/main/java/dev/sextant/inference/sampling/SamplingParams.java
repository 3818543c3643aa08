package dev.sextant.inference.sampling;

/**
 * How the next token is chosen from the logits. {@code temperature == 0} is greedy (argmax, lowest id on ties).
 * Penalties follow OpenAI (presence, frequency: subtracted per occurrence in the generated text) and
 * llama.cpp/vLLM (repetition: logits of seen tokens divided when positive, multiplied when negative).
 *
 * <pre>{@code
 * SamplingParams p = SamplingParams.greedy().withTemperature(0.7f).withTopP(0.9f).withSeed(42L);
 * }</pre>
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
        float presencePenalty, float frequencyPenalty, Long seed, int topLogprobs, boolean logprobs) {

    public SamplingParams {
        check(temperature >= 0 && temperature <= 2, "temperature", "must be between 0 and 2");
        check(topK >= 0, "top_k", "must be 0 (off) or positive");
        check(topP > 0 && topP <= 1, "top_p", "must be in (0, 1]");
        check(minP >= 0 && minP <= 1, "min_p", "must be in [0, 1]");
        check(repetitionPenalty > 0 && repetitionPenalty <= 10, "repetition_penalty", "must be in (0, 10]");
        check(presencePenalty >= -2 && presencePenalty <= 2, "presence_penalty", "must be between -2 and 2");
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequency_penalty", "must be between -2 and 2");
        check(topLogprobs >= 0 && topLogprobs <= 20, "top_logprobs", "must be between 0 and 20");
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0f, 1f, 0f, 0f, null, 0, false);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }

    /** True when only the argmax is needed: greedy with no penalty and no logprobs. */
    public boolean isPlainGreedy() {
        return isGreedy() && !hasPenalties() && !logprobs;
    }

    public boolean hasPenalties() {
        return repetitionPenalty != 1f || presencePenalty != 0f || frequencyPenalty != 0f;
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, topLogprobs, logprobs);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, topLogprobs, logprobs);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, topLogprobs, logprobs);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repetitionPenalty, presencePenalty, frequencyPenalty, seed, topLogprobs, logprobs);
    }

    public SamplingParams withPenalties(float repetition, float presence, float frequency) {
        return new SamplingParams(temperature, topK, topP, minP, repetition, presence, frequency, seed, topLogprobs, logprobs);
    }

    public SamplingParams withSeed(Long s) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, s, topLogprobs, logprobs);
    }

    public SamplingParams withLogprobs(boolean on, int top) {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, top, on);
    }

    private static void check(boolean ok, String field, String message) {
        if (!ok) {
            throw new InvalidSamplingParameterException(field, field + " " + message);
        }
    }
}
