package dev.sextant.inference.embedding;

import dev.sextant.inference.openai.OpenAiException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import tools.jackson.databind.JsonNode;

/** OpenAI-compatible {@code POST /v1/embeddings}. */
@RestController
public class EmbeddingController {

    private final EmbeddingService service;

    EmbeddingController(EmbeddingService service) {
        this.service = service;
    }

    @PostMapping("/v1/embeddings")
    EmbeddingResponse embeddings(@RequestBody EmbeddingRequest request) {
        EmbeddingProperties p = service.properties();
        if (request.model() == null || request.model().isBlank()) {
            throw OpenAiException.invalid("model", "missing_required_parameter", "You must provide a model parameter");
        }
        if (!p.names(request.model())) {
            throw OpenAiException.invalid("model", "model_not_found", "The model '" + request.model()
                    + "' does not exist or is not an embedding model; this server embeds with '" + p.model() + "'");
        }
        String format = request.encodingFormat() == null ? "float" : request.encodingFormat();
        if (!format.equals("float") && !format.equals("base64")) {
            throw OpenAiException.invalid("encoding_format", "invalid_value", "encoding_format must be 'float' or 'base64', not '" + format + "'");
        }
        if (request.dimensions() != null && request.dimensions() != MiniLmEmbedder.DIMENSION) {
            throw OpenAiException.invalid("dimensions", "invalid_value", p.model() + " produces " + MiniLmEmbedder.DIMENSION
                    + " dimensions and cannot shorten them; omit 'dimensions' or send " + MiniLmEmbedder.DIMENSION);
        }
        List<String> texts = texts(request.input(), p.maxInputs());
        EmbeddingService.Embeddings result = service.embed(texts);
        List<EmbeddingResponse.Item> data = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            float[] v = result.vectors().get(i);
            data.add(new EmbeddingResponse.Item("embedding", i, format.equals("base64") ? base64(v) : v));
        }
        return new EmbeddingResponse("list", data, p.model(), new EmbeddingResponse.Usage(result.tokens(), result.tokens()));
    }

    /** The texts of {@code input}: a non-empty string or a non-empty array of non-empty strings. */
    static List<String> texts(JsonNode input, int maxInputs) {
        if (input == null || input.isNull() || input.isMissingNode()) {
            throw OpenAiException.invalid("input", "missing_required_parameter", "You must provide an input parameter");
        }
        if (input.isString()) {
            if (input.asString().isEmpty()) {
                throw OpenAiException.invalid("input", "invalid_value", "'input' cannot be an empty string");
            }
            return List.of(input.asString());
        }
        if (!input.isArray()) {
            throw OpenAiException.invalid("input", "invalid_type", "'input' must be a string or an array of strings");
        }
        if (input.isEmpty()) {
            throw OpenAiException.invalid("input", "invalid_value", "'input' cannot be an empty array");
        }
        if (input.size() > maxInputs) {
            throw OpenAiException.invalid("input", "invalid_value", "'input' has " + input.size() + " items; at most " + maxInputs + " are allowed");
        }
        List<String> texts = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isString()) {
                throw OpenAiException.invalid("input[" + i + "]", "invalid_type", "'input[" + i + "]' must be a string"
                        + (item.isNumber() || item.isArray() ? " (token arrays are not accepted; send text)" : ""));
            }
            if (item.asString().isEmpty()) {
                throw OpenAiException.invalid("input[" + i + "]", "invalid_value", "'input[" + i + "]' cannot be an empty string");
            }
            texts.add(item.asString());
        }
        return texts;
    }

    private static String base64(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            buf.putFloat(f);
        }
        return Base64.getEncoder().encodeToString(buf.array());
    }
}
