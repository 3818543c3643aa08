package dev.sextant.gateway.problem;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

import dev.sextant.gateway.routing.RequestIdWebFilter;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a {@link GatewayException} in the one problem shape every Sextant service answers with
 * ({@code application/problem+json}: type, title, status, detail, code, field, requestId), or, on the
 * OpenAI-compatible inference paths, in OpenAI's {@code {"error":{"message","type","param","code"}}} shape so
 * OpenAI client libraries surface the message.
 */
public final class ProblemWriter {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ProblemWriter() {
    }

    public static Mono<Void> write(ServerWebExchange exchange, GatewayException problem) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.error(problem);
        }
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        String requestId = exchange.getAttribute(RequestIdWebFilter.ATTRIBUTE);
        Map<String, Object> body;
        MediaType contentType;
        if (isOpenAiPath(path)) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("message", problem.getMessage());
            error.put("type", openAiType(problem.status().value()));
            error.put("param", problem.field());
            error.put("code", problem.code());
            body = Map.of("error", error);
            contentType = MediaType.APPLICATION_JSON;
        }
        else {
            body = new LinkedHashMap<>();
            body.put("type", GatewayException.TYPE_BASE + problem.code());
            body.put("title", problem.title());
            body.put("status", problem.status().value());
            body.put("detail", problem.getMessage());
            body.put("instance", path);
            body.put("code", problem.code());
            if (problem.field() != null) {
                body.put("field", problem.field());
            }
            if (requestId != null) {
                body.put("requestId", requestId);
            }
            contentType = MediaType.APPLICATION_PROBLEM_JSON;
        }
        response.setStatusCode(problem.status());
        HttpHeaders headers = response.getHeaders();
        headers.setContentType(contentType);
        if (problem.retryAfterSeconds() >= 0) {
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(problem.retryAfterSeconds()));
        }
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        headers.setContentLength(bytes.length);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    /** The OpenAI-compatible inference paths, whose clients expect OpenAI's error shape. */
    public static boolean isOpenAiPath(String path) {
        return path.equals("/v1/chat/completions") || path.equals("/v1/completions") || path.equals("/v1/embeddings")
                || path.equals("/v1/models") || path.startsWith("/v1/models/");
    }

    private static String openAiType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }
}
