package dev.sextant.inference.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code POST /v1/embeddings} and Takeoff's {@code POST /embed} on a real port with the real ONNX model. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EmbeddingIT {

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static float[] vector(JsonNode array) {
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) array.get(i).asDouble();
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void embedsAnArrayWithRelatedSentencesCloserThanUnrelatedOnes() throws Exception {
        HttpResponse<String> response = post("/v1/embeddings", """
                {"model": "all-minilm-l6-v2", "input": [
                  "The cat sits on the mat.",
                  "A kitten is resting on a rug.",
                  "Quarterly revenue grew by eight percent in Europe."]}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = json.readTree(response.body());
        assertThat(body.path("object").asString()).isEqualTo("list");
        assertThat(body.path("model").asString()).isEqualTo("all-minilm-l6-v2");
        assertThat(body.path("data")).hasSize(3);
        float[][] v = new float[3][];
        for (int i = 0; i < 3; i++) {
            JsonNode item = body.path("data").get(i);
            assertThat(item.path("object").asString()).isEqualTo("embedding");
            assertThat(item.path("index").asInt()).isEqualTo(i);
            v[i] = vector(item.path("embedding"));
            assertThat(v[i]).hasSize(384);
            assertThat(Math.sqrt(dot(v[i], v[i]))).as("L2 norm").isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(dot(v[0], v[1])).as("related pair").isGreaterThan(dot(v[0], v[2]) + 0.2).isGreaterThan(dot(v[1], v[2]) + 0.2);
        int tokens = body.path("usage").path("prompt_tokens").asInt();
        assertThat(tokens).isGreaterThan(3 * 2).isEqualTo(body.path("usage").path("total_tokens").asInt());
    }

    @Test
    void aTextGetsTheSameVectorAloneAsInABatch() throws Exception {
        float[] alone = vector(json.readTree(post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello world\"}").body())
                .path("data").get(0).path("embedding"));
        float[] batched = vector(json.readTree(post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"a much longer sentence that forces padding of the short one\",\"hello world\"]}").body())
                .path("data").get(1).path("embedding"));
        assertThat(dot(alone, batched)).isGreaterThan(0.9999);
    }

    @Test
    void returnsBase64LittleEndianFloatsWhenAsked() throws Exception {
        JsonNode body = json.readTree(post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello\",\"encoding_format\":\"base64\"}").body());
        byte[] raw = Base64.getDecoder().decode(body.path("data").get(0).path("embedding").asString());
        assertThat(raw).hasSize(384 * 4);
        ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        double norm = 0;
        for (int i = 0; i < 384; i++) {
            float f = buf.getFloat();
            norm += f * f;
        }
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void rejectsBadInputWith400NamingTheParameter() throws Exception {
        record Case(String body, String param) {
        }
        for (Case c : new Case[] {
                new Case("{\"model\":\"all-minilm-l6-v2\",\"input\":\"\"}", "input"),
                new Case("{\"model\":\"all-minilm-l6-v2\",\"input\":[]}", "input"),
                new Case("{\"model\":\"all-minilm-l6-v2\"}", "input"),
                new Case("{\"model\":\"all-minilm-l6-v2\",\"input\":[\"ok\", 5]}", "input[1]"),
                new Case("{\"model\":\"text-embedding-3-small\",\"input\":\"x\"}", "model"),
                new Case("{\"input\":\"x\"}", "model"),
                new Case("{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"dimensions\":128}", "dimensions"),
                new Case("{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"temperature\":1}", "temperature")}) {
            HttpResponse<String> response = post("/v1/embeddings", c.body);
            assertThat(response.statusCode()).as(c.body).isEqualTo(400);
            JsonNode error = json.readTree(response.body()).path("error");
            assertThat(error.path("param").asString()).as(c.body).isEqualTo(c.param);
            assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
            assertThat(error.path("message").asString()).isNotBlank();
        }
    }

    @Test
    void takeoffEmbedAnswersOneVectorPerText() throws Exception {
        HttpResponse<String> single = post("/embed", "{\"text\":\"hello world\",\"consumer_group\":\"primary\"}");
        assertThat(single.statusCode()).as(single.body()).isEqualTo(200);
        JsonNode result = json.readTree(single.body()).path("result");
        assertThat(result).hasSize(1);
        assertThat(result.get(0)).hasSize(384);
        JsonNode many = json.readTree(post("/embed", "{\"text\":[\"a\",\"b\"]}").body()).path("result");
        assertThat(many).hasSize(2);
        HttpResponse<String> wrongGroup = post("/embed", "{\"text\":\"x\",\"consumer_group\":\"nope\"}");
        assertThat(wrongGroup.statusCode()).isEqualTo(404);
        assertThat(wrongGroup.body()).contains("consumer_group");
        HttpResponse<String> empty = post("/embed", "{\"text\":\"\"}");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.body()).contains("\"field\":\"text\"");
    }
}
