package dev.sextant.inference.vocabulary;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /v1/models/{model}/vocabulary} on a real port, with the default configuration (stories260K from
 * SEXTANT_SHARED_DIR), so it shares the application context with the other ITs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class VocabularyIT {

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheExactBytesEachTokenEmitsForAnSpmModel() throws Exception {
        HttpResponse<String> response = get("/v1/models/stories260K/vocabulary");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json.readTree(response.body());
        Tokenizer expected = Tokenizers.fromGguf(SharedData.file("models/stories260K.gguf"));
        assertThat(body.path("model").asString()).isEqualTo("stories260K");
        assertThat(body.path("kind").asString()).isEqualTo("spm");
        assertThat(body.path("vocab_size").asInt()).isEqualTo(512).isEqualTo(expected.vocabSize());
        assertThat(body.path("tokenizer_hash").asString()).isEqualTo(expected.hash()).hasSize(64);
        assertThat(body.path("bos_token_id").asInt()).isEqualTo(1);
        assertThat(body.path("eos_token_ids").get(0).asInt()).isEqualTo(2);
        assertThat(body.path("tokens")).hasSize(512);
        assertThat(body.path("tokens").get(1).asString()).as("<s> is a control token").isEmpty();
        for (int id = 0; id < 512; id++) {
            assertThat(Base64.getDecoder().decode(body.path("tokens").get(id).asString())).as("token %d", id)
                    .isEqualTo(expected.tokenBytes(id));
        }
        int newline = expected.tokenId("<0x0A>");
        assertThat(Base64.getDecoder().decode(body.path("tokens").get(newline).asString())).containsExactly('\n');
        assertThat(body.path("special_token_ids").toString()).contains("1", "2");
    }

    @Test
    void unknownModelIs404InOpenAiShapeNamingTheModel() throws Exception {
        HttpResponse<String> response = get("/v1/models/no-such-model/vocabulary");
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = json.readTree(response.body()).path("error");
        assertThat(error.path("param").asString()).isEqualTo("model");
        assertThat(error.path("code").asString()).isEqualTo("model_not_found");
        assertThat(error.path("message").asString()).contains("no-such-model");
        assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
    }
}
