package dev.sextant.retrieval.api;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.retrieval.support.TestDatabase;

/** The HTTP API on PostgreSQL + pgvector ({@code SEXTANT_TEST_RETRIEVAL_DB_URL}). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PgVectorRetrievalApiIT extends RetrievalApiContract {

    @DynamicPropertySource
    static void pgvector(DynamicPropertyRegistry registry) {
        TestDatabase.Connection db = TestDatabase.get();
        registry.add("sextant.retrieval.store", () -> "pgvector");
        registry.add("sextant.retrieval.pgvector.url", db::url);
        registry.add("sextant.retrieval.pgvector.username", db::user);
        registry.add("sextant.retrieval.pgvector.password", db::password);
    }
}
