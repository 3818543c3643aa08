package dev.sextant.inference.vocabulary;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import dev.sextant.inference.openai.OpenAiException;
import dev.sextant.inference.tokenizer.Tokenizer;

/** {@code GET /v1/models/{model}/vocabulary}: what the structured-output service compiles grammars against. */
@RestController
public class VocabularyController {

    private final List<TokenizerSource> sources;
    private final Map<String, VocabularyResponse> cache = new ConcurrentHashMap<>();

    VocabularyController(List<TokenizerSource> sources) {
        this.sources = sources;
    }

    @GetMapping("/v1/models/{model}/vocabulary")
    VocabularyResponse vocabulary(@PathVariable String model) {
        for (TokenizerSource source : sources) {
            var tokenizer = source.tokenizer(model);
            if (tokenizer.isPresent()) {
                Tokenizer t = tokenizer.get();
                VocabularyResponse cached = cache.get(model);
                if (cached != null && cached.tokenizerHash().equals(t.hash())) {
                    return cached;
                }
                VocabularyResponse response = describe(model, t);
                cache.put(model, response);
                return response;
            }
        }
        throw new OpenAiException(HttpStatus.NOT_FOUND, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist");
    }

    static VocabularyResponse describe(String model, Tokenizer t) {
        Base64.Encoder b64 = Base64.getEncoder();
        List<String> tokens = new ArrayList<>(t.vocabSize());
        for (int id = 0; id < t.vocabSize(); id++) {
            tokens.add(b64.encodeToString(t.tokenBytes(id)));
        }
        return new VocabularyResponse(model, t.hash(), t.kind().wireName(), t.vocabSize(),
                t.bosId() >= 0 ? t.bosId() : null, t.endOfGenerationIds(), List.copyOf(tokens), t.specialTokenIds());
    }
}
