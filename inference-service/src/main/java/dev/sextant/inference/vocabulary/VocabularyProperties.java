package dev.sextant.inference.vocabulary;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code sextant.inference.models}: model id → GGUF file whose vocabulary {@code GET /v1/models/{model}/vocabulary}
 * serves. With nothing configured and {@code SEXTANT_SHARED_DIR} set, stories260K from the shared models.
 *
 * <pre>
 * sextant.inference.models.llama-2-7b: /models/llama-2-7b.Q4_K_M.gguf
 * </pre>
 */
@ConfigurationProperties("sextant.inference")
public record VocabularyProperties(Map<String, String> models) {

    public VocabularyProperties {
        Map<String, String> m = new LinkedHashMap<>(models == null ? Map.of() : models);
        if (m.isEmpty()) {
            String shared = System.getenv("SEXTANT_SHARED_DIR");
            if (shared != null && !shared.isBlank()) {
                Path stories = Path.of(shared, "models", "stories260K.gguf");
                if (Files.isRegularFile(stories)) {
                    m.put("stories260K", stories.toString());
                }
            }
        }
        models = Map.copyOf(m);
    }
}
