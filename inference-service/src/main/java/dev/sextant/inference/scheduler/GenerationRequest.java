package dev.sextant.inference.scheduler;

import java.time.Duration;
import java.util.List;

import dev.sextant.constraint.Matcher;
import dev.sextant.inference.sampling.SamplingParams;

/**
 * One sequence to generate: prompt token ids, how to sample, when to stop, and optionally a constraint matcher
 * (fresh, for this sequence only) whose mask restricts every sampled token.
 */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stop,
        boolean ignoreEos, Duration timeout, Matcher constraint) {

    public GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stop,
            boolean ignoreEos, Duration timeout) {
        this(promptTokens, sampling, maxTokens, stop, ignoreEos, timeout, null);
    }

    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        stop = List.copyOf(stop);
    }
}
