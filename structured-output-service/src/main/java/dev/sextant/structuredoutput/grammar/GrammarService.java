package dev.sextant.structuredoutput.grammar;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PreDestroy;

import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.compiler.CompileBudget;
import dev.sextant.structuredoutput.compiler.ConstraintCompiler;
import dev.sextant.structuredoutput.compiler.ConstraintException;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/**
 * Compiles constraints on a bounded pool under a time and size budget, and caches artifacts by
 * (constraint, whitespace, tokenizer) hash. The grammar id is derived from that hash, so the same request
 * always names the same grammar.
 */
@Service
public class GrammarService {

    static final ErrorCode UNSUPPORTED = ErrorCode.of("unsupported-constraint", HttpStatus.BAD_REQUEST, "Constraint feature cannot be enforced");
    static final ErrorCode INVALID = ErrorCode.of("invalid-constraint", HttpStatus.BAD_REQUEST, "Constraint is not valid");
    static final ErrorCode TOO_LARGE = ErrorCode.of("constraint-too-large", HttpStatus.UNPROCESSABLE_CONTENT, "Constraint exceeds the compile budget");
    static final ErrorCode BUSY = ErrorCode.of("compiler-busy", HttpStatus.SERVICE_UNAVAILABLE, "Compiler is busy");
    static final ErrorCode NOT_FOUND = ErrorCode.of("grammar-not-found", HttpStatus.NOT_FOUND, "Grammar not found");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final VocabularyClient vocabularies;
    private final GrammarProperties properties;
    private final ThreadPoolExecutor pool;
    private final Cache<String, CompiledGrammar> cache;
    private final MeterRegistry registry;
    private final Counter hits;
    private final Counter misses;

    public GrammarService(VocabularyClient vocabularies, GrammarProperties properties, MeterRegistry registry) {
        this.vocabularies = vocabularies;
        this.properties = properties;
        this.registry = registry;
        this.pool = new ThreadPoolExecutor(properties.compileThreads(), properties.compileThreads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(properties.compileQueue()), Thread.ofPlatform().name("grammar-compile-", 0).daemon().factory(),
                new ThreadPoolExecutor.AbortPolicy());
        this.cache = Caffeine.newBuilder().maximumSize(properties.cacheSize()).build();
        this.hits = Counter.builder("sextant.grammar.cache").tag("result", "hit").register(registry);
        this.misses = Counter.builder("sextant.grammar.cache").tag("result", "miss").register(registry);
    }

    @PreDestroy
    void stop() {
        pool.shutdownNow();
    }

    public GrammarResponse compile(GrammarRequest request) {
        if (request.model() == null || request.model().isBlank()) {
            throw new SextantException(ErrorCode.VALIDATION, "model", "'model' is required");
        }
        List<String> kinds = new ArrayList<>();
        if (request.jsonSchema() != null) {
            kinds.add("json_schema");
        }
        if (request.regex() != null) {
            kinds.add("regex");
        }
        if (request.choice() != null) {
            kinds.add("choice");
        }
        if (request.grammar() != null) {
            kinds.add("grammar");
        }
        if (kinds.size() != 1) {
            throw new SextantException(ErrorCode.VALIDATION, kinds.isEmpty() ? "json_schema" : kinds.get(1),
                    "give exactly one of 'json_schema', 'regex', 'choice', 'grammar' (got " + (kinds.isEmpty() ? "none" : kinds) + ")");
        }
        String kind = kinds.get(0);
        JsonSchemaCompiler.Whitespace ws = whitespace(request.whitespace());
        String payload = switch (kind) {
            case "json_schema" -> request.jsonSchema().toString();
            case "regex" -> request.regex();
            case "choice" -> String.join("\u0000", request.choice());
            default -> request.grammar();
        };
        Vocabulary vocabulary = vocabularies.vocabulary(request.model());
        String hash = sha256(kind + "\n" + ws + "\n" + payload + "\n" + vocabulary.hash());
        String id = "grm_" + hash.substring(0, 32);
        CompiledGrammar cached = cache.getIfPresent(id);
        if (cached != null) {
            hits.increment();
            return cached.response();
        }
        misses.increment();
        Future<CompiledGrammar> future;
        try {
            future = pool.submit(() -> build(id, hash, kind, payload, ws, request.model(), vocabulary));
        } catch (RejectedExecutionException e) {
            throw new SextantException(BUSY, null, "too many compiles in progress; retry shortly", Map.of("retryAfterSeconds", 1), null);
        }
        CompiledGrammar compiled;
        try {
            compiled = future.get(properties.compileTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new SextantException(TOO_LARGE, kind, "compile exceeded " + properties.compileTimeout().toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SextantException(ErrorCode.INTERNAL, null, "interrupted");
        } catch (ExecutionException e) {
            throw translate(e.getCause(), kind);
        }
        cache.put(id, compiled);
        return compiled.response();
    }

    private CompiledGrammar build(String id, String hash, String kind, String payload, JsonSchemaCompiler.Whitespace ws, String model, Vocabulary vocabulary)
            throws Exception {
        CompileBudget budget = new CompileBudget(properties.compileTimeout(), properties.maxStates());
        Timer.Sample sample = Timer.start(registry);
        ConstraintCompiler.Compiled c = switch (kind) {
            case "json_schema" -> ConstraintCompiler.jsonSchema(JSON.readTree(payload), JsonSchemaCompiler.Draft.DRAFT_2020_12, ws, vocabulary, budget);
            case "regex" -> ConstraintCompiler.regex(payload, vocabulary, budget);
            case "choice" -> ConstraintCompiler.choice(List.of(payload.split("\u0000", -1)), vocabulary, budget);
            default -> ConstraintCompiler.grammar(payload, vocabulary, budget);
        };
        sample.stop(Timer.builder("sextant.grammar.compile").tag("kind", kind).publishPercentileHistogram().register(registry));
        byte[] bytes = c.artifact().toBytes();
        if (bytes.length > properties.maxArtifactBytes()) {
            throw ConstraintException.budget("artifact of " + bytes.length + " bytes exceeds the limit of " + properties.maxArtifactBytes());
        }
        GrammarResponse response = new GrammarResponse(id, hash, model, vocabulary.hash(),
                new GrammarResponse.Stats(c.states(), c.compileMillis(), c.artifact().contextDependentCount()),
                List.copyOf(new java.util.TreeSet<>(c.enforcedKeywords())), List.copyOf(new java.util.TreeSet<>(c.postValidated())), bytes.length);
        return new CompiledGrammar(response, bytes, kind.equals("json_schema") ? payload : null);
    }

    private static RuntimeException translate(Throwable cause, String kind) {
        if (cause instanceof ConstraintException e) {
            ErrorCode code = switch (e.kind()) {
                case UNSUPPORTED -> UNSUPPORTED;
                case INVALID -> INVALID;
                case BUDGET -> TOO_LARGE;
            };
            Map<String, Object> props = new java.util.HashMap<>();
            if (e.keyword() != null) {
                props.put("keyword", e.keyword());
            }
            if (e.location() != null) {
                props.put("pointer", e.location());
            }
            return new SextantException(code, e.location() != null ? e.location() : kind, e.getMessage(), props, null);
        }
        if (cause instanceof SextantException e) {
            return e;
        }
        if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException) {
            return new SextantException(INVALID, kind, "json_schema is not valid JSON");
        }
        return new SextantException(ErrorCode.INTERNAL, kind, "compile failed: " + cause, Map.of(), cause);
    }

    public CompiledGrammar get(String id) {
        CompiledGrammar c = cache.getIfPresent(id);
        if (c == null) {
            throw new SextantException(NOT_FOUND, "id", "no grammar '" + id + "' (compiled grammars are cached; POST it again)");
        }
        return c;
    }

    private static JsonSchemaCompiler.Whitespace whitespace(String value) {
        if (value == null || value.equals("compact")) {
            return JsonSchemaCompiler.Whitespace.COMPACT;
        }
        if (value.equals("flexible")) {
            return JsonSchemaCompiler.Whitespace.FLEXIBLE;
        }
        throw new SextantException(ErrorCode.VALIDATION, "whitespace", "'whitespace' must be 'compact' or 'flexible'");
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Duration timeout() {
        return properties.compileTimeout();
    }
}
