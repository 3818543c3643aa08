package dev.sextant.retrieval.store.lucene;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.QueryBuilder;

import dev.sextant.retrieval.store.ChunkInput;
import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.CollectionExistsException;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.DocumentInput;
import dev.sextant.retrieval.store.ScoredChunk;
import dev.sextant.retrieval.store.StaleVersionException;
import dev.sextant.retrieval.store.StoredChunk;
import dev.sextant.retrieval.store.VectorType;
import dev.sextant.retrieval.store.filter.Filter;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The embedded store: one Lucene index per collection under {@code root/collections/<id>} (HNSW vectors with
 * cosine similarity, BM25 over English-analysed text), and the collection registry in {@code root/collections.json}.
 * Every query is also filtered on the tenant term, and collections are looked up by (tenant, name), so one
 * tenant's request never opens another's index. A document's chunks are replaced with one
 * {@link IndexWriter#updateDocuments} call and one commit, so a reader sees either version whole.
 */
public final class LuceneStore implements ChunkStore, AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final TypeReference<List<Entry>> ENTRIES = new TypeReference<>() {
    };

    private final Path root;
    private final int hnswM;
    private final int beamWidth;
    private final java.time.Duration commitInterval;
    private final java.util.concurrent.ScheduledExecutorService committer;
    private final Analyzer analyzer = new EnglishAnalyzer();
    private final ConcurrentHashMap<String, Index> open = new ConcurrentHashMap<>();
    private List<Entry> registry;

    /** One registry line; createdAt as text so the file reads without Jackson's java.time setup. */
    record Entry(String id, String tenant, String name, String embeddingModel, int dimension, String vectorType, String createdAt) {
        CollectionInfo info() {
            return new CollectionInfo(id, tenant, name, embeddingModel, dimension, VectorType.fromWire(vectorType), Instant.parse(createdAt));
        }
    }

    /** Commits every write before it returns (durable on success). */
    public LuceneStore(Path root, int hnswM, int beamWidth) {
        this(root, hnswM, beamWidth, java.time.Duration.ZERO);
    }

    /**
     * @param commitInterval zero: every write is committed (fsync) before it returns; otherwise writes are visible
     *                       at once (near-real-time reader) and committed at most this long later and on close,
     *                       for bulk loads where one fsync per document dominates
     */
    public LuceneStore(Path root, int hnswM, int beamWidth, java.time.Duration commitInterval) {
        this.root = root;
        this.hnswM = hnswM;
        this.beamWidth = beamWidth;
        this.commitInterval = commitInterval;
        if (commitInterval.isZero()) {
            this.committer = null;
        } else {
            this.committer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("lucene-commit").factory());
            long ms = commitInterval.toMillis();
            committer.scheduleWithFixedDelay(this::commitAll, ms, ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        try {
            Files.createDirectories(root.resolve("collections"));
            Path file = root.resolve("collections.json");
            registry = Files.exists(file) ? new ArrayList<>(JSON.readValue(file.toFile(), ENTRIES)) : new ArrayList<>();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the Lucene store at " + root, e);
        }
    }

    @Override
    public String kind() {
        return "lucene";
    }

    @Override
    public synchronized CollectionInfo createCollection(String tenant, String name, String embeddingModel, int dimension, VectorType type) {
        if (findEntry(tenant, name).isPresent()) {
            throw new CollectionExistsException(name);
        }
        Entry entry = new Entry(UUID.randomUUID().toString(), tenant, name, embeddingModel, dimension, type.wire(), Instant.now().toString());
        registry.add(entry);
        saveRegistry();
        return entry.info();
    }

    @Override
    public synchronized List<CollectionInfo> listCollections(String tenant) {
        return registry.stream().filter(e -> e.tenant().equals(tenant)).map(Entry::info)
                .sorted(Comparator.comparing(CollectionInfo::name)).toList();
    }

    @Override
    public synchronized Optional<CollectionInfo> findCollection(String tenant, String name) {
        return findEntry(tenant, name).map(Entry::info);
    }

    @Override
    public boolean deleteCollection(String tenant, String name) {
        Entry entry;
        synchronized (this) {
            entry = findEntry(tenant, name).orElse(null);
            if (entry == null) {
                return false;
            }
            registry.remove(entry);
            saveRegistry();
        }
        Index index = open.remove(entry.id());
        if (index != null) {
            index.close();
        }
        deleteTree(root.resolve("collections").resolve(entry.id()));
        return true;
    }

    @Override
    public int replaceDocument(String tenant, CollectionInfo collection, DocumentInput doc) {
        requireOwn(tenant, collection);
        Index index = index(tenant, collection);
        String metadata = JSON.writeValueAsString(doc.metadata() == null ? Map.of() : doc.metadata());
        List<Document> docs = new ArrayList<>();
        for (ChunkInput chunk : doc.chunks()) {
            docs.add(document(tenant, collection, doc, chunk, metadata));
        }
        synchronized (index) {
            try {
                Long stored = currentVersion(index, tenant, doc.documentId());
                if (stored != null && stored > doc.version()) {
                    throw new StaleVersionException(doc.documentId(), stored, doc.version());
                }
                index.writer.updateDocuments(new Term("doc_id", doc.documentId()), docs);
                index.written(doc.documentId(), doc.version());
                afterWrite(index);
                return docs.size();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public boolean deleteDocument(String tenant, CollectionInfo collection, String documentId) {
        requireOwn(tenant, collection);
        Index index = index(tenant, collection);
        synchronized (index) {
            try {
                if (currentVersion(index, tenant, documentId) == null) {
                    return false;
                }
                index.writer.deleteDocuments(new Term("doc_id", documentId));
                index.written(documentId, Index.DELETED);
                afterWrite(index);
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Override
    public List<ScoredChunk> dense(String tenant, CollectionInfo collection, float[] query, int topK, Filter filter, int efSearch) {
        Query knn = new KnnFloatVectorQuery(vectorField(collection), query, Math.max(topK, efSearch), scope(tenant, filter));
        // Lucene's cosine score is (1 + cos) / 2; report the cosine itself, as pgvector does.
        return search(tenant, collection, knn, topK, score -> 2.0 * score - 1.0);
    }

    @Override
    public List<ScoredChunk> lexical(String tenant, CollectionInfo collection, String query, int topK, Filter filter) {
        Query text = new QueryBuilder(analyzer).createBooleanQuery("text", query, Occur.SHOULD);
        if (text == null) {
            return List.of();
        }
        Query scoped = new BooleanQuery.Builder().add(text, Occur.MUST).add(scope(tenant, filter), Occur.FILTER).build();
        return search(tenant, collection, scoped, topK, score -> score);
    }

    private List<ScoredChunk> search(String tenant, CollectionInfo collection, Query query, int topK,
            java.util.function.DoubleUnaryOperator score) {
        Index index = index(tenant, collection);
        try {
            if (index.dirty) {
                synchronized (index) {
                    refresh(index); // read your writes: a search never misses a write that has returned
                }
            }
            IndexSearcher searcher = index.searchers.acquire();
            try {
                TopDocs top = searcher.search(query, topK);
                List<ScoredChunk> hits = new ArrayList<>();
                for (ScoreDoc sd : top.scoreDocs) {
                    Document d = searcher.storedFields().document(sd.doc);
                    hits.add(new ScoredChunk(chunk(d), score.applyAsDouble(sd.score)));
                }
                return hits.subList(0, Math.min(topK, hits.size()));
            } finally {
                index.searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Query scope(String tenant, Filter filter) {
        return new BooleanQuery.Builder()
                .add(new TermQuery(new Term("tenant", tenant)), Occur.FILTER)
                .add(LuceneFilter.compile(filter), Occur.FILTER)
                .build();
    }

    private static String vectorField(CollectionInfo collection) {
        return "vec";
    }

    /** The version as of the last write, whether or not a reader sees it yet; null when absent or deleted. */
    private Long currentVersion(Index index, String tenant, String documentId) throws IOException {
        Long pending = index.pending.get(documentId);
        if (pending != null) {
            return Index.DELETED.equals(pending) ? null : pending;
        }
        return storedVersion(index, tenant, documentId);
    }

    /** Durable mode: commit and publish now. Batched mode: publish on the next search, commit on the timer. */
    private void afterWrite(Index index) throws IOException {
        if (committer == null) {
            index.writer.commit();
            refresh(index);
        }
    }

    private static void refresh(Index index) throws IOException {
        if (index.dirty) {
            index.searchers.maybeRefreshBlocking();
            index.pending.clear();
            index.dirty = false;
        }
    }

    private Long storedVersion(Index index, String tenant, String documentId) throws IOException {
        IndexSearcher searcher = index.searchers.acquire();
        try {
            Query q = new BooleanQuery.Builder()
                    .add(new TermQuery(new Term("doc_id", documentId)), Occur.FILTER)
                    .add(new TermQuery(new Term("tenant", tenant)), Occur.FILTER).build();
            TopDocs top = searcher.search(q, 1);
            if (top.scoreDocs.length == 0) {
                return null;
            }
            return searcher.storedFields().document(top.scoreDocs[0].doc).getField("version").numericValue().longValue();
        } finally {
            index.searchers.release(searcher);
        }
    }

    private static Document document(String tenant, CollectionInfo collection, DocumentInput doc, ChunkInput chunk, String metadata) {
        Document d = new Document();
        d.add(new StringField("tenant", tenant, Field.Store.NO));
        d.add(new StringField("doc_id", doc.documentId(), Field.Store.YES));
        d.add(new StoredField("chunk_index", chunk.index()));
        d.add(new TextField("text", chunk.text(), Field.Store.YES));
        d.add(new StoredField("start", chunk.startOffset()));
        d.add(new StoredField("end", chunk.endOffset()));
        if (chunk.page() != null) {
            d.add(new StoredField("page", chunk.page()));
        }
        for (String heading : chunk.headingPath() == null ? List.<String>of() : chunk.headingPath()) {
            d.add(new StoredField("heading", heading));
        }
        if (doc.title() != null) {
            d.add(new StoredField("title", doc.title()));
        }
        if (doc.uri() != null) {
            d.add(new StoredField("uri", doc.uri()));
        }
        d.add(new StoredField("version", doc.version()));
        d.add(new StoredField("metadata", metadata));
        LuceneFilter.index(d, doc.metadata());
        d.add(new KnnFloatVectorField(vectorField(collection), chunk.embedding(), VectorSimilarityFunction.COSINE));
        return d;
    }

    private static StoredChunk chunk(Document d) {
        IndexableField page = d.getField("page");
        return new StoredChunk(d.get("doc_id"), d.getField("chunk_index").numericValue().intValue(), d.get("text"),
                d.getField("start").numericValue().intValue(), d.getField("end").numericValue().intValue(),
                page == null ? null : page.numericValue().intValue(), Arrays.asList(d.getValues("heading")),
                d.get("title"), d.get("uri"), d.getField("version").numericValue().longValue(),
                JSON.readValue(d.get("metadata"), MAP));
    }

    /** Reads through a foreign handle find nothing (the tenant term filters every query); writes are refused. */
    private Index index(String tenant, CollectionInfo collection) {
        return open.computeIfAbsent(collection.id(), id -> new Index(root.resolve("collections").resolve(id),
                collection.vectorType() == VectorType.HALFVEC
                        ? new Lucene99HnswScalarQuantizedVectorsFormat(hnswM, beamWidth)
                        : new Lucene99HnswVectorsFormat(hnswM, beamWidth), analyzer));
    }

    private synchronized void requireOwn(String tenant, CollectionInfo collection) {
        if (registry.stream().noneMatch(e -> e.id().equals(collection.id()) && e.tenant().equals(tenant))) {
            throw new IllegalArgumentException("No such collection for this tenant");
        }
    }

    private Optional<Entry> findEntry(String tenant, String name) {
        return registry.stream().filter(e -> e.tenant().equals(tenant) && e.name().equals(name)).findFirst();
    }

    private void saveRegistry() {
        try {
            Path file = root.resolve("collections.json");
            Path tmp = root.resolve("collections.json.tmp");
            JSON.writeValue(tmp.toFile(), registry);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void commitAll() {
        for (Index index : open.values()) {
            synchronized (index) {
                try {
                    if (index.writer.isOpen() && index.writer.hasUncommittedChanges()) {
                        index.writer.commit();
                    }
                } catch (IOException | RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(LuceneStore.class).warn("Periodic Lucene commit failed", e);
                }
            }
        }
    }

    @Override
    public void close() {
        if (committer != null) {
            committer.shutdownNow();
        }
        open.values().forEach(Index::close); // IndexWriter.close commits
        open.clear();
    }

    /** An open collection index: its writer and the searchers that see its last commit. */
    private static final class Index {
        static final Long DELETED = Long.MIN_VALUE;
        final IndexWriter writer;
        final SearcherManager searchers;
        /** Versions written since the searchers were last refreshed (guarded by this). */
        final Map<String, Long> pending = new java.util.HashMap<>();
        volatile boolean dirty;

        void written(String documentId, Long version) {
            pending.put(documentId, version);
            dirty = true;
        }

        Index(Path dir, KnnVectorsFormat vectors, Analyzer analyzer) {
            try {
                IndexWriterConfig config = new IndexWriterConfig(analyzer);
                config.setCodec(new Lucene103Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return vectors;
                    }
                });
                writer = new IndexWriter(FSDirectory.open(dir), config);
                writer.commit();
                searchers = new SearcherManager(writer, null);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot open index " + dir, e);
            }
        }

        void close() {
            try {
                searchers.close();
                writer.close();
                writer.getDirectory().close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
