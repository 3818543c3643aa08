package dev.sextant.inference.vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;

/** Tokenizers of the GGUF files under {@code sextant.inference.models}, read once on first use. */
@Component
@Order(Ordered.LOWEST_PRECEDENCE)
class ConfiguredTokenizerSource implements TokenizerSource {

    private final VocabularyProperties properties;
    private final Map<String, Tokenizer> cache = new ConcurrentHashMap<>();

    ConfiguredTokenizerSource(VocabularyProperties properties) {
        this.properties = properties;
    }

    @Override
    public Optional<Tokenizer> tokenizer(String model) {
        String path = properties.models().get(model);
        if (path == null) {
            return Optional.empty();
        }
        return Optional.of(cache.computeIfAbsent(model, m -> {
            try {
                return Tokenizers.fromGguf(Path.of(path));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
    }
}
