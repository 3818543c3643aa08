package dev.sextant.inference.constraint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.sextant.constraint.Vocabulary;
import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.sampling.SamplingParams;
import dev.sextant.inference.scheduler.FinishReason;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.inference.scheduler.GenerationRequest;
import dev.sextant.inference.scheduler.Scheduler;
import dev.sextant.inference.scheduler.SchedulerConfig;
import dev.sextant.inference.scheduler.SchedulerMetrics;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;
import dev.sextant.structuredoutput.compiler.CompileBudget;
import dev.sextant.structuredoutput.compiler.ConstraintCompiler;
import dev.sextant.structuredoutput.compiler.ConstraintException;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler;
import dev.sextant.structuredoutput.grammar.OutputValidator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The guarantee, on real models: for every schema of the official JSON-Schema-Test-Suite that the compiler accepts,
 * generation with random sampling (temperature 1.0, several seeds) under the constraint on the real engine gives
 * outputs that parse and validate, 100%. Outputs cut by max_tokens are counted apart (they are unfinished, as an
 * OpenAI client sees with finish_reason "length"); outputs of schemas with post-validated keywords that fail
 * validation are counted as caught (the server answers 422 rather than return them).
 */
class ConstraintGuaranteeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SEEDS = 3;
    private static final int MAX_TOKENS = 160;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"stories260K.gguf, draft2020-12", "stories260K.gguf, draft7",
            "llama-2-tiny-random.gguf, draft2020-12", "llama-2-tiny-random.gguf, draft7"})
    void everyAcceptedSchemaGeneratesOnlyValidOutputs(String modelFile, String draft) throws Exception {
        Path modelPath = SharedData.file("models/" + modelFile);
        Tokenizer tokenizer = Tokenizers.fromGguf(modelPath);
        byte[][] tokens = new byte[tokenizer.vocabSize()][];
        for (int id = 0; id < tokens.length; id++) {
            tokens[id] = tokenizer.tokenBytes(id);
        }
        Vocabulary vocabulary = new Vocabulary(tokens, tokenizer.endOfGenerationIds());
        JsonSchemaCompiler.Draft d = draft.equals("draft7") ? JsonSchemaCompiler.Draft.DRAFT_7 : JsonSchemaCompiler.Draft.DRAFT_2020_12;
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(SharedData.dir().resolve("json-schema-test-suite/tests/" + draft))) {
            s.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
        }
        int schemas = 0;
        int refused = 0;
        int finished = 0;
        int truncated = 0;
        int caught = 0;
        List<String> failures = new ArrayList<>();
        try (Model model = Model.load(modelPath);
                Session session = model.newSession(SessionOptions.defaults().withThreads(2).withMaxSequences(SEEDS)
                        .withContextTokens(SEEDS * (MAX_TOKENS + 32)));
                Scheduler scheduler = new Scheduler("guarantee", session, tokenizer, new SchedulerConfig(SEEDS, 128, 1000),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "guarantee"))) {
            int[] prompt = tokenizer.encode("JSON:", true, false);
            for (Path file : files) {
                for (JsonNode group : JSON.readTree(file.toFile())) {
                    schemas++;
                    JsonNode schema = group.get("schema");
                    ConstraintCompiler.Compiled compiled;
                    try {
                        compiled = ConstraintCompiler.jsonSchema(schema, d, JsonSchemaCompiler.Whitespace.COMPACT, vocabulary,
                                new CompileBudget(Duration.ofSeconds(5), 100_000));
                    } catch (ConstraintException e) {
                        refused++;
                        continue;
                    }
                    List<LinkedBlockingQueue<GenerationEvent>> runs = new ArrayList<>();
                    for (long seed = 1; seed <= SEEDS; seed++) {
                        LinkedBlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
                        scheduler.submit(new GenerationRequest(prompt, SamplingParams.greedy().withTemperature(1f).withSeed(seed),
                                MAX_TOKENS, List.of(), false, null, compiled.artifact().newMatcher()), events::add);
                        runs.add(events);
                    }
                    String schemaJson = schemaFor(schema, d);
                    for (LinkedBlockingQueue<GenerationEvent> events : runs) {
                        StringBuilder text = new StringBuilder();
                        GenerationEvent.Finished end = null;
                        while (end == null) {
                            GenerationEvent e = events.poll(60, TimeUnit.SECONDS);
                            assertThat(e).as("generation event").isNotNull().isNotInstanceOf(GenerationEvent.Failed.class);
                            if (e instanceof GenerationEvent.Token t) {
                                text.append(t.text());
                            } else {
                                end = (GenerationEvent.Finished) e;
                            }
                        }
                        if (end.reason() == FinishReason.LENGTH) {
                            truncated++;
                            continue;
                        }
                        finished++;
                        List<String> errors = OutputValidator.validate(schemaJson, text.toString());
                        if (!errors.isEmpty()) {
                            if (!compiled.postValidated().isEmpty()) {
                                caught++;
                            } else {
                                failures.add(file.getFileName() + " / " + group.get("description").asText() + ": "
                                        + new String(text.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)
                                        + " -> " + errors);
                            }
                        }
                    }
                }
            }
        }
        System.out.printf("guarantee %s %s: %d schemas, %d refused, %d outputs finished (%d caught by post-validation),"
                + " %d cut at %d tokens, %d invalid%n", modelFile, draft, schemas, refused, finished, caught, truncated,
                MAX_TOKENS, failures.size());
        assertThat(finished).as("finished outputs").isGreaterThan(schemas / 2);
        assertThat(failures).as("finished outputs that do not parse or validate").isEmpty();
    }

    /** The schema as the validator reads it: draft 7 suite schemas carry no $schema, so it is stated. */
    private static String schemaFor(JsonNode schema, JsonSchemaCompiler.Draft draft) throws Exception {
        if (draft == JsonSchemaCompiler.Draft.DRAFT_7 && schema.isObject() && !schema.has("$schema")) {
            ObjectNode copy = ((ObjectNode) schema).deepCopy();
            copy.put("$schema", "http://json-schema.org/draft-07/schema#");
            return JSON.writeValueAsString(copy);
        }
        return JSON.writeValueAsString(schema);
    }
}
