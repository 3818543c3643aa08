package dev.sextant.ingestion.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real HTTP servers that implement the two contracts ingestion depends on, faithfully enough to observe it:
 * inference-service's {@code POST /v1/embeddings} (contract 1) with a deterministic hashing embedder (384 dims,
 * L2-normalised bag of words), and retrieval-service's internal write API (contract 4) over an in-memory store that
 * really replaces a document's chunks on PUT and removes them on DELETE, plus a dense search
 * ({@code POST /v1/collections/{c}/search}) over what is stored. Either side can be made to fail, or the embedder slow.
 */
public final class FakeUpstreams implements AutoCloseable {

    public static final int DIMENSION = 384;
    private static final Pattern DOCUMENT_PATH = Pattern.compile("/internal/collections/([^/]+)/documents/([^/]+)");
    private static final Pattern SEARCH_PATH = Pattern.compile("/v1/collections/([^/]+)/search");
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

    private final JsonMapper json = JsonMapper.builder().build();
    private final HttpServer server;
    /** tenant/collection/documentId → the stored document (the PUT body). */
    private final Map<String, JsonNode> store = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> puts = new ConcurrentHashMap<>();
    private final AtomicInteger embeddingCalls = new AtomicInteger();
    private volatile int failEmbeddings;
    private volatile int failRetrieval;
    private volatile int retrievalStatus = 503;
    private volatile long embeddingDelayMillis;

    /** Turns a batch of texts into one vector each. */
    public interface Embedder {
        List<float[]> embed(List<String> texts);
    }

    private final Embedder embedder;

    /** With the deterministic hashing embedder. */
    public FakeUpstreams() throws IOException {
        this(texts -> texts.stream().map(FakeUpstreams::embed).toList());
    }

    public FakeUpstreams(Embedder embedder) throws IOException {
        this.embedder = embedder;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/embeddings", this::embeddings);
        server.createContext("/internal/collections/", this::documents);
        server.createContext("/v1/collections/", this::search);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code n} embedding calls answer 503. */
    public void failEmbeddings(int n) {
        failEmbeddings = n;
    }

    /** The next {@code n} retrieval writes answer {@code status}. */
    public void failRetrieval(int n, int status) {
        failRetrieval = n;
        retrievalStatus = status;
    }

    public void slowEmbeddings(long millis) {
        embeddingDelayMillis = millis;
    }

    public int embeddingCalls() {
        return embeddingCalls.get();
    }

    public JsonNode document(String tenant, String collection, String documentId) {
        return store.get(key(tenant, collection, documentId));
    }

    public int documentCount(String tenant, String collection) {
        String prefix = tenant + "/" + collection + "/";
        return (int) store.keySet().stream().filter(k -> k.startsWith(prefix)).count();
    }

    public int puts(String tenant, String collection, String documentId) {
        AtomicInteger n = puts.get(key(tenant, collection, documentId));
        return n == null ? 0 : n.get();
    }

    public void clear() {
        store.clear();
        puts.clear();
        failEmbeddings = 0;
        failRetrieval = 0;
        embeddingDelayMillis = 0;
    }

    /** Top hits of a dense search, as retrieval's public search would rank them. */
    public List<Hit> search(String tenant, String collection, String query, int topK) {
        float[] q = embed(query);
        String prefix = tenant + "/" + collection + "/";
        List<Hit> hits = new ArrayList<>();
        store.forEach((key, doc) -> {
            if (!key.startsWith(prefix)) {
                return;
            }
            String documentId = key.substring(prefix.length());
            for (JsonNode chunk : doc.get("chunks")) {
                JsonNode e = chunk.get("embedding");
                double score = 0;
                for (int i = 0; i < DIMENSION; i++) {
                    score += q[i] * e.get(i).asDouble();
                }
                hits.add(new Hit(documentId, chunk.get("index").asInt(), chunk.get("text").asString(), score));
            }
        });
        hits.sort(Comparator.comparingDouble(Hit::score).reversed());
        return hits.subList(0, Math.min(topK, hits.size()));
    }

    public record Hit(String documentId, int chunkIndex, String text, double score) {
    }

    /** Hashing embedder: each word adds ±1 at a hashed position; the sum is L2-normalised. */
    public static float[] embed(String text) {
        float[] v = new float[DIMENSION];
        Matcher words = WORD.matcher(text.toLowerCase(java.util.Locale.ROOT));
        while (words.find()) {
            int h = words.group().hashCode() * 0x9E3779B1;
            v[Math.floorMod(h, DIMENSION)] += (h >>> 31) == 0 ? 1f : -1f;
        }
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        if (norm == 0) {
            v[0] = 1f;
            return v;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < DIMENSION; i++) {
            v[i] *= inv;
        }
        return v;
    }

    private void embeddings(HttpExchange exchange) throws IOException {
        embeddingCalls.incrementAndGet();
        if (embeddingDelayMillis > 0) {
            sleep(embeddingDelayMillis);
        }
        synchronized (this) {
            if (failEmbeddings > 0) {
                failEmbeddings--;
                respond(exchange, 503, Map.of("error", Map.of("message", "model loading", "type", "server_error",
                        "param", "", "code", "unavailable")));
                return;
            }
        }
        JsonNode request = read(exchange);
        JsonNode input = request.get("input");
        List<String> texts = new ArrayList<>();
        if (input.isArray()) {
            input.forEach(t -> texts.add(t.asString()));
        } else {
            texts.add(input.asString());
        }
        List<Map<String, Object>> data = new ArrayList<>();
        List<float[]> vectors = embedder.embed(texts);
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            data.add(Map.of("object", "embedding", "index", i, "embedding", vectors.get(i)));
            tokens += texts.get(i).split("\\s+").length;
        }
        respond(exchange, 200, Map.of("object", "list", "data", data, "model", request.get("model").asString(),
                "usage", Map.of("prompt_tokens", tokens, "total_tokens", tokens)));
    }

    private void documents(HttpExchange exchange) throws IOException {
        Matcher m = DOCUMENT_PATH.matcher(exchange.getRequestURI().getPath());
        if (!m.matches()) {
            respond(exchange, 404, Map.of("title", "not found"));
            return;
        }
        synchronized (this) {
            if (failRetrieval > 0) {
                failRetrieval--;
                respond(exchange, retrievalStatus, Map.of("title", "retrieval failure injected by the test"));
                return;
            }
        }
        String tenant = exchange.getRequestHeaders().getFirst("X-Sextant-Tenant");
        String key = key(tenant, m.group(1), m.group(2));
        switch (exchange.getRequestMethod()) {
            case "PUT" -> {
                JsonNode body = read(exchange);
                store.put(key, body);
                puts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                respond(exchange, 200, Map.of("documentId", m.group(2), "version", body.get("version").asInt(),
                        "chunks", body.get("chunks").size()));
            }
            case "DELETE" -> {
                if (store.remove(key) == null) {
                    respond(exchange, 404, Map.of("title", "no such document"));
                } else {
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                }
            }
            default -> respond(exchange, 405, Map.of("title", "method not allowed"));
        }
    }

    private void search(HttpExchange exchange) throws IOException {
        Matcher m = SEARCH_PATH.matcher(exchange.getRequestURI().getPath());
        if (!m.matches() || !"POST".equals(exchange.getRequestMethod())) {
            respond(exchange, 404, Map.of("title", "not found"));
            return;
        }
        JsonNode request = read(exchange);
        String tenant = exchange.getRequestHeaders().getFirst("X-Sextant-Tenant");
        int topK = request.has("top_k") ? request.get("top_k").asInt() : 5;
        List<Map<String, Object>> results = new ArrayList<>();
        for (Hit hit : search(tenant == null ? "default" : tenant, m.group(1), request.get("query").asString(), topK)) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("documentId", hit.documentId());
            r.put("chunkIndex", hit.chunkIndex());
            r.put("text", hit.text());
            r.put("score", hit.score());
            results.add(r);
        }
        respond(exchange, 200, Map.of("results", results));
    }

    private JsonNode read(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            return json.readTree(in);
        }
    }

    private void respond(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String key(String tenant, String collection, String documentId) {
        return (tenant == null ? "default" : tenant) + "/" + collection + "/" + documentId;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
