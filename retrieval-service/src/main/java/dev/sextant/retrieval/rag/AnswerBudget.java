package dev.sextant.retrieval.rag;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/**
 * How many tokens a RAG answer may take. inference-service refuses prompt + max_tokens past the model's context (400
 * {@code context_length_exceeded}, with {@code context_length} and {@code prompt_tokens} as fields), and only it can
 * count the prompt's tokens, so the budget is settled by asking it:
 * <ul>
 * <li>the client named no {@code max_tokens}: the default (512) is a ceiling, not a demand, so a refused default is
 * asked again, once, with what the context leaves after the prompt ({@code context_length - prompt_tokens}), as
 * inference-service itself cuts its own defaults;</li>
 * <li>the client named {@code max_tokens}: it is never lowered behind its back; a 400 {@code context-length-exceeded}
 * naming {@code max_tokens} says the largest that fits, or to lower {@code top_k};</li>
 * <li>the passages and question alone fill the context: a 400 naming {@code top_k}.</li>
 * </ul>
 * The refusal arrives before any token, so a stream retries as a whole answer does.
 *
 * <pre>{@code
 * Generated g = AnswerBudget.generate(request, 512, passages, budget -> chat.complete(model, messages, format, budget));
 * }</pre>
 */
final class AnswerBudget {

    /** The reply, the budget it was generated under, and whether that budget was cut to what the context left. */
    record Generated(ChatCompletionClient.Reply reply, int maxTokens, boolean cut) {
    }

    private AnswerBudget() {
    }

    /** Checked before anything is retrieved or streamed. */
    static void check(RagRequest request) {
        if (request.maxTokens() != null && request.maxTokens() < 1) {
            throw new SextantException(ErrorCode.VALIDATION, "max_tokens", "'max_tokens' must be at least 1");
        }
    }

    static Generated generate(RagRequest request, int byDefault, int passages, IntFunction<ChatCompletionClient.Reply> generation) {
        int budget = request.maxTokens() != null ? request.maxTokens() : byDefault;
        SextantException refused;
        try {
            return new Generated(generation.apply(budget), budget, false);
        } catch (SextantException e) {
            refused = contextExceeded(e);
        }
        Integer room = room(refused);
        if (request.maxTokens() != null || room == null || room < 1 || room >= budget) {
            throw refusal(request, passages, refused);
        }
        try {
            return new Generated(generation.apply(room), room, true);
        } catch (SextantException e) {
            throw refusal(request, passages, contextExceeded(e)); // another replica with a smaller context, say
        }
    }

    /** {@code e} when it is inference-service's context refusal; rethrows anything else. */
    private static SextantException contextExceeded(SextantException e) {
        if (!e.errorCode().equals(RetrievalErrors.CONTEXT_LENGTH_EXCEEDED)) {
            throw e;
        }
        return e;
    }

    /** What the context leaves after the prompt; null when inference-service did not say (an older version). */
    private static Integer room(SextantException e) {
        if (e.properties().get("contextLength") instanceof Integer context && e.properties().get("promptTokens") instanceof Integer prompt) {
            return context - prompt;
        }
        return null;
    }

    /** inference-service's refusal in this request's terms: which of its fields to change, and to what. */
    static SextantException refusal(RagRequest request, int passages, SextantException e) {
        Integer room = room(e);
        if (room == null) { // only a message to pass on
            String field = e.field() != null && e.field().startsWith("max_") ? "max_tokens" : "top_k";
            return new SextantException(RetrievalErrors.CONTEXT_LENGTH_EXCEEDED, field, "inference-service: " + e.getMessage()
                    + " Lower top_k" + (field.equals("max_tokens") ? " or max_tokens." : " or ask a shorter question."), Map.of(), e);
        }
        int context = (Integer) e.properties().get("contextLength");
        int prompt = context - room;
        Map<String, Object> numbers = new LinkedHashMap<>();
        numbers.put("contextLength", context);
        numbers.put("promptTokens", prompt);
        String what = "The instructions, " + passages + (passages == 1 ? " passage" : " passages") + " and the question come to "
                + prompt + " tokens of model '" + request.model() + "', whose context holds " + context;
        if (room < 1) {
            return new SextantException(RetrievalErrors.CONTEXT_LENGTH_EXCEEDED, "top_k", what
                    + ", leaving none for the answer; lower top_k or ask a shorter question.", numbers, e);
        }
        Object asked = request.maxTokens() != null ? request.maxTokens() : e.properties().get("completionTokens");
        if (asked != null) {
            numbers.put("maxTokens", asked);
        }
        return new SextantException(RetrievalErrors.CONTEXT_LENGTH_EXCEEDED, "max_tokens", what + ", leaving " + room
                + " for the answer; set max_tokens to at most " + room + ", or lower top_k.", numbers, e);
    }
}
