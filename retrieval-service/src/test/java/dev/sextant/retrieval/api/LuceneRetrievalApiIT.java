package dev.sextant.retrieval.api;

import java.nio.file.Files;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The HTTP API on the embedded Lucene store. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class LuceneRetrievalApiIT extends RetrievalApiContract {

    @DynamicPropertySource
    static void lucene(DynamicPropertyRegistry registry) throws Exception {
        var folder = Files.createTempDirectory("retrieval-lucene-it");
        registry.add("sextant.retrieval.store", () -> "lucene");
        registry.add("sextant.retrieval.lucene.path", folder::toString);
    }
}
