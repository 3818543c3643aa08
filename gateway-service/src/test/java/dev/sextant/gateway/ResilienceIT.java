package dev.sextant.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

class ResilienceIT extends AbstractGatewayIT {

    @Test
    void upstreamDownAnswers503ProblemWithinTheBreakersBudget() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        long start = System.nanoTime();
        HttpResponse<String> response = client().postJson("/v1/grammars", key.secret(), "{\"regex\":\"a+\"}");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = GatewayClient.json(response);
        assertThat(problem.get("type").asString()).isEqualTo("https://sextant.dev/problems/upstream-unavailable");
        assertThat(problem.get("detail").asString()).contains("structured-output");
        assertThat(elapsedMs).isLessThan(DOWN_BUDGET_MS);
    }

    @Test
    void breakerOpensAfterRepeatedFailuresAndAnswersAtOnce() {
        GatewayClient.Key key = client().createKey("acme", Map.of());
        for (int i = 0; i < 4; i++) {
            assertThat(client().postJson("/v1/extract", key.secret(), "{}").statusCode()).isEqualTo(503);
        }

        HttpResponse<String> response = client().postJson("/v1/extract", key.secret(), "{}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(GatewayClient.json(response).get("detail").asString()).contains("circuit breaker is open");
    }

    @Test
    void upstreamSlowerThanTheTimeLimiterAnswers504() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        long start = System.nanoTime();
        HttpResponse<String> response = client().postJson("/v1/ingestion/slow", key.secret(), "{}");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(GatewayClient.json(response).get("code").asString()).isEqualTo("upstream-timeout");
        assertThat(elapsedMs).as("time limiter of 2 s, upstream needs 6 s").isLessThan(5500);
    }
}
