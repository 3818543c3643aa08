package dev.sextant.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LimitsIT extends AbstractGatewayIT {

    private static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @Test
    void answers429WithRetryAfterOnceTheKeysRequestsAreSpent() {
        GatewayClient.Key key = client().createKey("acme", Map.of("requestsPerSecond", 1, "burst", 2));

        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            responses.add(client().get("/v1/models", key.secret()));
        }

        HttpResponse<String> limited = responses.stream().filter(r -> r.statusCode() == 429).findFirst()
                .orElseThrow(() -> new AssertionError("no 429 among " + responses.stream().map(HttpResponse::statusCode).toList()));
        assertThat(responses.get(0).statusCode()).isEqualTo(200);
        assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isBetween(1L, 2L));
        assertThat(GatewayClient.json(limited).get("error").get("type").asString()).isEqualTo("rate_limit_error");
    }

    @Test
    void tokenQuotaCountsUsageReportedInsideAStream() throws Exception {
        GatewayClient.Key key = client().createKey("acme", Map.of("tokensPerMinute", 40));

        String streamed = streamChat(key.secret(), "quota-stream-1");
        assertThat(streamed).contains("data: [DONE]");
        await().atMost(Duration.ofSeconds(5)).until(() -> usage(key) == TestUpstream.STREAM_TOKENS);

        // 25 of 40 used: one more request is admitted, and its 25 tokens exhaust the minute's quota.
        streamChat(key.secret(), "quota-stream-2");
        await().atMost(Duration.ofSeconds(5)).until(() -> usage(key) == 2 * TestUpstream.STREAM_TOKENS);
        HttpResponse<String> refused = client().postJson("/v1/chat/completions", key.secret(), STREAM);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(GatewayClient.json(refused).get("error").get("code").asString()).isEqualTo("token-quota-exceeded");
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    }

    @Test
    void tokenQuotaCountsUsageOfPlainJsonResponses() {
        GatewayClient.Key key = client().createKey("acme", Map.of("tokensPerMinute", 1000));

        HttpResponse<String> response = client().postJson("/v1/chat/completions", key.secret(), "{\"model\":\"m\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> usage(key) == TestUpstream.COMPLETION_TOKENS);
    }

    @Test
    void firstStreamedEventReachesTheClientBeforeTheUpstreamFinishes() throws Exception {
        GatewayClient.Key key = client().createKey("acme", Map.of());
        String requestId = "sse-first-event";

        HttpResponse<InputStream> response = client().send(client().request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key.secret())
                .header("X-Request-Id", requestId)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        long firstEventAt;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line = reader.readLine();
            firstEventAt = System.nanoTime();
            assertThat(line).startsWith("data: ").contains("Hel");
            while (reader.readLine() != null) {
                // drain the rest of the stream
            }
        }
        Long upstreamFinishedAt = TestUpstream.get().streamFinishedAt(requestId);

        assertThat(upstreamFinishedAt).as("upstream stream finished").isNotNull();
        long aheadMs = (upstreamFinishedAt - firstEventAt) / 1_000_000;
        System.out.printf("first SSE event reached the client %d ms before the upstream finished%n", aheadMs);
        assertThat(firstEventAt).isLessThan(upstreamFinishedAt);
    }

    @Test
    void bodyOverTheLimitIsRefusedWith413() {
        GatewayClient.Key key = client().createKey("acme", Map.of());
        String big = "{\"query\":\"" + "x".repeat(100 * 1024) + "\"}";

        HttpResponse<String> declared = client().postJson("/v1/collections/docs/search", key.secret(), big);

        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(declared.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(GatewayClient.json(declared).get("code").asString()).isEqualTo("payload-too-large");
    }

    @Test
    void chunkedBodyOverTheLimitIsRefusedWith413() {
        GatewayClient.Key key = client().createKey("acme", Map.of());
        byte[] big = ("{\"query\":\"" + "x".repeat(100 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> chunked = client().send(client().request("/v1/collections/docs/search")
                .header("Authorization", "Bearer " + key.secret())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build());

        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(GatewayClient.json(chunked).get("code").asString()).isEqualTo("payload-too-large");
    }

    private String streamChat(String secret, String requestId) {
        HttpResponse<String> response = client().send(client().request("/v1/chat/completions")
                .header("Authorization", "Bearer " + secret)
                .header("X-Request-Id", requestId)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(STREAM)).build());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private long usage(GatewayClient.Key key) {
        return GatewayClient.json(client().get("/admin/keys/" + key.id() + "/usage", GatewayClient.ADMIN_KEY))
                .get("tokensThisMinute").asLong();
    }
}
