package dev.sextant.inference.embedding;

import dev.sextant.inference.openai.OpenAiException;

import java.util.List;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import tools.jackson.databind.JsonNode;

/**
 * Titan Takeoff's {@code POST /embed}: {@code {"text": str | [str], "consumer_group": "..."}} →
 * {@code {"result": [[...], ...]}}, one vector per text. Errors are Sextant problem details.
 */
@RestController
class TakeoffEmbedController {

    record EmbedRequest(JsonNode text, @JsonProperty("consumer_group") String consumerGroup) {
    }

    record EmbedResponse(List<float[]> result) {
    }

    private final EmbeddingService service;

    TakeoffEmbedController(EmbeddingService service) {
        this.service = service;
    }

    @PostMapping("/embed")
    EmbedResponse embed(@RequestBody EmbedRequest request) {
        EmbeddingProperties p = service.properties();
        if (request.consumerGroup() != null && p.consumerGroups().stream().noneMatch(request.consumerGroup()::equals)) {
            throw new SextantException(ErrorCode.of("consumer-group-not-found", org.springframework.http.HttpStatus.NOT_FOUND,
                    "Consumer group not found"), "consumer_group", "No embedding reader in consumer group '"
                    + request.consumerGroup() + "'; groups: " + p.consumerGroups());
        }
        List<String> texts;
        try {
            texts = EmbeddingController.texts(request.text(), p.maxInputs());
        } catch (OpenAiException e) {
            throw new SextantException(ErrorCode.VALIDATION, e.param().replace("input", "text"), e.getMessage().replace("'input", "'text"));
        }
        return new EmbedResponse(service.embed(texts).vectors());
    }
}
