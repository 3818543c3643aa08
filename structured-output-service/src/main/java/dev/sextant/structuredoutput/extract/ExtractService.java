package dev.sextant.structuredoutput.extract;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Service;

import dev.sextant.structuredoutput.grammar.GrammarRequest;
import dev.sextant.structuredoutput.grammar.GrammarService;
import dev.sextant.structuredoutput.grammar.OutputValidator;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Extraction: the schema is compiled here first (so a schema the compiler refuses gets its 400 naming the keyword
 * and pointer before any generation, and inference-service's own compile request is a cache hit), then the model
 * generates under it through inference-service's OpenAI API ({@code response_format: json_schema}), and the answer is
 * validated with networknt json-schema-validator before it leaves.
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
        InferenceClient.Completion answer = inference.chat(chatRequest(request));
        if ("length".equals(answer.finishReason())) {
            throw new SextantException(TRUNCATED, "max_tokens", "the model used all " + maxTokens(request)
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

    Map<String, Object> chatRequest(ExtractRequest request) {
        String instructions = request.instructions() == null || request.instructions().isBlank()
                ? DEFAULT_INSTRUCTIONS : request.instructions().strip();
        String system = instructions + "\nAnswer with one JSON value that conforms to this JSON Schema:\n" + request.schema();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", request.model());
        body.put("messages", List.of(Map.of("role", "system", "content", system), Map.of("role", "user", "content", request.text())));
        body.put("response_format", Map.of("type", "json_schema",
                "json_schema", Map.of("name", "extraction", "schema", request.schema(), "strict", true)));
        body.put("max_tokens", maxTokens(request));
        body.put("temperature", request.temperature() != null ? request.temperature() : 0f);
        if (request.seed() != null) {
            body.put("seed", request.seed());
        }
        return body;
    }

    private int maxTokens(ExtractRequest request) {
        return request.maxTokens() != null ? request.maxTokens() : properties.maxTokens();
    }
}
