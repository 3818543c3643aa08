package dev.sextant.inference.vocabulary;

import java.util.Optional;

import dev.sextant.inference.tokenizer.Tokenizer;

/**
 * Where the vocabulary API finds a model's tokenizer. Every bean of this type is asked in order; the first that
 * knows the model answers. The configured GGUF files are one source; the model registry can be another.
 */
public interface TokenizerSource {

    Optional<Tokenizer> tokenizer(String model);
}
