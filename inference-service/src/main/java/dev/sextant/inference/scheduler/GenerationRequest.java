package dev.sextant.inference.scheduler;

import java.time.Duration;
import java.util.List;

import dev.sextant.inference.sampling.SamplingParams;

/** One sequence to generate: prompt token ids, how to sample, when to stop. */
public record GenerationRequest(int[] promptTokens, SamplingParams sampling, int maxTokens, List<String> stop,
        boolean ignoreEos, Duration timeout) {

    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        stop = List.copyOf(stop);
    }
}
