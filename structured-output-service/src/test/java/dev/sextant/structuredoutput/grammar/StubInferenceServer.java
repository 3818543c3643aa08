package dev.sextant.structuredoutput.grammar;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Collectors;

import com.sun.net.httpserver.HttpServer;

import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.testing.GgufVocabulary;

/** Test-only: serves contract 2 (vocabulary) for model "stories260K" from the shared GGUF file. */
final class StubInferenceServer implements AutoCloseable {

    static final String MODEL = "stories260K";
    final Vocabulary vocabulary = GgufVocabulary.load("models/stories260K.gguf");
    private final HttpServer server;

    StubInferenceServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            int status;
            if (path.equals("/v1/models/" + MODEL + "/vocabulary")) {
                status = 200;
                String tokens = Arrays.stream(vocabulary.tokens()).map(t -> "\"" + Base64.getEncoder().encodeToString(t) + "\"")
                        .collect(Collectors.joining(","));
                body = ("{\"model\":\"" + MODEL + "\",\"tokenizer_hash\":\"" + vocabulary.hash() + "\",\"kind\":\"spm\",\"vocab_size\":"
                        + vocabulary.size() + ",\"bos_token_id\":1,\"eos_token_ids\":[" + vocabulary.eosTokenIds()[0] + "],\"tokens\":["
                        + tokens + "],\"special_token_ids\":[0,1,2]}").getBytes(StandardCharsets.UTF_8);
            } else {
                status = 404;
                body = "{\"error\":{\"message\":\"no such model\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}"
                        .getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
