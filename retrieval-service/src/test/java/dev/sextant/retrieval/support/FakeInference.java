package dev.sextant.retrieval.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A real HTTP server speaking inference-service's OpenAI shapes, for tests: {@code POST /v1/embeddings} returns a
 * hashed bag-of-words vector (texts sharing words are near), {@code POST /v1/chat/completions} answers with JSON
 * that follows the request's response_format: it cites the first allowed passage id with a quote taken from that
 * passage in the prompt (or, in {@link ChatMode#FABRICATE}, a quote that occurs nowhere), streamed when asked;
 * {@code GET /v1/models/{model}} answers 200 for every model but {@link #UNKNOWN_MODEL} (404 model_not_found), or
 * 503 while {@link #modelsFailing}. A token is a whitespace-separated word here: a reply longer than
 * {@code max_tokens} is cut there ({@code finish_reason} length), and with {@link #contextLength} set, prompt +
 * max_tokens past it is refused as inference-service refuses it (400 context_length_exceeded, the numbers in the
 * message and as fields).
 */
public final class FakeInference implements AutoCloseable {

    /** A model name the fake does not serve: chat requests for it get inference-service's 404. */
    public static final String UNKNOWN_MODEL = "no-such-model";

    public enum ChatMode { FAITHFUL, FABRICATE }

    public static final int DIM = 64;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern PASSAGE = Pattern.compile("\\[(\\d+)\\][^\\n]*\\n([^\\n]+)");

    private static final String NOT_FOUND = "{\"error\":{\"message\":\"The model '" + UNKNOWN_MODEL
            + "' does not exist or is not loaded; loaded models: stories260K\",\"type\":\"invalid_request_error\","
            + "\"param\":\"model\",\"code\":\"model_not_found\"}}";

    private final HttpServer server;
    public volatile boolean failing;
    /** Only the model check fails (503), embeddings and chat still answer. */
    public volatile boolean modelsFailing;
    /** The model names {@code GET /v1/models/{model}} was asked about, in order. */
    public final List<String> modelRequests = new CopyOnWriteArrayList<>();
    public volatile ChatMode chatMode = ChatMode.FAITHFUL;
    public final List<JsonNode> chatRequests = new CopyOnWriteArrayList<>();
    public final List<String> tenants = new CopyOnWriteArrayList<>();
    /** The model's context in (word) tokens; null: unlimited. */
    public volatile Integer contextLength;

    public FakeInference() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/embeddings", this::embeddings);
        server.createContext("/v1/chat/completions", this::chat);
        server.createContext("/v1/models/", this::model);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Hashed bag of lower-cased words, L2-normalised. */
    public static float[] embed(String text) {
        float[] v = new float[DIM];
        for (String word : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (!word.isEmpty()) {
                v[Math.floorMod(word.hashCode(), DIM)] += 1f;
            }
        }
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        if (norm == 0) {
            v[0] = 1f;
            return v;
        }
        for (int i = 0; i < DIM; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    private void embeddings(HttpExchange exchange) throws IOException {
        tenants.add(String.valueOf(exchange.getRequestHeaders().getFirst("X-Sextant-Tenant")));
        if (failing) {
            send(exchange, 500, "application/json", "{\"error\":{\"message\":\"engine down\",\"type\":\"server_error\"}}");
            return;
        }
        JsonNode request = JSON.readTree(exchange.getRequestBody());
        List<String> inputs = new ArrayList<>();
        JsonNode input = request.get("input");
        if (input.isArray()) {
            input.forEach(n -> inputs.add(n.asString()));
        } else {
            inputs.add(input.asString());
        }
        ObjectNode response = JSON.createObjectNode().put("object", "list").put("model", request.get("model").asString());
        ArrayNode data = response.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            ArrayNode embedding = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
            for (float x : embed(inputs.get(i))) {
                embedding.add(x);
            }
        }
        response.putObject("usage").put("prompt_tokens", 1).put("total_tokens", 1);
        send(exchange, 200, "application/json", JSON.writeValueAsString(response));
    }

    private void chat(HttpExchange exchange) throws IOException {
        JsonNode request = JSON.readTree(exchange.getRequestBody());
        chatRequests.add(request);
        if (failing) {
            send(exchange, 503, "application/json", "{\"error\":{\"message\":\"loading\",\"type\":\"server_error\"}}");
            return;
        }
        if (UNKNOWN_MODEL.equals(request.path("model").asString())) { /* what inference-service answers for a model it lacks */
            send(exchange, 404, "application/json", NOT_FOUND);
            return;
        }
        int promptTokens = 0;
        for (JsonNode message : request.path("messages")) {
            promptTokens += words(message.path("content").asString()).length;
        }
        Integer context = contextLength;
        Integer asked = request.has("max_tokens") ? request.get("max_tokens").asInt() : null;
        if (context != null && (promptTokens >= context || (asked != null && promptTokens + asked > context))) {
            send(exchange, 400, "application/json", JSON.writeValueAsString(contextLengthExceeded(context, promptTokens, asked)));
            return;
        }
        int maxTokens = asked != null ? asked : context != null ? context - promptTokens : Integer.MAX_VALUE;
        JsonNode schema = request.at("/response_format/json_schema/schema");
        JsonNode allowed = schema.at("/properties/citations/items/properties/passage_id/enum");
        String prompt = request.at("/messages/1/content").asString();
        int id = allowed.get(0).asInt();
        String quote = "the moon is made of cheese";
        Matcher m = PASSAGE.matcher(prompt);
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) == id && chatMode == ChatMode.FAITHFUL) {
                String[] words = m.group(2).trim().split(" ");
                quote = String.join(" ", java.util.Arrays.copyOfRange(words, 0, Math.min(4, words.length)));
            }
        }
        ObjectNode answer = JSON.createObjectNode().put("answer", "According to passage " + id + ", " + quote + ".");
        answer.putArray("citations").addObject().put("passage_id", id).put("quote", quote);
        String content = JSON.writeValueAsString(answer);
        String finishReason = "stop";
        if (words(content).length > maxTokens) {
            content = String.join(" ", java.util.Arrays.copyOf(content.split(" "), maxTokens));
            finishReason = "length";
        }
        if (request.path("stream").asBoolean(false)) {
            StringBuilder sse = new StringBuilder();
            for (int i = 0; i < content.length(); i += 7) {
                ObjectNode chunk = JSON.createObjectNode().put("object", "chat.completion.chunk");
                chunk.putArray("choices").addObject().put("index", 0).putObject("delta")
                        .put("content", content.substring(i, Math.min(content.length(), i + 7)));
                sse.append("data: ").append(JSON.writeValueAsString(chunk)).append("\n\n");
            }
            ObjectNode last = JSON.createObjectNode().put("object", "chat.completion.chunk");
            last.putArray("choices").addObject().put("index", 0).put("finish_reason", finishReason).putObject("delta");
            sse.append("data: ").append(JSON.writeValueAsString(last)).append("\n\n");
            sse.append("data: [DONE]\n\n");
            send(exchange, 200, "text/event-stream", sse.toString());
            return;
        }
        ObjectNode response = JSON.createObjectNode().put("object", "chat.completion").put("model", request.get("model").asString());
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0).put("finish_reason", finishReason);
        choice.putObject("message").put("role", "assistant").put("content", content);
        response.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 10).put("total_tokens", 20);
        send(exchange, 200, "application/json", JSON.writeValueAsString(response));
    }

    private static String[] words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? new String[0] : trimmed.split("\\s+");
    }

    /** inference-service's body for a request that cannot fit the context (OpenAiErrorAdvice). */
    private static ObjectNode contextLengthExceeded(int context, int prompt, Integer maxTokens) {
        ObjectNode error = JSON.createObjectNode();
        ObjectNode body = error.putObject("error");
        if (prompt >= context) {
            body.put("message", "This model's maximum context length is " + context + " tokens. However, your messages resulted in "
                    + prompt + " tokens, leaving none for the completion. Please reduce the length of the messages.");
            body.put("type", "invalid_request_error").put("param", "messages").put("code", "context_length_exceeded");
            body.put("context_length", context).put("prompt_tokens", prompt);
            return error;
        }
        body.put("message", "This model's maximum context length is " + context + " tokens. However, you requested "
                + (prompt + maxTokens) + " tokens (" + prompt + " in the messages, " + maxTokens + " in the completion). Please"
                + " reduce the length of the messages or set max_tokens to at most " + (context - prompt) + ".");
        body.put("type", "invalid_request_error").put("param", "max_tokens").put("code", "context_length_exceeded");
        body.put("context_length", context).put("prompt_tokens", prompt).put("completion_tokens", maxTokens);
        return error;
    }

    private void model(HttpExchange exchange) throws IOException {
        String model = exchange.getRequestURI().getPath().substring("/v1/models/".length());
        modelRequests.add(model);
        if (failing || modelsFailing) {
            send(exchange, 503, "application/json", "{\"error\":{\"message\":\"loading\",\"type\":\"server_error\"}}");
        } else if (UNKNOWN_MODEL.equals(model)) {
            send(exchange, 404, "application/json", NOT_FOUND);
        } else {
            send(exchange, 200, "application/json", JSON.writeValueAsString(JSON.createObjectNode().put("id", model)
                    .put("object", "model").put("owned_by", "sextant")));
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
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
