package dev.sextant.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

import dev.sextant.inference.engine.Model;
import dev.sextant.inference.gguf.SharedData;

/** Downloads from a local HTTP server that serves files the way the Hugging Face Hub does (API, resolve, CDN redirect). */
class HubDownloaderIT {

    @TempDir
    Path cache;

    private HttpServer hub;
    private byte[] gguf;
    private String advertisedSha;
    private final AtomicInteger cdnHits = new AtomicInteger();

    @BeforeEach
    void startHub() throws Exception {
        gguf = Files.readAllBytes(SharedData.file("models/stories260K.gguf"));
        advertisedSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(gguf));
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/api/models/acme/tiny-stories/revision/main", exchange -> {
            byte[] body = """
                    {"id": "acme/tiny-stories", "sha": "0123abcd", "siblings": [
                      {"rfilename": "README.md"}, {"rfilename": "stories260K.gguf"}]}""".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        hub.createContext("/acme/tiny-stories/resolve/0123abcd/stories260K.gguf", exchange -> {
            exchange.getResponseHeaders().add("X-Linked-Etag", "\"" + advertisedSha + "\"");
            exchange.getResponseHeaders().add("X-Linked-Size", String.valueOf(gguf.length));
            exchange.getResponseHeaders().add("Location", "/cdn/blob/" + advertisedSha);
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        hub.createContext("/cdn/blob/", exchange -> {
            cdnHits.incrementAndGet();
            exchange.sendResponseHeaders(200, gguf.length);
            exchange.getResponseBody().write(gguf);
            exchange.close();
        });
        hub.start();
    }

    @AfterEach
    void stopHub() {
        hub.stop(0);
    }

    private HubDownloader downloader(ByteArrayOutputStream progress) {
        return new HubDownloader(URI.create("http://127.0.0.1:" + hub.getAddress().getPort()), cache,
                new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    @Test
    void downloadsTheGgufThroughTheCdnRedirectVerifiesItAndTheEngineLoadsIt() throws IOException {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Path file = downloader(progress).download("acme/tiny-stories");
        assertThat(file.getFileName().toString()).isEqualTo("stories260K.gguf");
        assertThat(Files.readAllBytes(file)).isEqualTo(gguf);
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("100%").contains("#".repeat(30));
        try (Model model = Model.load(file)) {
            assertThat(model.info().vocabularySize()).isEqualTo(512);
        }
    }

    @Test
    void aSecondDownloadComesFromTheCache() throws IOException {
        downloader(new ByteArrayOutputStream()).download("acme/tiny-stories");
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        downloader(progress).download("acme/tiny-stories");
        assertThat(cdnHits.get()).isEqualTo(1);
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("cached");
    }

    @Test
    void aChecksumMismatchKeepsNothing() throws IOException {
        advertisedSha = "0".repeat(64);
        assertThatThrownBy(() -> downloader(new ByteArrayOutputStream()).download("acme/tiny-stories"))
                .isInstanceOf(IOException.class).hasMessageContaining("checksum mismatch");
        try (var files = Files.walk(cache)) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
    }

    @Test
    void anUnknownModelIsNamed() {
        assertThatThrownBy(() -> downloader(new ByteArrayOutputStream()).download("acme/nothing-here"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acme/nothing-here");
    }

    @Test
    void selectsTheQuantisationUsersExpectOrAsksToNameOne() {
        assertThat(HubDownloader.select("r", List.of("m.Q8_0.gguf", "m.Q4_K_M.gguf"), null)).containsExactly("m.Q4_K_M.gguf");
        assertThatThrownBy(() -> HubDownloader.select("r", List.of("a.Q5_K.gguf", "b.Q6_K.gguf"), null))
                .hasMessageContaining("name one");
        assertThat(HubDownloader.select("r", List.of("config.json", "tokenizer.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json", "README.md"), null))
                .contains("config.json", "model.safetensors.index.json", "model-00002-of-00002.safetensors")
                .doesNotContain("README.md");
        assertThat(HubDownloader.looksLikeModelId("Qwen/Qwen2.5-0.5B-Instruct")).isTrue();
        assertThat(HubDownloader.looksLikeModelId("/models/x.gguf")).isFalse();
    }
}
