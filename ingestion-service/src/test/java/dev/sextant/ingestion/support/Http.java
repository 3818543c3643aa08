package dev.sextant.ingestion.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small HTTP client for the tests: JSON, multipart uploads, job polling and the SSE stream. */
public final class Http {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public Http(String base) {
        this.base = base;
    }

    public record Response(int status, String body, String contentType) {

        public JsonNode json() {
            return JSON.readTree(body);
        }
    }

    public record Part(String name, String fileName, String contentType, byte[] bytes) {

        public static Part file(String fileName, byte[] bytes) {
            return new Part("file", fileName, "application/octet-stream", bytes);
        }

        public static Part field(String name, String value) {
            return new Part(name, null, null, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    public Response get(String path, String tenant) {
        return send(request(path, tenant).GET().build());
    }

    public Response delete(String path, String tenant) {
        return send(request(path, tenant).DELETE().build());
    }

    public Response postJson(String path, String tenant, Object body) {
        String json = body instanceof String s ? s : JSON.writeValueAsString(body);
        return send(request(path, tenant).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public Response postMultipart(String path, String tenant, List<Part> parts) {
        String boundary = "sextant-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Part part : parts) {
            StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"").append(part.name()).append('"');
            if (part.fileName() != null) {
                head.append("; filename=\"").append(part.fileName().replace("\"", "%22")).append('"');
            }
            head.append("\r\n");
            if (part.contentType() != null) {
                head.append("Content-Type: ").append(part.contentType()).append("\r\n");
            }
            head.append("\r\n");
            body.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
            body.writeBytes(part.bytes());
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(request(path, tenant).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
    }

    /** A body sent as is, with the given Content-Type (malformed requests). */
    public Response postRaw(String path, String tenant, String contentType, byte[] bytes) {
        return send(request(path, tenant).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
    }

    /** Polls the job until it reaches a terminal state. */
    public JsonNode awaitJob(String jobId, String tenant, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode job = null;
        while (System.nanoTime() < deadline) {
            job = get("/v1/ingestion/jobs/" + jobId, tenant).json();
            String state = job.get("state").asString();
            if (List.of("done", "failed", "superseded", "cancelled").contains(state)) {
                return job;
            }
            sleep(50);
        }
        throw new AssertionError("job " + jobId + " did not finish within " + timeout + "; last seen " + job);
    }

    /** The data of every SSE event until the server closes the stream. */
    public List<JsonNode> events(String path, String tenant) {
        try {
            HttpResponse<Stream<String>> response = client.send(request(path, tenant)
                    .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new AssertionError("SSE answered " + response.statusCode());
            }
            List<JsonNode> events = new ArrayList<>();
            try (Stream<String> lines = response.body()) {
                lines.filter(l -> l.startsWith("data:")).forEach(l -> events.add(JSON.readTree(l.substring(5))));
            }
            return events;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest.Builder request(String path, String tenant) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (tenant != null) {
            builder.header("X-Sextant-Tenant", tenant);
        }
        return builder;
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A pause long enough for a stray worker to have acted, when a test asserts that nothing happens. */
    public static final class Sleep {

        private Sleep() {
        }

        public static void brief() {
            sleep(500);
        }
    }
}
