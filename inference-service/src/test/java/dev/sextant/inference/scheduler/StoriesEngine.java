package dev.sextant.inference.scheduler;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.sextant.inference.engine.Model;
import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;

/** The scheduler ITs' engine: the real stories260K model and its tokenizer (../shared), loaded for each test class. */
abstract class StoriesEngine {

    static Model model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        model = Model.load(SharedData.file("models/stories260K.gguf"));
        tokenizer = Tokenizers.fromGguf(SharedData.file("models/stories260K.gguf"));
    }

    @AfterAll
    static void free() {
        model.close();
    }
}
