package dev.sextant.ingestion.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.springframework.web.client.RestClient;

import dev.sextant.ingestion.IngestionProperties;

class EmbeddingBatcherTests {

    /** Records every upstream call; the first call waits until the test releases it. */
    static final class RecordingClient extends EmbeddingClient {

        final List<List<String>> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch release = new CountDownLatch(1);
        volatile RuntimeException failure;

        RecordingClient() {
            super(RestClient.builder(), new IngestionProperties(null, null, null, null,
                    new IngestionProperties.Embedding(URI.create("http://127.0.0.1:9"), "m", 32, 1, Duration.ofSeconds(1)),
                    null));
        }

        @Override
        public List<float[]> embed(String tenant, List<String> texts) {
            calls.add(List.copyOf(texts));
            if (calls.size() == 1) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failure != null) {
                throw failure;
            }
            return texts.stream().map(t -> new float[] {t.length(), t.charAt(0)}).toList();
        }
    }

    @Test
    void mergesRequestsThatQueuedWhileTheUpstreamWasBusyAndSplitsTheResultsBack() throws Exception {
        RecordingClient client = new RecordingClient();
        try (EmbeddingBatcher batcher = new EmbeddingBatcher(client, 32, 1);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<List<float[]>> first = pool.submit(() -> batcher.embed("t", List.of("a1", "a22")));
            while (client.calls.isEmpty()) {
                Thread.sleep(5);
            }
            List<Future<List<float[]>>> rest = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                String prefix = Character.toString('b' + i);
                rest.add(pool.submit(() -> batcher.embed("t", List.of(prefix + "x", prefix + "yy"))));
            }
            while (batcher.queued() < 7) {
                Thread.sleep(5);
            }
            client.release.countDown();
            assertThat(first.get()).extracting(v -> v[0]).containsExactly(2f, 3f);
            for (int i = 0; i < 7; i++) {
                List<float[]> vectors = rest.get(i).get();
                assertThat(vectors).hasSize(2);
                assertThat(vectors.get(0)[1]).isEqualTo((float) ('b' + i));
                assertThat(vectors.get(1)[0]).isEqualTo(3f);
            }
            assertThat(client.calls).hasSize(2);
            assertThat(client.calls.get(1)).hasSize(14);
        }
    }

    @Test
    void neverMixesTenantsOrPassesTheBatchSize() throws Exception {
        RecordingClient client = new RecordingClient();
        try (EmbeddingBatcher batcher = new EmbeddingBatcher(client, 4, 1);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> first = pool.submit(() -> batcher.embed("t1", List.of("x")));
            while (client.calls.isEmpty()) {
                Thread.sleep(5);
            }
            List<Future<?>> rest = new ArrayList<>();
            rest.add(pool.submit(() -> batcher.embed("t1", List.of("a", "b", "c"))));
            while (batcher.queued() < 1) {
                Thread.sleep(5);
            }
            rest.add(pool.submit(() -> batcher.embed("t1", List.of("d", "e"))));
            while (batcher.queued() < 2) {
                Thread.sleep(5);
            }
            rest.add(pool.submit(() -> batcher.embed("t2", List.of("f"))));
            while (batcher.queued() < 3) {
                Thread.sleep(5);
            }
            client.release.countDown();
            first.get();
            for (Future<?> f : rest) {
                f.get();
            }
            assertThat(client.calls).containsExactly(List.of("x"), List.of("a", "b", "c"), List.of("d", "e"), List.of("f"));
        }
    }

    @Test
    void failsEveryRequestOfAFailedBatchWithTheUpstreamError() {
        RecordingClient client = new RecordingClient();
        client.release.countDown();
        client.failure = new UpstreamException("inference-service embeddings answered 503", true, null);
        try (EmbeddingBatcher batcher = new EmbeddingBatcher(client, 32, 2)) {
            assertThatThrownBy(() -> batcher.embed("t", List.of("a")))
                    .isInstanceOfSatisfying(UpstreamException.class, e -> assertThat(e.retryable()).isTrue());
        }
    }
}
