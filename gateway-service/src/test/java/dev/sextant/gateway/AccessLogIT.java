package dev.sextant.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** One access log line per request: method, path, status, tenant, route, latency, the tokens counted and the trace id. */
@ExtendWith(OutputCaptureExtension.class)
class AccessLogIT extends AbstractGatewayIT {

    @Test
    void logsTenantRouteStatusLatencyAndTokens(CapturedOutput output) {
        GatewayClient.Key key = client().createKey("logged", Map.of());
        String requestId = "access-log-" + System.nanoTime();
        String traceId = String.format("%032x", System.nanoTime());

        HttpResponse<String> response = client().send(client().request("/v1/chat/completions")
                .header("Authorization", "Bearer " + key.secret())
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"m\"}")).build());
        assertThat(response.statusCode()).isEqualTo(200);
        HttpResponse<String> refused = client().get("/v1/models", "sk-sextant-not-a-key");
        assertThat(refused.statusCode()).isEqualTo(401);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(output.getOut())
                .containsPattern("POST /v1/chat/completions 200 tenant=logged route=inference [0-9.]+ms tokens="
                        + TestUpstream.COMPLETION_TOKENS + " trace=" + traceId)
                .containsPattern("GET /v1/models 401 tenant=- route=- [0-9.]+ms tokens=- trace=[0-9a-f]{32}"));
    }
}
