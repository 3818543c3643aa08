package dev.sextant.gateway;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A plain HTTP client for one gateway instance, as a client application would use it. */
public final class GatewayClient {

    public static final String ADMIN_KEY = "test-admin-key-0123456789";
    public static final JsonMapper JSON = JsonMapper.builder().build();
    /*
     * One client for every test, so requests reuse kept-alive connections as real clients do (KeepAliveIT checks
     * that a connection keeps answering after 204, 401, 404 and 429 answers the gateway writes itself).
     */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;

    public GatewayClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    public record Key(String id, String secret) {
    }

    public Key createKey(String tenant, Map<String, Object> limits) {
        Map<String, Object> body = new java.util.HashMap<>(limits);
        body.put("tenant", tenant);
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/admin/keys"))
                .header("Authorization", "Bearer " + ADMIN_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
        if (response.statusCode() != 201) {
            throw new AssertionError("creating a key failed: " + response.statusCode() + " " + response.body());
        }
        JsonNode node = json(response);
        return new Key(node.get("id").asString(), node.get("key").asString());
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        }
        catch (IOException e) {
            throw new IllegalStateException(e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return HTTP.send(request, handler);
        }
        catch (IOException e) {
            throw new IllegalStateException(e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path, String key) {
        HttpRequest.Builder builder = request(path).GET();
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return send(builder.build());
    }

    public HttpResponse<String> postJson(String path, String key, String json) {
        HttpRequest.Builder builder = request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return send(builder.build());
    }

    public static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    public URI uri(String path) {
        return URI.create(base + path);
    }
}
