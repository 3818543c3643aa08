package dev.sextant.inference.model;

import java.util.Optional;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.vocabulary.TokenizerSource;

/** The vocabulary API answers for every loaded model (by id or consumer group) first. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class RegistryTokenizerSource implements TokenizerSource {

    private final ModelRegistry registry;

    RegistryTokenizerSource(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Optional<Tokenizer> tokenizer(String model) {
        try {
            return Optional.of(registry.resolve(model).tokenizer());
        } catch (ModelNotFoundException e) {
            return Optional.empty();
        }
    }
}
