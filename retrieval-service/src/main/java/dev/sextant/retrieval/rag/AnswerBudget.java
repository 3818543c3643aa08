package dev.sextant.retrieval.rag;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.support.ContextBudget;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/**
 * How many tokens a RAG answer may take, settled with inference-service as {@link ContextBudget} does (a default
 * budget refused is cut once to what the context leaves). Refused in RAG's terms: a {@code max_tokens} the client
 * named is never lowered behind its back, a 400 {@code context-length-exceeded} naming {@code max_tokens} says the
 * largest that fits, or to lower {@code top_k}; the passages and question alone filling the context is a 400 naming
 * {@code top_k}. The refusal arrives before any token, so a stream retries as a whole answer does.
 *
 * <pre>{@code
 * var a = AnswerBudget.generate(request, 512, passages, budget -> chat.complete(model, messages, format, budget));
 * }</pre>
 */
final class AnswerBudget {

    private AnswerBudget() {
    }

    /** Checked before anything is retrieved or streamed. */
    static void check(RagRequest request) {
        if (request.maxTokens() != null && request.maxTokens() < 1) {
            throw new SextantException(ErrorCode.VALIDATION, "max_tokens", "'max_tokens' must be at least 1");
        }
    }

    static ContextBudget.Attempt<ChatCompletionClient.Reply> generate(RagRequest request, int byDefault, int passages,
            IntFunction<ChatCompletionClient.Reply> generation) {
        return ContextBudget.generate(request.maxTokens(), byDefault, RetrievalErrors.CONTEXT_LENGTH_EXCEEDED, generation,
                e -> refusal(request, passages, e));
    }

    /** inference-service's refusal in this request's terms: which of its fields to change, and to what. */
    static SextantException refusal(RagRequest request, int passages, SextantException e) {
        Integer room = ContextBudget.room(e);
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
