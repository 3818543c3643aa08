package dev.sextant.structuredoutput.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Vocabulary;

/**
 * Test-only: an inference-service over real HTTP for model "stories260K" whose weights are a random number generator.
 * It serves contract 2 (the vocabulary, from the shared GGUF) and OpenAI's {@code POST /v1/chat/completions}; a
 * {@code response_format} json_schema is compiled the way inference-service does it, through the compiler under test
 * ({@code POST /v1/grammars}, then the artifact), and the answer is sampled token by token under the artifact's
 * matcher ({@link RandomWalk}). Errors come in OpenAI's shape. {@link #ignoreConstraint} makes it answer a fixed text
 * whatever the constraint, as a server that silently drops constraints would. With {@link #contextLength} set, a
 * prompt + max_tokens past it is refused as inference-service refuses it (400 context_length_exceeded, the numbers
 * in the message and as fields).
 */
public final class OpenAiUpstream implements AutoCloseable {

    public static final String MODEL = "stories260K";

    public final Vocabulary vocabulary = GgufVocabulary.load("models/stories260K.gguf");
    /** The last chat request received, as sent. */
    public volatile JsonNode lastChat;
    /** When set, the answer's content regardless of the constraint. */
    public volatile String ignoreConstraint;
    /** The model's context in tokens; null: unlimited. */
    public volatile Integer contextLength;
    /** Every chat request received, in order. */
    public final java.util.List<JsonNode> chats = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final HttpServer server;
    private final Supplier<String> compilerUrl;
    private final Tokenize tokenize = new Tokenize(vocabulary);
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    public OpenAiUpstream(Supplier<String> compilerUrl) throws IOException {
        this.compilerUrl = compilerUrl;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models/", this::vocabulary);
        server.createContext("/v1/chat/completions", this::chat);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void vocabulary(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestURI().getPath().equals("/v1/models/" + MODEL + "/vocabulary")) {
            error(exchange, 404, "The model does not exist", "model", "model_not_found");
            return;
        }
        String tokens = Arrays.stream(vocabulary.tokens()).map(t -> "\"" + Base64.getEncoder().encodeToString(t) + "\"")
                .collect(Collectors.joining(","));
        respond(exchange, 200, "{\"model\":\"" + MODEL + "\",\"tokenizer_hash\":\"" + vocabulary.hash() + "\",\"kind\":\"spm\",\"vocab_size\":"
                + vocabulary.size() + ",\"bos_token_id\":1,\"eos_token_ids\":[" + vocabulary.eosTokenIds()[0] + "],\"tokens\":["
                + tokens + "],\"special_token_ids\":[0,1,2]}");
    }

    private void chat(HttpExchange exchange) throws IOException {
        try {
            JsonNode request = json.readTree(exchange.getRequestBody());
            lastChat = request;
            chats.add(request);
            if (!MODEL.equals(request.path("model").asText())) {
                error(exchange, 404, "The model '" + request.path("model").asText() + "' does not exist", "model", "model_not_found");
                return;
            }
            StringBuilder prompt = new StringBuilder();
            request.path("messages").forEach(m -> prompt.append(m.path("role").asText()).append(": ").append(m.path("content").asText()).append('\n'));
            int promptTokens = tokenize.greedy(prompt.toString().getBytes(StandardCharsets.UTF_8)).length;
            JsonNode schema = request.path("response_format").path("json_schema").path("schema");
            int maxTokens = request.path("max_tokens").asInt(256);
            Integer context = contextLength;
            if (context != null && (promptTokens >= context || promptTokens + maxTokens > context)) {
                contextLengthExceeded(exchange, context, promptTokens, maxTokens);
                return;
            }
            String content;
            if (ignoreConstraint != null) {
                content = ignoreConstraint;
            } else if (schema.isObject()) {
                ObjectNode compile = json.createObjectNode().put("model", MODEL).set("json_schema", schema);
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(compilerUrl.get() + "/v1/grammars"))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(compile.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (created.statusCode() != 201) {
                    error(exchange, 400, json.readTree(created.body()).path("detail").asText(), "response_format.json_schema.schema",
                            "unsupported_constraint");
                    return;
                }
                String id = json.readTree(created.body()).path("id").asText();
                byte[] bytes = http.send(HttpRequest.newBuilder(URI.create(compilerUrl.get() + "/v1/grammars/" + id + "/artifact")).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body();
                ConstraintArtifact artifact = ConstraintArtifact.read(new ByteArrayInputStream(bytes));
                content = RandomWalk.generate(artifact, request.path("seed").asLong(0), maxTokens);
            } else {
                content = "Once upon a time";
            }
            boolean cut = content == null;
            String text = cut ? "" : content;
            int completionTokens = cut ? maxTokens : tokenize.greedy(text.getBytes(StandardCharsets.UTF_8)).length + 1;
            Map<String, Object> body = Map.of("id", "chatcmpl-test", "object", "chat.completion", "model", MODEL,
                    "choices", java.util.List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", text),
                            "finish_reason", cut ? "length" : "stop")),
                    "usage", Map.of("prompt_tokens", promptTokens, "completion_tokens", completionTokens,
                            "total_tokens", promptTokens + completionTokens));
            respond(exchange, 200, json.writeValueAsString(body));
        } catch (Exception e) {
            error(exchange, 500, "upstream failed: " + e, null, "internal_error");
        }
    }

    /** inference-service's body for a request that cannot fit the context (its OpenAiErrorAdvice). */
    private void contextLengthExceeded(HttpExchange exchange, int context, int prompt, int maxTokens) throws IOException {
        Map<String, Object> error = new java.util.LinkedHashMap<>();
        if (prompt >= context) {
            error.put("message", "This model's maximum context length is " + context + " tokens. However, your messages"
                    + " resulted in " + prompt + " tokens, leaving none for the completion. Please reduce the length of the messages.");
            error.put("type", "invalid_request_error");
            error.put("param", "messages");
        } else {
            error.put("message", "This model's maximum context length is " + context + " tokens. However, you requested "
                    + (prompt + maxTokens) + " tokens (" + prompt + " in the messages, " + maxTokens + " in the completion)."
                    + " Please reduce the length of the messages or set max_tokens to at most " + (context - prompt) + ".");
            error.put("type", "invalid_request_error");
            error.put("param", "max_tokens");
        }
        error.put("code", "context_length_exceeded");
        error.put("context_length", context);
        error.put("prompt_tokens", prompt);
        if (prompt < context) {
            error.put("completion_tokens", maxTokens);
        }
        respond(exchange, 400, json.writeValueAsString(Map.of("error", error)));
    }

    private void error(HttpExchange exchange, int status, String message, String param, String code) throws IOException {
        Map<String, Object> error = new java.util.LinkedHashMap<>();
        error.put("message", message);
        error.put("type", status >= 500 ? "server_error" : "invalid_request_error");
        error.put("param", param);
        error.put("code", code);
        respond(exchange, status, json.writeValueAsString(Map.of("error", error)));
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
