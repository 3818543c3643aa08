package dev.sextant.retrieval.store.lucene;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.ChunkStoreContractTests;

/** The contract suite on the embedded Lucene store (local disk in a temporary folder). */
class LuceneStoreContractTest extends ChunkStoreContractTests {

    @TempDir
    static Path folder;
    private static LuceneStore store;

    @BeforeAll
    static void open() {
        store = new LuceneStore(folder, 16, 100);
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Override
    protected ChunkStore store() {
        return store;
    }
}
