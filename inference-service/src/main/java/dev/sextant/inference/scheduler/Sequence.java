package dev.sextant.inference.scheduler;

import java.util.Arrays;
import java.util.function.Consumer;

import dev.sextant.constraint.Matcher;
import dev.sextant.inference.sampling.Sampler;
import dev.sextant.inference.tokenizer.StreamingDecoder;

/**
 * A request's state inside the scheduler: every token of the context (prompt, then generated), how many of them
 * the KV cache holds, and the per-sequence sampler, detokenizer and stop matcher. Touched only by the scheduler
 * thread, except {@link #cancel()}.
 */
final class Sequence implements GenerationHandle {

    final GenerationRequest request;
    final Consumer<GenerationEvent> sink;
    final Sampler sampler;
    final StreamingDecoder decoder;
    final StopStringMatcher stops;
    final Matcher constraint;
    final long[] mask;
    final long submittedNanos = System.nanoTime();
    final long deadlineNanos;
    int slot = -1;
    int[] tokens;
    int length;
    int computed;
    int generated;
    int preemptions;
    /** The KV cache holds the whole context once (prompt, or prompt and output after a preemption). */
    boolean prefilled;
    /** A decode step has run since the prefill completed. */
    boolean decoded;
    /** When the prefill completed (its token sampled). */
    long readyNanos;
    long firstTokenNanos;
    long lastTokenNanos;
    boolean finished;
    private volatile boolean cancelled;

    Sequence(GenerationRequest request, Consumer<GenerationEvent> sink, Sampler sampler, StreamingDecoder decoder) {
        this.request = request;
        this.sink = sink;
        this.sampler = sampler;
        this.decoder = decoder;
        this.stops = new StopStringMatcher(request.stop());
        this.constraint = request.constraint();
        this.mask = constraint == null ? null : new long[(sampler.vocabSize() + 63) / 64];
        this.tokens = Arrays.copyOf(request.promptTokens(), request.promptTokens().length + Math.min(request.maxTokens(), 4096) + 1);
        this.length = request.promptTokens().length;
        this.deadlineNanos = request.timeout() == null ? Long.MAX_VALUE : submittedNanos + request.timeout().toNanos();
        for (int t : request.promptTokens()) {
            sampler.observe(t, false);
        }
    }

    void append(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = token;
        generated++;
        sampler.observe(token, true);
    }

    /** Tokens not yet in the KV cache: the whole prompt at first, then the last sampled token. */
    int pending() {
        return length - computed;
    }

    @Override
    public void cancel() {
        cancelled = true;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }
}
