package dev.sextant.structuredoutput.extract;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Service;

import dev.sextant.structuredoutput.grammar.GrammarRequest;
import dev.sextant.structuredoutput.grammar.GrammarService;
import dev.sextant.structuredoutput.grammar.OutputValidator;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.ContextBudget;
import dev.sextant.support.SextantException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Extraction: the schema is compiled here first (so a schema the compiler refuses gets its 400 naming the keyword
 * and pointer before any generation, and inference-service's own compile request is a cache hit), then the model
 * generates under it through inference-service's OpenAI API ({@code response_format: json_schema}), and the answer is
 * validated with networknt json-schema-validator before it leaves.
 * <p>
 * The output budget is settled with inference-service, which alone counts the prompt's tokens and refuses prompt +
 * max_tokens past the model's context (400 {@code context_length_exceeded} with {@code context_length} and
 * {@code prompt_tokens}). A request naming no {@code max_tokens} gets the default as a ceiling: refused, it is asked
 * once more with what the context leaves after the prompt. A {@code max_tokens} the client named is never lowered: it
 * gets a 400 {@code context-length-exceeded} naming {@code max_tokens} and the largest that fits; a prompt that fills
 * the context alone gets one naming {@code text}.
 *
 * <pre>{@code
 * ExtractResponse r = extract.extract(new ExtractRequest("stories260K", schema, "Lily is 3.", null, null, null, null));
 * }</pre>
 */
@Service
public class ExtractService {

    static final ErrorCode TRUNCATED = ErrorCode.of("extraction-truncated", org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT,
            "The output ran out of tokens before the data was complete");

    static final String DEFAULT_INSTRUCTIONS = "Extract the information the JSON Schema asks for from the user's text.";

    private final GrammarService grammars;
    private final InferenceClient inference;
    private final ExtractProperties properties;
    private final JsonMapper json;

    ExtractService(GrammarService grammars, InferenceClient inference, ExtractProperties properties, JsonMapper json) {
        this.grammars = grammars;
        this.inference = inference;
        this.properties = properties;
        this.json = json;
    }

    public ExtractResponse extract(ExtractRequest request) {
        check(request);
        compile(request);
        ContextBudget.Attempt<InferenceClient.Completion> generated = generate(request);
        InferenceClient.Completion answer = generated.reply();
        if ("length".equals(answer.finishReason())) {
            if (generated.cut()) {
                throw new SextantException(TRUNCATED, "text", "the model used all " + generated.maxTokens() + " tokens the"
                        + " context leaves after the instructions, schema and text before the JSON value was complete;"
                        + " shorten the text or simplify the schema");
            }
            throw new SextantException(TRUNCATED, "max_tokens", "the model used all " + generated.maxTokens()
                    + " tokens before the JSON value was complete; raise 'max_tokens' or simplify the schema");
        }
        List<String> errors = OutputValidator.validate(request.schema().toString(), answer.content());
        if (!errors.isEmpty()) {
            throw new SextantException(InferenceClient.INVALID_OUTPUT, "schema",
                    "the generated value does not validate against the schema: " + errors);
        }
        JsonNode data = json.readTree(answer.content());
        return new ExtractResponse(request.model(), data, new ExtractResponse.Usage(answer.promptTokens(), answer.completionTokens(),
                answer.promptTokens() + answer.completionTokens()));
    }

    private static void check(ExtractRequest request) {
        if (request.model() == null || request.model().isBlank()) {
            throw new SextantException(ErrorCode.VALIDATION, "model", "'model' is required: the id of a model served by inference-service");
        }
        if (request.schema() == null || !request.schema().isObject()) {
            throw new SextantException(ErrorCode.VALIDATION, "schema", "'schema' is required and must be a JSON Schema object");
        }
        if (request.text() == null || request.text().isBlank()) {
            throw new SextantException(ErrorCode.VALIDATION, "text", "'text' is required: the text to extract from");
        }
        if (request.maxTokens() != null && request.maxTokens() < 1) {
            throw new SextantException(ErrorCode.VALIDATION, "max_tokens", "'max_tokens' must be at least 1");
        }
        if (request.temperature() != null && (request.temperature() < 0 || request.temperature() > 2)) {
            throw new SextantException(ErrorCode.VALIDATION, "temperature", "'temperature' must be between 0 and 2");
        }
    }

    /** Compiles with the same request inference-service will send, so its compile is a cache hit. */
    private void compile(ExtractRequest request) {
        try {
            grammars.compile(new GrammarRequest(request.model(), request.schema(), null, null, null, null));
        } catch (SextantException e) {
            if ("json_schema".equals(e.field())) {
                throw new SextantException(e.errorCode(), "schema", e.getMessage(), e.properties(), e);
            }
            throw e;
        }
    }

    /** The answer, the budget it was generated under, and whether that was the default cut to what the context left. */
    private ContextBudget.Attempt<InferenceClient.Completion> generate(ExtractRequest request) {
        return ContextBudget.generate(request.maxTokens(), properties.maxTokens(), InferenceClient.CONTEXT_LENGTH_EXCEEDED,
                budget -> inference.chat(chatRequest(request, budget)), e -> refusal(request, e));
    }

    /** inference-service's refusal in the extract request's terms: which field to change, and to what. */
    private static SextantException refusal(ExtractRequest request, SextantException e) {
        Integer room = ContextBudget.room(e);
        if (room == null) {
            return e; // only inference-service's message, passed on with its parameter mapped to ours
        }
        int context = (Integer) e.properties().get("contextLength");
        int prompt = context - room;
        Map<String, Object> numbers = new LinkedHashMap<>();
        numbers.put("contextLength", context);
        numbers.put("promptTokens", prompt);
        String what = "The instructions, schema and text come to " + prompt + " tokens of model '" + request.model()
                + "', whose context holds " + context;
        if (room < 1) {
            return new SextantException(InferenceClient.CONTEXT_LENGTH_EXCEEDED, "text", what
                    + ", leaving none for the output; shorten the text (or the instructions or schema).", numbers, e);
        }
        Object asked = request.maxTokens() != null ? request.maxTokens() : e.properties().get("completionTokens");
        if (asked != null) {
            numbers.put("maxTokens", asked);
        }
        return new SextantException(InferenceClient.CONTEXT_LENGTH_EXCEEDED, "max_tokens", what + ", leaving " + room
                + " for the output; set max_tokens to at most " + room + ", or shorten the text.", numbers, e);
    }

    Map<String, Object> chatRequest(ExtractRequest request, int maxTokens) {
        String instructions = request.instructions() == null || request.instructions().isBlank()
                ? DEFAULT_INSTRUCTIONS : request.instructions().strip();
        String system = instructions + "\nAnswer with one JSON value that conforms to this JSON Schema:\n" + request.schema();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", request.model());
        body.put("messages", List.of(Map.of("role", "system", "content", system), Map.of("role", "user", "content", request.text())));
        body.put("response_format", Map.of("type", "json_schema",
                "json_schema", Map.of("name", "extraction", "schema", request.schema(), "strict", true)));
        body.put("max_tokens", maxTokens);
        body.put("temperature", request.temperature() != null ? request.temperature() : 0f);
        if (request.seed() != null) {
            body.put("seed", request.seed());
        }
        return body;
    }
}
