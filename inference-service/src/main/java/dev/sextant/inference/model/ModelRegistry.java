package dev.sextant.inference.model;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

import dev.sextant.inference.engine.EngineException;
import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.gguf.GgufFile;
import dev.sextant.inference.scheduler.Scheduler;
import dev.sextant.inference.scheduler.SchedulerConfig;
import dev.sextant.inference.scheduler.SchedulerMetrics;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The models being served, by id and by consumer group. Loads the configured readers at start, and loads and
 * unloads at run time through the management API; a load that would exceed the memory budget is refused.
 */
@Service
public class ModelRegistry implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    private final InferenceProperties properties;
    private final MeterRegistry meterRegistry;
    private final Map<String, LoadedModel> models = new ConcurrentHashMap<>();

    public ModelRegistry(InferenceProperties properties, MeterRegistry meterRegistry) {
        this.properties = properties;
        this.meterRegistry = meterRegistry;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void loadConfigured() {
        List<InferenceProperties.Reader> readers = new ArrayList<>(properties.readers());
        if (properties.defaultModel() != null && !properties.defaultModel().isBlank()) {
            readers.addFirst(new InferenceProperties.Reader(null, properties.defaultModel(), "primary"));
        }
        for (InferenceProperties.Reader reader : readers) {
            try {
                load(reader.id(), reader.path(), reader.consumerGroup());
            } catch (RuntimeException e) {
                log.error("could not load model {}: {}", reader.path(), e.getMessage());
            }
        }
    }

    /** Loads a GGUF file or a Hugging Face directory under {@code id} (default: the file name). */
    public synchronized LoadedModel load(String id, String source, String consumerGroup) {
        if (source == null || source.isBlank()) {
            throw new ModelLoadException("'path' is required: a GGUF file or a Hugging Face directory", false, null);
        }
        Path path = Path.of(source);
        if (!Files.exists(path) && HubDownloader.looksLikeModelId(source)) {
            try {
                path = new HubDownloader(URI.create(properties.hubEndpoint()), Path.of(properties.hubCache()), System.err)
                        .download(source);
            } catch (IOException | IllegalArgumentException e) {
                throw new ModelLoadException("Cannot download '" + source + "' from " + properties.hubEndpoint() + ": "
                        + e.getMessage(), false, e);
            }
            if (id == null || id.isBlank()) {
                id = source.replaceFirst("[:@].*$", "").replaceFirst("^.*/", "");
            }
        }
        if (!Files.exists(path)) {
            throw new ModelLoadException("No model at '" + source + "': give a GGUF file or a Hugging Face directory"
                    + " (config.json + *.safetensors + tokenizer.json) on this machine", false, null);
        }
        String modelId = id != null && !id.isBlank() ? id : defaultId(path);
        if (models.containsKey(modelId)) {
            throw new ModelLoadException("A model with id '" + modelId + "' is already loaded; unload it first or pick another id", true, null);
        }
        Tokenizer tokenizer;
        String template;
        try {
            if (Files.isDirectory(path)) {
                if (!Files.isRegularFile(path.resolve("tokenizer.json"))) {
                    throw new ModelLoadException(path + ": no tokenizer.json; a Hugging Face directory needs config.json,"
                            + " *.safetensors, tokenizer.json and tokenizer_config.json", false, null);
                }
                tokenizer = Tokenizers.fromHuggingFaceDirectory(path);
                template = hfChatTemplate(path);
            } else {
                try (GgufFile gguf = GgufFile.open(path)) {
                    tokenizer = Tokenizers.fromGguf(gguf);
                    template = gguf.getString("tokenizer.chat_template", null);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelLoadException m) {
                throw m;
            }
            throw new ModelLoadException(source + ": " + e.getMessage(), false, e);
        }
        Model model;
        try {
            model = Model.load(path);
        } catch (EngineException e) {
            throw new ModelLoadException(e.getMessage(), false, e);
        }
        long needed = model.info().weightBytes() + kvBytes(model);
        long budget = memoryBudget();
        long used = models.values().stream().mapToLong(LoadedModel::memoryBytes).sum();
        if (used + needed > budget) {
            model.close();
            throw new ModelLoadException(String.format("Loading '%s' needs %,d bytes (weights %,d + KV cache %,d); %,d of the"
                    + " %,d-byte budget are in use by %d model(s): unload one or raise sextant.inference.memory-budget-bytes",
                    modelId, needed, model.info().weightBytes(), needed - model.info().weightBytes(), used, budget,
                    models.size()), true, null);
        }
        try {
            SessionOptions options = SessionOptions.defaults()
                    .withThreads(properties.threads())
                    .withMaxSequences(properties.maxNumSeqs())
                    .withContextTokens(properties.contextTokens())
                    .withKvBlockSize(properties.kvBlockSize())
                    .withMaxBatch(Math.max(properties.maxBatchedTokens(), properties.maxNumSeqs()))
                    .withMaxOutputs(properties.maxNumSeqs())
                    .withKvCacheType(properties.kvCacheDtype());
            Session session = model.newSession(options);
            SchedulerMetrics metrics = new SchedulerMetrics(meterRegistry, modelId);
            Scheduler scheduler = new Scheduler(modelId, session, tokenizer,
                    new SchedulerConfig(properties.maxNumSeqs(), properties.maxBatchedTokens(), properties.maxWaiting(),
                            properties.prefixCaching(), properties.mixedPrefillTokens() > 0 ? properties.mixedPrefillTokens()
                                    : properties.maxBatchedTokens(), properties.prefillBurstsFirst()), metrics);
            ChatTemplate chat = new ChatTemplate(template, tokenizer.tokenText(tokenizer.bosId()), tokenizer.tokenText(tokenizer.eosId()));
            LoadedModel loaded = new LoadedModel(modelId, consumerGroup == null ? "primary" : consumerGroup, source, model,
                    tokenizer, chat, session, scheduler, metrics, needed, Instant.now());
            models.put(modelId, loaded);
            log.info("loaded model {} from {} ({} parameters, consumer group {})", modelId, source,
                    model.info().parameters(), loaded.consumerGroup());
            return loaded;
        } catch (RuntimeException e) {
            model.close();
            throw new ModelLoadException(source + ": " + e.getMessage(), false, e);
        }
    }

    /** Stops serving a model; its running requests end as cancelled. */
    public void unload(String id) {
        LoadedModel removed = models.remove(id);
        if (removed == null) {
            throw new ModelNotFoundException(id, names());
        }
        removed.close();
        log.info("unloaded model {}", id);
    }

    /** By model id first, then by consumer group (the first model of that group). */
    public LoadedModel resolve(String name) {
        if (name == null || name.isBlank()) {
            if (models.size() == 1) {
                return models.values().iterator().next();
            }
            throw new ModelNotFoundException("", names());
        }
        LoadedModel byId = models.get(name);
        if (byId != null) {
            return byId;
        }
        return models.values().stream().filter(m -> m.consumerGroup().equals(name))
                .sorted((a, b) -> a.loadedAt().compareTo(b.loadedAt())).findFirst()
                .orElseThrow(() -> new ModelNotFoundException(name, names()));
    }

    public Collection<LoadedModel> all() {
        return List.copyOf(models.values());
    }

    private String names() {
        return models.isEmpty() ? "none" : models.keySet().stream().sorted().collect(Collectors.joining(", "));
    }

    /** tokenizer_config.json's chat_template: a string, or a list of named templates ("default" first). */
    private static String hfChatTemplate(Path dir) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return null;
        }
        tools.jackson.databind.JsonNode template = tools.jackson.databind.json.JsonMapper.builder().build()
                .readTree(config.toFile()).path("chat_template");
        if (template.isString()) {
            return template.asString();
        }
        for (tools.jackson.databind.JsonNode named : template) {
            if ("default".equals(named.path("name").asString(""))) {
                return named.path("template").asString(null);
            }
        }
        return template.isArray() && !template.isEmpty() ? template.get(0).path("template").asString(null) : null;
    }

    static String defaultId(Path path) {
        String name = path.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }

    /** K and V, every layer, for the whole context, in the configured cache element type. */
    private long kvBytes(Model model) {
        var info = model.info();
        return properties.kvCacheDtype().cacheBytes(2L * info.layers() * info.kvHeads() * info.headDim() * properties.contextTokens());
    }

    private long memoryBudget() {
        if (properties.memoryBudgetBytes() > 0) {
            return properties.memoryBudgetBytes();
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return (long) (os.getTotalMemorySize() * 0.8);
        }
        return Long.MAX_VALUE;
    }

    @Override
    public void destroy() {
        for (String id : List.copyOf(models.keySet())) {
            try {
                unload(id);
            } catch (RuntimeException e) {
                log.warn("unloading {} at shutdown: {}", id, e.getMessage());
            }
        }
    }
}
