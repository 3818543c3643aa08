package dev.sextant.inference.model;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code GET /v1/models} (OpenAI) and the management API that lists, loads and unloads models at run time
 * ({@code /v1/management/models}).
 */
@RestController
public class ModelController {

    /** A load request: a GGUF path or Hugging Face directory on this machine, an optional id and consumer group. */
    public record LoadRequest(String id, String path, @JsonProperty("consumer_group") String consumerGroup) {
    }

    private final ModelRegistry registry;

    public ModelController(ModelRegistry registry) {
        this.registry = registry;
    }

    /** OpenAI's model list; {@code max_model_len} (as vLLM names it) is what prompt + max_tokens may reach. */
    @GetMapping("/v1/models")
    public Map<String, Object> list() {
        List<Map<String, Object>> data = registry.all().stream().sorted(Comparator.comparing(LoadedModel::id))
                .map(ModelController::entry).toList();
        return Map.of("object", "list", "data", data);
    }

    /**
     * OpenAI's retrieve-model: the model a request naming {@code model} (an id or a consumer group) runs on, or
     * 404 {@code model_not_found}; callers check a model here without starting a generation.
     */
    @GetMapping("/v1/models/{model}")
    public Map<String, Object> get(@PathVariable String model) {
        return entry(registry.resolve(model));
    }

    private static Map<String, Object> entry(LoadedModel m) {
        return Map.of("id", m.id(), "object", "model", "created", m.loadedAt().getEpochSecond(), "owned_by", "sextant",
                "max_model_len", m.scheduler().contextLimit());
    }

    @GetMapping("/v1/management/models")
    public List<Map<String, Object>> describe() {
        return registry.all().stream().sorted(Comparator.comparing(LoadedModel::id)).map(ModelController::describe).toList();
    }

    @PostMapping("/v1/management/models")
    public ResponseEntity<Map<String, Object>> load(@RequestBody LoadRequest request) {
        LoadedModel loaded = registry.load(request.id(), request.path(), request.consumerGroup());
        return ResponseEntity.status(HttpStatus.CREATED).body(describe(loaded));
    }

    @DeleteMapping("/v1/management/models/{id}")
    public ResponseEntity<Void> unload(@PathVariable String id) {
        registry.unload(id);
        return ResponseEntity.noContent().build();
    }

    static Map<String, Object> describe(LoadedModel m) {
        var info = m.model().info();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", m.id());
        out.put("consumer_group", m.consumerGroup());
        out.put("source", m.source());
        out.put("architecture", info.architecture());
        out.put("parameters", info.parameters());
        out.put("vocab_size", info.vocabularySize());
        out.put("context_length", info.trainedContextLength());
        out.put("max_model_len", m.scheduler().contextLimit());
        out.put("memory_bytes", m.memoryBytes());
        out.put("chat_template", m.chatTemplate().fromModel() ? "model" : "default");
        out.put("running", m.scheduler().runningCount());
        out.put("waiting", m.scheduler().waitingCount());
        out.put("loaded_at", m.loadedAt().toString());
        return out;
    }
}
