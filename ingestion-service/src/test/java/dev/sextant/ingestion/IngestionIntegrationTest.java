package dev.sextant.ingestion;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.ingestion.support.FakeUpstreams;
import dev.sextant.ingestion.support.TestDatabase;

/**
 * The one Spring context the in-process integration tests share (same configuration, so Spring's test context cache
 * starts it once): the real service on a random port, real PostgreSQL (schema {@code flow}), and real HTTP upstreams
 * that implement the embeddings and retrieval write contracts.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class IngestionIntegrationTest {

    static final FakeUpstreams UPSTREAMS = start();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        TestDatabase.register(registry, "flow");
        registry.add("sextant.ingestion.embedding.base-url", UPSTREAMS::baseUrl);
        registry.add("sextant.ingestion.retrieval.base-url", UPSTREAMS::baseUrl);
        registry.add("sextant.ingestion.worker.poll-interval", () -> "50ms");
        registry.add("sextant.ingestion.worker.backoff", () -> "100ms");
        registry.add("sextant.ingestion.worker.max-backoff", () -> "400ms");
        registry.add("sextant.ingestion.worker.max-attempts", () -> "4");
        registry.add("sextant.ingestion.embedding.batch-size", () -> "4");
        registry.add("sextant.ingestion.chunking.max-tokens", () -> "64");
        registry.add("sextant.ingestion.chunking.overlap-tokens", () -> "8");
        registry.add("sextant.ingestion.limits.max-file-size", () -> "256KB");
        registry.add("sextant.ingestion.limits.max-json-size", () -> "256KB");
    }

    private static FakeUpstreams start() {
        try {
            return new FakeUpstreams();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
