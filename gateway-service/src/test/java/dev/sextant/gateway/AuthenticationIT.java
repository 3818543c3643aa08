package dev.sextant.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

class AuthenticationIT extends AbstractGatewayIT {

    @Test
    void rejectsRequestWithoutKeyAsProblemJson() {
        HttpResponse<String> response = client().postJson("/v1/collections/docs/search", null, "{\"query\":\"q\"}");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        JsonNode problem = GatewayClient.json(response);
        assertThat(problem.get("type").asString()).isEqualTo("https://sextant.dev/problems/invalid-api-key");
        assertThat(problem.get("status").asInt()).isEqualTo(401);
        assertThat(problem.get("code").asString()).isEqualTo("invalid-api-key");
        assertThat(problem.get("requestId").asString()).isEqualTo(response.headers().firstValue("X-Request-Id").orElseThrow());
    }

    @Test
    void rejectsWrongKeyInOpenAiShapeOnOpenAiPaths() {
        HttpResponse<String> response = client().postJson("/v1/chat/completions", "sk-sextant-not-a-real-key",
                "{\"model\":\"m\",\"messages\":[]}");

        assertThat(response.statusCode()).isEqualTo(401);
        JsonNode error = GatewayClient.json(response).get("error");
        assertThat(error.get("type").asString()).isEqualTo("authentication_error");
        assertThat(error.get("code").asString()).isEqualTo("invalid-api-key");
        assertThat(error.get("message").asString()).contains("not valid");
        assertThat(error.has("param")).isTrue();
    }

    @Test
    void replacesForgedIdentityHeadersWithTheKeysOwn() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        HttpResponse<String> response = client().send(client().request("/v1/collections/docs/search")
                .header("Authorization", "Bearer " + key.secret())
                .header("X-Sextant-Tenant", "evil")
                .header("X-Sextant-Scopes", "*")
                .header("X-Sextant-Key-Id", "key_forged")
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode headers = GatewayClient.json(response).get("headers");
        assertThat(headers.get("x-sextant-tenant").asString()).isEqualTo("acme");
        assertThat(headers.get("x-sextant-key-id").asString()).isEqualTo(key.id());
        assertThat(headers.get("x-sextant-scopes").asString()).isEqualTo("*");
        assertThat(headers.has("authorization")).as("the client's key is not passed upstream").isFalse();
    }

    @Test
    void revokedKeyIsRejected() {
        GatewayClient.Key key = client().createKey("acme", Map.of());
        assertThat(client().get("/v1/models", key.secret()).statusCode()).isEqualTo(200);

        HttpResponse<String> revoked = client().send(client().request("/admin/keys/" + key.id())
                .header("Authorization", "Bearer " + GatewayClient.ADMIN_KEY).DELETE().build());

        assertThat(revoked.statusCode()).isEqualTo(204);
        assertThat(client().get("/v1/models", key.secret()).statusCode()).isEqualTo(401);
    }

    @Test
    void adminApiNeedsTheAdminKeyAndNeverListsSecrets() {
        GatewayClient.Key key = client().createKey("listing", Map.of());

        assertThat(client().get("/admin/keys", key.secret()).statusCode()).isEqualTo(403);
        HttpResponse<String> listed = client().get("/admin/keys?tenant=listing", GatewayClient.ADMIN_KEY);
        assertThat(listed.statusCode()).isEqualTo(200);
        JsonNode keys = GatewayClient.json(listed);
        assertThat(keys.size()).isEqualTo(1);
        assertThat(keys.get(0).get("id").asString()).isEqualTo(key.id());
        assertThat(listed.body()).doesNotContain(key.secret());
    }

    @Test
    void bootstrapKeyFromEnvironmentServesTenantDefault() {
        HttpResponse<String> response = client().get("/v1/models", BOOTSTRAP_KEY);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(GatewayClient.json(response).get("headers").get("x-sextant-tenant").asString()).isEqualTo("default");
    }

    @Test
    void passesRequestIdAndTraceContextUpstream() {
        GatewayClient.Key key = client().createKey("acme", Map.of());
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

        HttpResponse<String> response = client().send(client().request("/v1/models")
                .header("Authorization", "Bearer " + key.secret())
                .header("X-Request-Id", "req-abc-123")
                .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").GET().build());

        assertThat(response.headers().firstValue("X-Request-Id")).hasValue("req-abc-123");
        JsonNode headers = GatewayClient.json(response).get("headers");
        assertThat(headers.get("x-request-id").asString()).isEqualTo("req-abc-123");
        // Sampling is parent-based: a sampled incoming trace stays sampled whatever the gateway's own probability.
        assertThat(headers.get("traceparent").asString()).startsWith("00-" + traceId + "-").endsWith("-01");
    }

    @Test
    void startsATraceContextWhenNoneIsSent() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        HttpResponse<String> response = client().get("/v1/models", key.secret());

        // Sampled or not (management.tracing.sampling.probability), the upstream gets a W3C trace context.
        assertThat(GatewayClient.json(response).get("headers").get("traceparent").asString())
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]");
    }

    @Test
    void generatesRequestIdWhenNoneIsSent() {
        GatewayClient.Key key = client().createKey("acme", Map.of());

        HttpResponse<String> response = client().get("/v1/models", key.secret());

        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(GatewayClient.json(response).get("headers").get("x-request-id").asString()).isEqualTo(id);
        assertThat(java.util.UUID.fromString(id).version()).isEqualTo(4);
        assertThat(java.util.UUID.fromString(id).variant()).isEqualTo(2);
    }

    @Test
    void healthAndLinksPageArePublicButInternalPathsAreNotRouted() {
        assertThat(client().get("/actuator/health", null).statusCode()).isEqualTo(200);
        HttpResponse<String> links = client().get("/", null);
        assertThat(links.statusCode()).isEqualTo(200);
        assertThat(links.body()).contains("/swagger-ui.html", "inference", "/actuator/prometheus");

        GatewayClient.Key key = client().createKey("acme", Map.of());
        HttpResponse<String> internal = client().send(client().request("/internal/collections/c/documents/d")
                .header("Authorization", "Bearer " + key.secret()).DELETE().build());
        assertThat(internal.statusCode()).isEqualTo(404);
        assertThat(internal.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void keyWithoutTheRoutesScopeIsForbidden() {
        GatewayClient.Key key = client().createKey("acme", Map.of("scopes", java.util.List.of("retrieval")));

        assertThat(client().postJson("/v1/collections/docs/search", key.secret(), "{}").statusCode()).isEqualTo(200);
        HttpResponse<String> response = client().postJson("/v1/embeddings", key.secret(), "{\"input\":\"x\"}");
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(GatewayClient.json(response).get("error").get("type").asString()).isEqualTo("permission_error");
    }

    @Test
    void swaggerUiAggregatesEveryServicesOpenApiWithoutAKey() {
        HttpResponse<String> config = client().get("/v3/api-docs/swagger-config", null);
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).contains("/inference/v3/api-docs", "/retrieval/v3/api-docs", "/ingestion/v3/api-docs",
                "/structured-output/v3/api-docs");
        assertThat(client().get("/swagger-ui/index.html", null).statusCode()).isEqualTo(200);

        HttpResponse<String> docs = client().get("/inference/v3/api-docs", null);

        assertThat(docs.statusCode()).isEqualTo(200);
        JsonNode echoed = GatewayClient.json(docs);
        assertThat(echoed.get("path").asString()).as("rewritten to the service's own path").isEqualTo("/v3/api-docs");
        assertThat(echoed.get("headers").has("x-sextant-tenant")).isFalse();
    }

    @Test
    void theApiPathsNeedAKeyEvenWhereTheyLookLikeADocsPath() {
        // "/v1/v3/api-docs" matches the public "/*/v3/api-docs" pattern, but it is routed to inference as an API call.
        HttpResponse<String> response = client().get("/v1/v3/api-docs", null);

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void prometheusNeedsTheAdminKey() {
        assertThat(client().get("/actuator/prometheus", null).statusCode()).isEqualTo(401);
        HttpResponse<String> metrics = client().get("/actuator/prometheus", GatewayClient.ADMIN_KEY);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("resilience4j_circuitbreaker_state");
    }

    @Test
    void corsPreflightFromAnAllowedOriginNeedsNoKey() {
        HttpResponse<String> allowed = client().send(client().request("/v1/chat/completions")
                .header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).build());
        HttpResponse<String> other = client().send(client().request("/v1/chat/completions")
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).build());

        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example");
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }
}
