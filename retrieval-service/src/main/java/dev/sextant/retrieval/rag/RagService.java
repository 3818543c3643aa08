package dev.sextant.retrieval.rag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.springframework.stereotype.Service;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.RetrievalProperties;
import dev.sextant.retrieval.search.Hit;
import dev.sextant.retrieval.search.SearchMode;
import dev.sextant.retrieval.search.SearchService;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.support.ContextBudget;
import dev.sextant.support.SextantException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Retrieve, number the passages 1..n, ask the model for JSON whose citation ids are constrained to exactly those
 * numbers (a JSON-schema enum in response_format), then verify every quote against its passage before answering.
 * When no passage is relevant enough (best cosine below {@code sextant.retrieval.rag.min-score}) the answer says
 * so and the model is not called.
 */
@Service
public class RagService {

    static final String NO_PASSAGE = "I could not find anything relevant to this question in the collection.";
    static final String UNVERIFIED = "The model's answer could not be verified against the retrieved passages, so it is withheld.";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SYSTEM = """
            Answer the question using only the numbered passages. Reply with JSON: {"answer": "...", "citations": \
            [{"passage_id": <number of a passage>, "quote": "<words copied exactly from that passage>"}]}. Every \
            statement must be supported by a citation whose quote is copied verbatim. If the passages do not answer \
            the question, say so in "answer" and give no citations.""";

    private final SearchService search;
    private final ChatCompletionClient chat;
    private final RetrievalProperties.Rag settings;

    RagService(SearchService search, ChatCompletionClient chat, RetrievalProperties properties) {
        this.search = search;
        this.chat = chat;
        this.settings = properties.rag();
    }

    /** Retrieved passages, numbered from 1, and whether any is relevant enough to answer from. */
    record Retrieval(List<RagAnswer.Source> sources, boolean relevant) {
        Map<Integer, String> texts() {
            Map<Integer, String> texts = new LinkedHashMap<>();
            sources.forEach(s -> texts.put(s.passageId(), s.text()));
            return texts;
        }
    }

    Retrieval retrieve(String tenant, RagRequest request, Filter filter) {
        CollectionInfo collection = search.collection(tenant, request.collection());
        int topK = request.topK() == null ? 5 : request.topK();
        List<Hit> hits = search.search(tenant, collection, request.question(), topK, SearchMode.HYBRID, filter, null);
        List<RagAnswer.Source> sources = new ArrayList<>();
        boolean relevant = false;
        for (Hit h : hits) {
            relevant |= h.denseScore() != null && h.denseScore() >= settings.minScore();
            var c = h.chunk();
            sources.add(new RagAnswer.Source(sources.size() + 1, c.documentId(), c.title(), c.uri(), c.index(),
                    c.startOffset(), c.endOffset(), c.page(), h.score(), h.denseScore(), h.lexicalScore(), c.text()));
        }
        return new Retrieval(List.copyOf(sources), relevant && !sources.isEmpty());
    }

    RagAnswer answer(RagRequest request, Retrieval retrieval) {
        if (!retrieval.relevant()) {
            return new RagAnswer(NO_PASSAGE, false, List.of(), List.of(), retrieval.sources(), request.model());
        }
        List<ChatCompletionClient.Message> messages = messages(request, retrieval);
        Map<String, Object> format = responseFormat(retrieval);
        return verify(request, retrieval, AnswerBudget.generate(request, settings.maxTokens(), retrieval.sources().size(),
                budget -> chat.complete(request.model(), messages, format, budget)));
    }

    RagAnswer stream(RagRequest request, Retrieval retrieval, Consumer<String> onToken) {
        if (!retrieval.relevant()) {
            return new RagAnswer(NO_PASSAGE, false, List.of(), List.of(), retrieval.sources(), request.model());
        }
        List<ChatCompletionClient.Message> messages = messages(request, retrieval);
        Map<String, Object> format = responseFormat(retrieval);
        return verify(request, retrieval, AnswerBudget.generate(request, settings.maxTokens(), retrieval.sources().size(),
                budget -> chat.stream(request.model(), messages, format, budget, onToken)));
    }

    private RagAnswer verify(RagRequest request, Retrieval retrieval, ContextBudget.Attempt<ChatCompletionClient.Reply> generated) {
        JsonNode reply;
        try {
            reply = JSON.readTree(generated.reply().content());
        } catch (JacksonException e) {
            if ("length".equals(generated.reply().finishReason())) {
                throw truncated(generated);
            }
            throw new SextantException(RetrievalErrors.UPSTREAM_FAILED, "model",
                    "The model's reply is not the JSON the response_format asked for; is constrained generation enabled for '"
                            + request.model() + "'?");
        }
        List<CitationVerifier.Citation> cited = new ArrayList<>();
        reply.path("citations").forEach(c -> cited.add(new CitationVerifier.Citation(c.path("passage_id").asInt(-1),
                c.path("quote").asString(""))));
        CitationVerifier.Result result = CitationVerifier.verify(cited, retrieval.texts());
        Map<Integer, String> documents = new LinkedHashMap<>();
        retrieval.sources().forEach(s -> documents.put(s.passageId(), s.documentId()));
        List<RagAnswer.Citation> citations = result.verified().stream()
                .map(c -> new RagAnswer.Citation(c.passageId(), documents.get(c.passageId()), c.quote())).toList();
        List<RagAnswer.Rejected> rejected = result.rejected().stream()
                .map(r -> new RagAnswer.Rejected(r.passageId(), r.quote(), r.reason())).toList();
        boolean grounded = !citations.isEmpty();
        String answer = reply.path("answer").asString("");
        if (!grounded && !cited.isEmpty()) {
            answer = UNVERIFIED;
        }
        return new RagAnswer(answer, grounded, citations, rejected, retrieval.sources(), request.model());
    }

    /** The budget ran out inside the JSON: the client's to change, a larger budget or fewer passages. */
    private static SextantException truncated(ContextBudget.Attempt<ChatCompletionClient.Reply> generated) {
        if (generated.cut()) {
            return new SextantException(RetrievalErrors.ANSWER_TRUNCATED, "top_k", "The model used all " + generated.maxTokens()
                    + " tokens the context leaves after the passages before its answer was complete; lower top_k.");
        }
        return new SextantException(RetrievalErrors.ANSWER_TRUNCATED, "max_tokens", "The model used all " + generated.maxTokens()
                + " tokens of max_tokens before its answer was complete; raise max_tokens, or lower top_k.");
    }

    private static List<ChatCompletionClient.Message> messages(RagRequest request, Retrieval retrieval) {
        StringBuilder user = new StringBuilder("Passages:\n\n");
        for (RagAnswer.Source s : retrieval.sources()) {
            user.append('[').append(s.passageId()).append("] ").append(s.title() == null ? s.documentId() : s.title()).append('\n')
                    .append(s.text().replaceAll("\\s+", " ").trim()).append("\n\n");
        }
        user.append("Question: ").append(request.question());
        return List.of(new ChatCompletionClient.Message("system", SYSTEM), new ChatCompletionClient.Message("user", user.toString()));
    }

    /** JSON schema of the reply; passage_id is an enum of exactly the retrieved passage numbers. */
    static Map<String, Object> responseFormat(Retrieval retrieval) {
        List<Integer> ids = retrieval.sources().stream().map(RagAnswer.Source::passageId).toList();
        Map<String, Object> citation = Map.of("type", "object",
                "properties", Map.of("passage_id", Map.of("type", "integer", "enum", ids),
                        "quote", Map.of("type", "string", "minLength", 1)),
                "required", List.of("passage_id", "quote"), "additionalProperties", false);
        Map<String, Object> schema = Map.of("type", "object",
                "properties", Map.of("answer", Map.of("type", "string"),
                        "citations", Map.of("type", "array", "items", citation)),
                "required", List.of("answer", "citations"), "additionalProperties", false);
        return Map.of("type", "json_schema", "json_schema", Map.of("name", "cited_answer", "strict", true, "schema", schema));
    }
}
