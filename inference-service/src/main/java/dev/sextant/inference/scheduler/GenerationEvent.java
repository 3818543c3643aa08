package dev.sextant.inference.scheduler;

/**
 * What a sequence produced, in order: text pieces (never a split UTF-8 character, never part of a stop string),
 * then exactly one {@link Finished} (or {@link Failed}).
 */
public sealed interface GenerationEvent {

    /** A piece of text and the token that completed it (logprob NaN unless asked). */
    record Token(int tokenId, String text, float logprob, int[] topTokens, float[] topLogprobs) implements GenerationEvent {
    }

    record Finished(FinishReason reason, int promptTokens, int completionTokens, long firstTokenNanos,
            long finishedNanos) implements GenerationEvent {
    }

    record Failed(String message) implements GenerationEvent {
    }
}
