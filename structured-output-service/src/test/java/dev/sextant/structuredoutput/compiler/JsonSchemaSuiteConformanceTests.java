package dev.sextant.structuredoutput.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.SpecificationVersion;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Draft;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Whitespace;
import dev.sextant.structuredoutput.grammar.OutputValidator;
import dev.sextant.structuredoutput.testing.Feed;
import dev.sextant.structuredoutput.testing.GgufVocabulary;
import dev.sextant.structuredoutput.testing.Tokenize;

/**
 * The official JSON-Schema-Test-Suite run as data (as llguidance does): every schema is compiled for the
 * stories260K tokenizer; every instance, serialized compactly with properties in schema order, is fed token by
 * token (greedy tokens and byte-by-byte) through the matcher. Outcomes per instance are compared with the
 * checked-in expected file, so any change shows; {@code -Dsextant.conformance.update=true} rewrites it.
 *
 * <p>Outcomes: {@code accepted} (valid, accepted), {@code rejected} (invalid, rejected by the mask),
 * {@code post-validated} (invalid, accepted by the mask, caught by networknt), {@code REJECTED-VALID} (a valid
 * instance the grammar does not generate: completeness gap), {@code UNCAUGHT} (invalid, passes both),
 * {@code refused <keyword>} (the compiler refused the schema: fail closed).
 */
class JsonSchemaSuiteConformanceTests {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FORMAT_FILES = List.of("date", "time", "date-time", "email", "uuid", "uri", "ipv4", "ipv6", "hostname");
    static Vocabulary vocab;
    static Tokenize tokenizer;

    @BeforeAll
    static void load() {
        vocab = GgufVocabulary.load("models/stories260K.gguf");
        tokenizer = new Tokenize(vocab);
    }

    @ParameterizedTest
    @ValueSource(strings = {"draft2020-12", "draft7"})
    void matchesTheExpectedResultsOfTheOfficialSuite(String draft) throws IOException {
        Path dir = GgufVocabulary.shared().resolve("json-schema-test-suite/tests/" + draft);
        assertThat(dir).as("JSON-Schema-Test-Suite under SEXTANT_SHARED_DIR").isDirectory();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
        }
        for (String f : FORMAT_FILES) {
            Path p = dir.resolve("optional/format/" + f + ".json");
            if (Files.exists(p)) { // draft 7 has no uuid tests
                files.add(p);
            }
        }
        Draft d = draft.equals("draft7") ? Draft.DRAFT_7 : Draft.DRAFT_2020_12;
        SpecificationVersion version = d == Draft.DRAFT_7 ? SpecificationVersion.DRAFT_7 : SpecificationVersion.DRAFT_2020_12;
        List<String> lines = new ArrayList<>();
        int[] walkTotals = new int[4]; // finished, valid, post-validated, unfinished
        Map<String, int[]> table = new TreeMap<>(); // keyword -> schemas, refused, valid, accepted, invalid, rejected, post-validated, gaps, uncaught
        for (Path file : files) {
            String keyword = dir.relativize(file).toString().replace(".json", "");
            int[] row = table.computeIfAbsent(keyword, k -> new int[9]);
            JsonNode cases = JSON.readTree(file.toFile());
            for (JsonNode c : cases) {
                String caseName = c.get("description").asText();
                row[0]++;
                ConstraintArtifact artifact = null;
                ConstraintCompiler.Compiled compiled = null;
                String refusal = null;
                try {
                    compiled = ConstraintCompiler.jsonSchema(c.get("schema"), d, Whitespace.COMPACT, vocab,
                            new CompileBudget(Duration.ofSeconds(5), 100_000));
                    artifact = compiled.artifact();
                } catch (ConstraintException e) {
                    refusal = (e.kind() == ConstraintException.Kind.BUDGET ? "budget" : e.keyword()) + " " + e.location();
                }
                if (refusal != null) {
                    row[1]++;
                    lines.add(keyword + "\t" + caseName + "\t*\trefused " + refusal);
                    continue;
                }
                walks(c.get("schema"), compiled, version, keyword + " / " + caseName, walkTotals);
                for (JsonNode t : c.get("tests")) {
                    boolean valid = t.get("valid").asBoolean();
                    String text = JSON.writeValueAsString(canonical(t.get("data"), c.get("schema"), c.get("schema"), 0));
                    boolean accepted = Feed.accepts(artifact, tokenizer, text);
                    String outcome;
                    if (valid) {
                        row[2]++;
                        if (accepted) {
                            row[3]++;
                            outcome = "accepted";
                        } else {
                            row[7]++;
                            outcome = "REJECTED-VALID";
                        }
                    } else {
                        row[4]++;
                        if (!accepted) {
                            row[5]++;
                            outcome = "rejected";
                        } else if (!OutputValidator.validate(c.get("schema"), JSON.readTree(text), version).isEmpty()) {
                            row[6]++;
                            outcome = "post-validated";
                        } else {
                            row[8]++;
                            outcome = "UNCAUGHT";
                        }
                    }
                    lines.add(keyword + "\t" + caseName + "\t" + t.get("description").asText() + "\t" + outcome);
                }
            }
        }
        printTable(draft, table);
        System.out.printf("random walks under the mask: %d finished, %d valid, %d caught by post-validation, %d ran out of tokens%n",
                walkTotals[0], walkTotals[1], walkTotals[2], walkTotals[3]);
        assertThat(walkTotals[0]).as("finished walks").isGreaterThan(0);
        String actual = String.join("\n", lines) + "\n";
        Path expected = Path.of("src/test/resources/conformance/" + draft + ".expected.tsv");
        if (Boolean.getBoolean("sextant.conformance.update")) {
            Files.createDirectories(expected.getParent());
            Files.writeString(expected, actual, StandardCharsets.UTF_8);
        }
        assertThat(expected).as("expected results; create them with -Dsextant.conformance.update=true").exists();
        assertThat(actual).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
    }

    /**
     * Property: text generated by random walks under the mask parses as JSON and validates, except where a
     * keyword the compiler reports as post-validated is at fault (then the validator catches it).
     */
    private static void walks(JsonNode schema, ConstraintCompiler.Compiled compiled, SpecificationVersion version, String where, int[] totals) {
        ConstraintArtifact artifact = compiled.artifact();
        for (long seed = 1; seed <= 3; seed++) {
            String text = dev.sextant.structuredoutput.testing.RandomWalk.generate(artifact, seed, 200);
            if (text == null) {
                totals[3]++;
                continue;
            }
            totals[0]++;
            JsonNode parsed;
            try {
                parsed = JSON.readTree(text);
            } catch (IOException e) {
                throw new AssertionError(where + ": generated text is not JSON: " + text, e);
            }
            List<String> errors = OutputValidator.validate(schema, parsed, version);
            if (errors.isEmpty()) {
                totals[1]++;
            } else if (!compiled.postValidated().isEmpty()) {
                totals[2]++;
            } else {
                throw new AssertionError(where + ": generated " + text + " fails validation: " + errors);
            }
        }
    }

    private static void printTable(String draft, Map<String, int[]> table) {
        StringBuilder sb = new StringBuilder("\nJSON-Schema-Test-Suite " + draft + " (stories260K tokenizer)\n");
        sb.append(String.format("%-28s %7s %7s %15s %17s %9s %6s %8s%n", "keyword", "schemas", "refused", "accepted-valid",
                "rejected-invalid", "post-val", "gaps", "uncaught"));
        int[] total = new int[9];
        table.forEach((k, r) -> {
            sb.append(String.format("%-28s %7d %7d %8d/%-6d %9d/%-7d %9d %6d %8d%n", k, r[0], r[1], r[3], r[2], r[5], r[4], r[6], r[7], r[8]));
            for (int i = 0; i < 9; i++) {
                total[i] += r[i];
            }
        });
        sb.append(String.format("%-28s %7d %7d %8d/%-6d %9d/%-7d %9d %6d %8d%n", "TOTAL", total[0], total[1], total[3], total[2], total[5], total[4], total[6], total[7], total[8]));
        System.out.println(sb);
    }

    /** Reorders object members into the order the schema declares them (the order the grammar generates). */
    static JsonNode canonical(JsonNode instance, JsonNode schema, JsonNode root, int depth) {
        if (depth > 20 || schema == null || !schema.isObject()) {
            return instance;
        }
        List<JsonNode> schemas = new ArrayList<>();
        collect(schema, root, schemas, 0);
        if (instance.isObject()) {
            Map<String, JsonNode> declared = new LinkedHashMap<>();
            JsonNode additional = null;
            for (JsonNode s : schemas) {
                for (Iterator<String> it = s.path("properties").fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    declared.putIfAbsent(k, s.get("properties").get(k));
                }
                if (additional == null && s.has("additionalProperties")) {
                    additional = s.get("additionalProperties");
                }
            }
            ObjectNode out = JSON.createObjectNode();
            for (String k : declared.keySet()) {
                if (instance.has(k)) {
                    out.set(k, canonical(instance.get(k), declared.get(k), root, depth + 1));
                }
            }
            for (Iterator<String> it = instance.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!declared.containsKey(k)) {
                    out.set(k, canonical(instance.get(k), additional, root, depth + 1));
                }
            }
            return out;
        }
        if (instance.isArray()) {
            var out = JSON.createArrayNode();
            for (int i = 0; i < instance.size(); i++) {
                JsonNode item = null;
                for (JsonNode s : schemas) {
                    JsonNode prefix = s.has("prefixItems") ? s.get("prefixItems") : s.path("items").isArray() ? s.get("items") : null;
                    if (prefix != null && i < prefix.size()) {
                        item = prefix.get(i);
                    } else if (s.has("items") && s.get("items").isObject()) {
                        item = s.get("items");
                    }
                }
                out.add(canonical(instance.get(i), item, root, depth + 1));
            }
            return out;
        }
        return instance;
    }

    private static void collect(JsonNode s, JsonNode root, List<JsonNode> out, int depth) {
        if (s == null || !s.isObject() || depth > 10) {
            return;
        }
        out.add(s);
        if (s.has("$ref") && s.get("$ref").asText().startsWith("#")) {
            collect(root.at(s.get("$ref").asText().substring(1)), root, out, depth + 1);
        }
        for (String k : List.of("allOf", "anyOf", "oneOf")) {
            s.path(k).forEach(x -> collect(x, root, out, depth + 1));
        }
    }
}
