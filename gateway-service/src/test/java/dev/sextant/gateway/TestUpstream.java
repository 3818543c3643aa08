package dev.sextant.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP upstream for the gateway's integration tests (JDK HttpServer on a random port), one per JVM:
 * <ul>
 * <li>any path: echoes method, path, body size and the headers the gateway forwarded, as JSON;</li>
 * <li>{@code POST /v1/chat/completions} with {@code "stream":true}: an SSE stream whose first event comes at
 * once and whose last (with {@code usage.total_tokens = 25}) comes {@value #STREAM_PAUSE_MS} ms later;
 * without it, a JSON completion with {@code usage.total_tokens = 7}; with {@code "drip":true}, an SSE stream of
 * {@value #DRIP_EVENTS} events {@value #DRIP_GAP_MS} ms apart;</li>
 * <li>{@code /v1/ingestion/slow}: answers after 6 s.</li>
 * </ul>
 */
public final class TestUpstream {

    public static final long STREAM_PAUSE_MS = 1500;
    public static final int DRIP_EVENTS = 7;
    public static final long DRIP_GAP_MS = 300;
    public static final long STREAM_TOKENS = 25;
    public static final long COMPLETION_TOKENS = 7;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static TestUpstream instance;

    private final HttpServer server;
    /** When each stream (by X-Request-Id) wrote its last byte, in System.nanoTime(). */
    private final Map<String, Long> streamFinishedAt = new ConcurrentHashMap<>();

    private TestUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public static synchronized TestUpstream get() {
        if (instance == null) {
            try {
                instance = new TestUpstream();
            }
            catch (IOException e) {
                throw new IllegalStateException("cannot start the test upstream", e);
            }
        }
        return instance;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public Long streamFinishedAt(String requestId) {
        return streamFinishedAt.get(requestId);
    }

    /** A port nothing listens on: the gateway's connection to it is refused. */
    public static String deadUrl() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
        catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = readAll(exchange.getRequestBody());
            String path = exchange.getRequestURI().getPath();
            String text = new String(body, StandardCharsets.UTF_8).replace(" ", "");
            if (path.equals("/v1/chat/completions") && text.contains("\"drip\":true")) {
                drip(exchange);
                return;
            }
            if (path.equals("/v1/chat/completions") && text.contains("\"stream\":true")) {
                stream(exchange);
                return;
            }
            if (path.equals("/v1/ingestion/slow")) {
                sleep(6000);
            }
            Map<String, Object> echo = new LinkedHashMap<>();
            echo.put("method", exchange.getRequestMethod());
            echo.put("path", path);
            echo.put("bodyBytes", body.length);
            Map<String, String> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(), String.join(",", values)));
            echo.put("headers", headers);
            if (path.equals("/v1/chat/completions")) {
                echo.put("usage", Map.of("prompt_tokens", 4, "completion_tokens", 3, "total_tokens", COMPLETION_TOKENS));
            }
            byte[] out = JSON.writeValueAsBytes(echo);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
        }
    }

    private void stream(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        event(out, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}],\"usage\":null}");
        sleep(STREAM_PAUSE_MS);
        event(out, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}");
        event(out, "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":" + STREAM_TOKENS + "}}");
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        String requestId = exchange.getRequestHeaders().getFirst("X-Request-Id");
        if (requestId != null) {
            streamFinishedAt.put(requestId, System.nanoTime());
        }
        out.close();
    }

    /** {@value #DRIP_EVENTS} events {@value #DRIP_GAP_MS} ms apart, then {@code [DONE]}: a stream that keeps talking. */
    private void drip(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < DRIP_EVENTS; i++) {
            if (i > 0) {
                sleep(DRIP_GAP_MS);
            }
            event(out, "{\"id\":\"d1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t" + i + "\"}}]}");
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.close();
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
