package dev.sextant.inference.completion;

import dev.sextant.inference.openai.OpenAiException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;

import org.springframework.stereotype.Service;

import dev.sextant.inference.constraint.CompiledConstraint;
import dev.sextant.inference.constraint.ConstraintClient;
import dev.sextant.inference.constraint.ConstraintSpec;
import dev.sextant.inference.model.InferenceProperties;
import dev.sextant.inference.model.LoadedModel;
import dev.sextant.inference.model.ModelRegistry;
import dev.sextant.inference.sampling.SamplingParams;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.inference.scheduler.GenerationHandle;
import dev.sextant.inference.scheduler.GenerationRequest;
import tools.jackson.databind.JsonNode;

/**
 * Turns OpenAI-shaped requests into scheduler requests: resolves the model, renders the chat template, tokenizes,
 * validates every parameter (refusing by name what is unknown or not enforced), and starts the generation.
 */
@Service
public class CompletionService {

    /** A started generation: events arrive on {@code events}; cancel the handle when the client goes away. */
    public record Started(LoadedModel model, GenerationHandle handle, LinkedBlockingQueue<GenerationEvent> events,
            int promptTokens, CompiledConstraint constraint) {
    }

    /**
     * How a request names its prompt and its completion budget, and what it asked for: {@code requested} null means
     * it named no budget and gets {@code byDefault}, cut to what the context has left after the prompt.
     *
     * <pre>{@code new Budget("messages", "max_tokens", request.maxTokens(), Integer.MAX_VALUE)}</pre>
     */
    public record Budget(String promptParam, String maxParam, Integer requested, int byDefault) {
    }

    private final ModelRegistry registry;
    private final InferenceProperties properties;
    private final ConstraintClient constraints;

    public CompletionService(ModelRegistry registry, InferenceProperties properties, ConstraintClient constraints) {
        this.registry = registry;
        this.properties = properties;
        this.constraints = constraints;
    }

    public ConstraintClient constraints() {
        return constraints;
    }

    public ModelRegistry registry() {
        return registry;
    }

    public Started chat(ChatCompletionRequest r) {
        requireModel(r.model());
        if (r.messages() == null || r.messages().isEmpty()) {
            throw OpenAiException.invalid("messages", "'messages' must hold at least one message");
        }
        refuseUnsupported(r.n(), r.logitBias());
        ConstraintSpec spec = constraintSpec(r.responseFormat(), r.guidedJson(), r.guidedRegex(), r.guidedChoice(),
                r.guidedGrammar());
        if (r.tools() != null && !r.tools().isNull() || r.toolChoice() != null && !r.toolChoice().isNull()) {
            throw OpenAiException.unsupported(r.tools() != null ? "tools" : "tool_choice",
                    "Tool calling is not supported by this server yet; remove 'tools' and 'tool_choice'");
        }
        LoadedModel model = registry.resolve(r.model());
        List<Map<String, Object>> messages = new ArrayList<>();
        for (int i = 0; i < r.messages().size(); i++) {
            ChatCompletionRequest.Message m = r.messages().get(i);
            if (m == null || m.role() == null || !List.of("system", "user", "assistant", "developer", "tool").contains(m.role())) {
                throw OpenAiException.invalid("messages[" + i + "].role", "role must be one of system, developer, user, assistant");
            }
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role().equals("developer") ? "system" : m.role());
            message.put("content", text(m.content(), "messages[" + i + "].content"));
            messages.add(message);
        }
        String prompt;
        try {
            prompt = model.chatTemplate().render(messages, true);
        } catch (IllegalArgumentException e) {
            throw OpenAiException.invalid("messages", e.getMessage());
        }
        String bos = model.tokenizer().bosId() >= 0 ? model.tokenizer().tokenText(model.tokenizer().bosId()) : null;
        boolean templateHasBos = bos != null && !bos.isEmpty() && prompt.startsWith(bos);
        int[] tokens = model.tokenizer().encode(prompt, !templateHasBos, true);
        Budget budget = r.maxCompletionTokens() != null
                ? new Budget("messages", "max_completion_tokens", r.maxCompletionTokens(), Integer.MAX_VALUE)
                : new Budget("messages", "max_tokens", r.maxTokens(), Integer.MAX_VALUE);
        SamplingParams sampling = sampling(r.temperature(), r.topP(), r.topK(), r.minP(), r.repetitionPenalty(),
                r.presencePenalty(), r.frequencyPenalty(), r.seed(), Boolean.TRUE.equals(r.logprobs()),
                r.topLogprobs() == null ? 0 : r.topLogprobs());
        return start(model, tokens, sampling, budget, stops(r.stop()), Boolean.TRUE.equals(r.ignoreEos()), spec);
    }

    public Started completion(CompletionRequest r) {
        requireModel(r.model());
        refuseUnsupported(r.n(), r.logitBias());
        ConstraintSpec spec = constraintSpec(r.responseFormat(), r.guidedJson(), r.guidedRegex(), r.guidedChoice(),
                r.guidedGrammar());
        if (r.bestOf() != null && r.bestOf() != 1) {
            throw OpenAiException.unsupported("best_of", "best_of other than 1 is not supported");
        }
        if (Boolean.TRUE.equals(r.echo())) {
            throw OpenAiException.unsupported("echo", "echo is not supported; remove it");
        }
        if (r.suffix() != null) {
            throw OpenAiException.unsupported("suffix", "suffix (fill-in-the-middle) is not supported; remove it");
        }
        LoadedModel model = registry.resolve(r.model());
        int[] tokens = promptTokens(r.prompt(), model);
        SamplingParams sampling = sampling(r.temperature(), r.topP(), r.topK(), r.minP(), r.repetitionPenalty(),
                r.presencePenalty(), r.frequencyPenalty(), r.seed(), r.logprobs() != null,
                r.logprobs() == null ? 0 : r.logprobs());
        return start(model, tokens, sampling, new Budget("prompt", "max_tokens", r.maxTokens(), 16), stops(r.stop()),
                Boolean.TRUE.equals(r.ignoreEos()), spec);
    }

    /**
     * Starts a generation on a resolved model from prompt token ids (the Takeoff API uses this), after refusing a
     * request that cannot fit the model's context.
     */
    public Started start(LoadedModel model, int[] tokens, SamplingParams sampling, Budget budget, List<String> stop,
            boolean ignoreEos, ConstraintSpec spec) {
        int max = maxTokens(model.scheduler().contextLimit(), tokens.length, budget);
        CompiledConstraint constraint = spec == null ? null : constraints.compile(model, spec);
        LinkedBlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
        GenerationRequest request = new GenerationRequest(tokens, sampling, max, stop, ignoreEos,
                properties.requestTimeout(), constraint == null ? null : constraint.newMatcher());
        GenerationHandle handle = model.scheduler().submit(request, events::add);
        return new Started(model, handle, events, tokens.length, constraint);
    }

    /**
     * The completion tokens a request may generate. A prompt that leaves no room, or a requested budget that does
     * not fit after the prompt, is refused (as vLLM and OpenAI refuse it) instead of being cut short silently;
     * without a requested budget the default is cut to what fits.
     *
     * @throws ContextLengthExceededException naming the context length, the prompt tokens and the budget
     */
    static int maxTokens(int contextLength, int promptTokens, Budget budget) {
        Integer requested = budget.requested();
        if (requested != null && requested < 1) {
            throw OpenAiException.invalid(budget.maxParam(), budget.maxParam() + " must be at least 1");
        }
        if (promptTokens >= contextLength) {
            throw ContextLengthExceededException.prompt(budget.promptParam(), contextLength, promptTokens);
        }
        int room = contextLength - promptTokens;
        if (requested == null) {
            return Math.min(budget.byDefault(), room);
        }
        if (requested > room) {
            throw ContextLengthExceededException.completion(budget.promptParam(), budget.maxParam(), contextLength,
                    promptTokens, requested);
        }
        return requested;
    }

    private static void requireModel(String model) {
        if (model == null || model.isBlank()) {
            throw OpenAiException.invalid("model", "'model' is required: GET /v1/models lists the loaded models");
        }
    }

    /**
     * The one output constraint of a request, from OpenAI's {@code response_format} or vLLM's {@code guided_*}
     * fields; more than one is refused, and so is a format this server does not know.
     */
    static ConstraintSpec constraintSpec(JsonNode responseFormat, JsonNode guidedJson, String guidedRegex,
            List<String> guidedChoice, String guidedGrammar) {
        List<ConstraintSpec> specs = new ArrayList<>();
        if (responseFormat != null && !responseFormat.isNull()) {
            String type = responseFormat.path("type").asString("");
            switch (type) {
                case "text" -> { }
                case "json_object" -> specs.add(ConstraintSpec.jsonSchema("response_format",
                        tools.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("type", "object")));
                case "json_schema" -> {
                    JsonNode schema = responseFormat.path("json_schema").path("schema");
                    if (!schema.isObject() && !schema.isBoolean()) {
                        throw OpenAiException.invalid("response_format.json_schema.schema",
                                "response_format of type json_schema needs json_schema.schema, a JSON Schema object");
                    }
                    specs.add(ConstraintSpec.jsonSchema("response_format.json_schema.schema", schema));
                }
                default -> throw OpenAiException.invalid("response_format.type",
                        "response_format.type must be text, json_object or json_schema, not '" + type + "'");
            }
        }
        if (guidedJson != null && !guidedJson.isNull()) {
            specs.add(ConstraintSpec.jsonSchema("guided_json", guidedJson));
        }
        if (guidedRegex != null) {
            specs.add(ConstraintSpec.regex("guided_regex", guidedRegex));
        }
        if (guidedChoice != null) {
            if (guidedChoice.isEmpty()) {
                throw OpenAiException.invalid("guided_choice", "guided_choice needs at least one choice");
            }
            specs.add(ConstraintSpec.choice("guided_choice", guidedChoice));
        }
        if (guidedGrammar != null) {
            specs.add(ConstraintSpec.grammar("guided_grammar", guidedGrammar));
        }
        if (specs.size() > 1) {
            throw OpenAiException.invalid(specs.get(1).param(), "give one constraint per request; found "
                    + specs.stream().map(ConstraintSpec::param).toList());
        }
        return specs.isEmpty() ? null : specs.getFirst();
    }

    private static void refuseUnsupported(Integer n, JsonNode logitBias) {
        if (n != null && n != 1) {
            throw OpenAiException.unsupported("n", "n other than 1 is not supported; send n requests instead");
        }
        if (logitBias != null && !logitBias.isNull() && !logitBias.isEmpty()) {
            throw OpenAiException.unsupported("logit_bias", "logit_bias is not supported; remove it");
        }
    }

    private static SamplingParams sampling(Float temperature, Float topP, Integer topK, Float minP, Float repetition,
            Float presence, Float frequency, Long seed, boolean logprobs, int topLogprobs) {
        return new SamplingParams(temperature == null ? 1f : temperature, topK == null ? 0 : topK,
                topP == null ? 1f : topP, minP == null ? 0f : minP, repetition == null ? 1f : repetition,
                presence == null ? 0f : presence, frequency == null ? 0f : frequency, seed, topLogprobs, logprobs);
    }

    public static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isString()) {
            return List.of(stop.asString());
        }
        if (stop.isArray() && stop.size() <= 4) {
            List<String> out = new ArrayList<>();
            for (JsonNode s : stop) {
                if (!s.isString()) {
                    throw OpenAiException.invalid("stop", "'stop' must be a string or a list of up to 4 strings");
                }
                out.add(s.asString());
            }
            return out;
        }
        throw OpenAiException.invalid("stop", "'stop' must be a string or a list of up to 4 strings");
    }

    private static String text(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isString()) {
            return content.asString();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asString(""))) {
                    throw OpenAiException.unsupported(param, "only text content parts are supported");
                }
                sb.append(part.path("text").asString(""));
            }
            return sb.toString();
        }
        throw OpenAiException.invalid(param, "content must be a string or a list of text parts");
    }

    private static int[] promptTokens(JsonNode prompt, LoadedModel model) {
        if (prompt == null || prompt.isNull()) {
            throw OpenAiException.invalid("prompt", "'prompt' is required");
        }
        if (prompt.isString()) {
            return model.tokenizer().encode(prompt.asString(), true, false);
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isString()) {
            return model.tokenizer().encode(prompt.get(0).asString(), true, false);
        }
        if (prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber()) {
            int[] ids = new int[prompt.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!prompt.get(i).canConvertToInt()) {
                    throw OpenAiException.invalid("prompt", "token ids must be integers");
                }
                ids[i] = prompt.get(i).asInt();
            }
            return ids;
        }
        throw OpenAiException.invalid("prompt", "'prompt' must be a string, a list of one string, or a list of token ids");
    }
}
