package dev.sextant.support;

import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A generation whose answer budget must fit what the model's context leaves after the prompt. inference-service refuses
 * prompt + max_tokens past the context (400 {@code context_length_exceeded}, with {@code contextLength} and
 * {@code promptTokens} among the problem's properties) and only it can count the prompt's tokens, so the budget is
 * settled by asking it:
 * <ul>
 * <li>the client named no {@code max_tokens}: the default is a ceiling, not a demand, so a refused default is asked
 * again, once, with what the context leaves ({@code contextLength - promptTokens}), as inference-service itself cuts
 * its own defaults;</li>
 * <li>the client named {@code max_tokens}, or the prompt alone fills the context, or inference-service did not say
 * the numbers: the refusal goes back to the client in the calling service's terms ({@code refusal}).</li>
 * </ul>
 *
 * <pre>{@code
 * Attempt<Reply> a = ContextBudget.generate(request.maxTokens(), 512, CONTEXT_LENGTH_EXCEEDED,
 *         budget -> chat.complete(messages, budget), e -> refusal(request, e));
 * }</pre>
 */
public final class ContextBudget {

    /** The reply, the budget it was generated under, and whether that budget was cut to what the context left. */
    public record Attempt<T>(T reply, int maxTokens, boolean cut) {
    }

    private ContextBudget() {
    }

    /**
     * Runs {@code generation} with the client's budget ({@code requested}) or {@code byDefault}; a refusal with error code
     * {@code contextExceeded} is retried or turned into {@code refusal}'s exception as above; any other exception
     * passes through.
     */
    public static <T> Attempt<T> generate(Integer requested, int byDefault, ErrorCode contextExceeded, IntFunction<T> generation,
            Function<SextantException, SextantException> refusal) {
        int budget = requested != null ? requested : byDefault;
        SextantException refused;
        try {
            return new Attempt<>(generation.apply(budget), budget, false);
        } catch (SextantException e) {
            refused = only(contextExceeded, e);
        }
        Integer room = room(refused);
        if (requested != null || room == null || room < 1 || room >= budget) {
            throw refusal.apply(refused);
        }
        try {
            return new Attempt<>(generation.apply(room), room, true);
        } catch (SextantException e) {
            throw refusal.apply(only(contextExceeded, e)); // another replica with a smaller context, say
        }
    }

    /** What the context leaves after the prompt; null when inference-service did not say (an older version). */
    public static Integer room(SextantException e) {
        if (e.properties().get("contextLength") instanceof Integer context && e.properties().get("promptTokens") instanceof Integer prompt) {
            return context - prompt;
        }
        return null;
    }

    /** {@code e} when it is the context refusal; rethrows anything else. */
    private static SextantException only(ErrorCode contextExceeded, SextantException e) {
        if (!e.errorCode().equals(contextExceeded)) {
            throw e;
        }
        return e;
    }
}
