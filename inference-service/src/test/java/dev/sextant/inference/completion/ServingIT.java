package dev.sextant.inference.completion;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.model.ModelRegistry;
import dev.sextant.inference.tokenizer.Tokenizer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The OpenAI-compatible API against the running service, the real engine and stories260K. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServingIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("sextant.inference.structured-output-url", () -> "http://127.0.0.1:9"); // nothing listens there
        registry.add("sextant.inference.default-model", () -> SharedData.file("models/stories260K.gguf").toString());
        registry.add("sextant.inference.threads", () -> "2");
        registry.add("sextant.inference.max-num-seqs", () -> "16");
        registry.add("sextant.inference.context-tokens", () -> "8192");
    }

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode golden() throws Exception {
        return JSON.readTree(SharedData.file("models/stories260K.golden.json").toFile()).get("runs").get(0);
    }

    private Tokenizer tokenizer() {
        return registry.resolve("stories260K").tokenizer();
    }

    private String greedyCompletion(int maxTokens) throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": [1], "max_tokens": %d, "temperature": 0, "ignore_eos": true}"""
                .formatted(maxTokens));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).at("/choices/0/text").asString();
    }

    @Test
    void greedyCompletionReproducesTheGoldenTokens() throws Exception {
        JsonNode run = golden();
        int[] ids = new int[run.get("greedy_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = run.get("greedy_ids").get(i).asInt();
        }
        assertThat(greedyCompletion(ids.length)).isEqualTo(tokenizer().decode(ids));
    }

    @Test
    void reportsUsageAndFinishReason() throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 5, "temperature": 0}""");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("length");
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(5);
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(tokenizer().encode("Once upon a time", true, false).length);
        assertThat(body.at("/object").asString()).isEqualTo("text_completion");
    }

    @Test
    void chatCompletionAnswersThroughTheChatTemplate() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Tell me a story"}],
                 "max_tokens": 8, "temperature": 0}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/object").asString()).isEqualTo("chat.completion");
        assertThat(body.at("/choices/0/message/role").asString()).isEqualTo("assistant");
        assertThat(body.at("/choices/0/message/content").asString()).isNotEmpty();
        assertThat(body.at("/usage/total_tokens").asInt()).isGreaterThan(8);
    }

    @Test
    void concurrentGreedyStreamsGiveExactlyTheTokensEachGivesAlone() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            prompts.add(List.of("Once upon a time", "The cat", "Lily and Tom", "One day").get(i % 4) + " " + "x".repeat(i % 3));
        }
        List<String> alone = new ArrayList<>();
        for (String p : prompts) {
            alone.add(streamText(p, 24));
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<String>> together = new ArrayList<>();
            for (String p : prompts) {
                Callable<String> call = () -> streamText(p, 24);
                together.add(pool.submit(call));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(together.get(i).get()).as("stream %d", i).isEqualTo(alone.get(i));
            }
        }
    }

    private String streamText(String prompt, int maxTokens) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of("model", "stories260K", "prompt", prompt,
                "max_tokens", maxTokens, "temperature", 0, "stream", true, "ignore_eos", true));
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        StringBuilder text = new StringBuilder();
        boolean done = false;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.startsWith("data: ")) {
                    continue;
                }
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done = true;
                    break;
                }
                text.append(JSON.readTree(data).at("/choices/0/text").asString());
            }
        }
        assertThat(done).as("stream ends with [DONE]").isTrue();
        return text.toString();
    }

    @Test
    void stopStringsEndGenerationAcrossTokenBoundariesAndAreNotEmitted() throws Exception {
        String full = greedyCompletion(40);
        int at = full.indexOf("little girl");
        assertThat(at).as("greedy text: %s", full).isPositive();
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": [1], "max_tokens": 40, "temperature": 0, "stop": ["little girl", "zzz"]}""");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/choices/0/text").asString()).isEqualTo(full.substring(0, at));
        assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("stop");
    }

    @Test
    void theSameSeedReproducesASampledCompletion() throws Exception {
        String request = """
                {"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 30, "temperature": 1.0, "top_p": 0.95, "seed": %d}""";
        String a = JSON.readTree(post("/v1/completions", request.formatted(42)).body()).at("/choices/0/text").asString();
        String b = JSON.readTree(post("/v1/completions", request.formatted(42)).body()).at("/choices/0/text").asString();
        String c = JSON.readTree(post("/v1/completions", request.formatted(43)).body()).at("/choices/0/text").asString();
        assertThat(a).isEqualTo(b);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void streamedChatEndsWithUsageWhenAsked() throws Exception {
        String body = """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 6,
                 "temperature": 0, "stream": true, "stream_options": {"include_usage": true}}""";
        HttpResponse<String> response = post("/v1/chat/completions", body);
        List<String> events = response.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertThat(events.getLast()).isEqualTo("[DONE]");
        JsonNode usage = JSON.readTree(events.get(events.size() - 2));
        assertThat(usage.at("/choices").isEmpty()).isTrue();
        assertThat(usage.at("/usage/completion_tokens").asInt()).isBetween(1, 6);
        JsonNode first = JSON.readTree(events.getFirst());
        assertThat(first.at("/choices/0/delta/role").asString()).isEqualTo("assistant");
    }

    @Test
    void refusesUnknownParametersByNameInOpenAiShape() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}], "temprature": 0.5}""");
        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("param").asString()).isEqualTo("temprature");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
    }

    @Test
    void routingErrorsUnderV1AnswerInOpenAiShapeAndElsewhereAsProblems() throws Exception {
        HttpResponse<String> wrongType = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Content-Type", "application/xml").POST(HttpRequest.BodyPublishers.ofString("<chat/>")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrongType.statusCode()).isEqualTo(415);
        assertThat(JSON.readTree(wrongType.body()).at("/error/code").asString()).isEqualTo("unsupported_media_type");
        HttpResponse<String> unknown = post("/v1/responses", "{}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).at("/error/message").asString()).contains("/v1/responses");
        HttpResponse<String> takeoffWrongType = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/generate"))
                .header("Content-Type", "application/xml").POST(HttpRequest.BodyPublishers.ofString("<g/>")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(takeoffWrongType.statusCode()).isEqualTo(415);
        assertThat(takeoffWrongType.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    }

    @Test
    void refusesAResponseFormatTypeItDoesNotKnow() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}],
                 "response_format": {"type": "xml"}}""");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/param").asString()).isEqualTo("response_format.type");
    }

    @Test
    void aConstraintWithoutTheCompilerIs503NotSilence() throws Exception {
        // no structured-output-service runs in this test: the constraint must not be silently dropped
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}],
                 "response_format": {"type": "json_object"}}""");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(JSON.readTree(response.body()).at("/error/code").asString()).isEqualTo("constraint_compiler_unavailable");
    }

    @Test
    void rejectsOutOfRangeSamplingParameters() throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": "x", "temperature": 7}""");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).at("/error/param").asString()).isEqualTo("temperature");
    }

    /** Out-of-range values are named as each API spells them: OpenAI's top_p, Takeoff's sampling_topp / sampling_topk. */
    @Test
    void namesOutOfRangeSamplingParametersAsEachApiSpellsThem() throws Exception {
        HttpResponse<String> chat = post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "Hi"}], "top_p": 1.5}""");
        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(chat.body()).at("/error/param").asString()).isEqualTo("top_p");
        HttpResponse<String> topP = post("/generate", """
                {"text": "x", "sampling_topp": 1.5}""");
        assertThat(topP.statusCode()).isEqualTo(400);
        assertThat(topP.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(JSON.readTree(topP.body()).get("field").asString()).isEqualTo("sampling_topp");
        assertThat(JSON.readTree(topP.body()).get("detail").asString()).startsWith("sampling_topp ");
        HttpResponse<String> topK = post("/generate_stream", """
                {"text": "x", "sampling_topk": -1}""");
        assertThat(topK.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(topK.body()).get("field").asString()).isEqualTo("sampling_topk");
    }

    @Test
    void unknownModelIs404NamingIt() throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "gpt-17", "prompt": "x"}""");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(response.body()).at("/error/message").asString()).contains("gpt-17");
    }

    @Test
    void twoModelsAnswerByNameAndAnUnloadedOneIs404() throws Exception {
        String tiny = SharedData.file("models/llama-2-tiny-random.gguf").toString();
        HttpResponse<String> load = post("/v1/management/models",
                JSON.writeValueAsString(java.util.Map.of("id", "tiny", "path", tiny, "consumer_group", "experiments")));
        assertThat(load.statusCode()).as(load.body()).isEqualTo(201);
        try {
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.body()).contains("\"tiny\"").contains("\"stories260K\"");
            HttpResponse<String> byGroup = post("/v1/completions", """
                    {"model": "experiments", "prompt": [1], "max_tokens": 3, "temperature": 0}""");
            assertThat(JSON.readTree(byGroup.body()).at("/model").asString()).isEqualTo("tiny");
            assertThat(JSON.readTree(get("/v1/models/experiments").body()).get("id").asString()).isEqualTo("tiny");
            assertThat(JSON.readTree(get("/v1/models/tiny").body()).get("id").asString()).isEqualTo("tiny");
            assertThat(greedyCompletion(4)).isNotEmpty();
        } finally {
            HttpResponse<String> unload = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/management/models/tiny"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unload.statusCode()).isEqualTo(204);
        }
        HttpResponse<String> gone = post("/v1/completions", """
                {"model": "tiny", "prompt": [1], "max_tokens": 3}""");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(gone.body()).at("/error/message").asString()).contains("'tiny'");
        HttpResponse<String> goneModel = get("/v1/models/tiny");
        assertThat(goneModel.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(goneModel.body()).at("/error/code").asString()).isEqualTo("model_not_found");
        assertThat(JSON.readTree(goneModel.body()).at("/error/message").asString()).contains("'tiny'");
    }

    @Test
    void aDisconnectedStreamFreesItsBlocks() throws Exception {
        var scheduler = registry.resolve("stories260K").scheduler();
        int fits = scheduler.contextLimit() - tokenizer().encode("Once upon a time", true, false).length;
        String body = JSON.writeValueAsString(java.util.Map.of("model", "stories260K", "prompt", "Once upon a time",
                "max_tokens", fits, "temperature", 0, "stream", true, "ignore_eos", true));
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        InputStream in = response.body();
        assertThat(in.read(new byte[64])).isPositive();
        assertThat(scheduler.runningCount()).isEqualTo(1);
        in.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (scheduler.runningCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(scheduler.runningCount()).isZero();
        assertThat(scheduler.freeKvBlocks()).isEqualTo(scheduler.totalKvBlocks());
    }

    @Test
    void takeoffGenerateAnswersByConsumerGroup() throws Exception {
        HttpResponse<String> response = post("/generate", """
                {"text": "Once upon a time", "consumer_group": "primary", "sampling_temperature": 0, "max_new_tokens": 10}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        HttpResponse<String> completion = post("/v1/completions", """
                {"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 10, "temperature": 0}""");
        assertThat(JSON.readTree(response.body()).get("text").asString())
                .isEqualTo(JSON.readTree(completion.body()).at("/choices/0/text").asString());
    }

    @Test
    void takeoffGenerateStreamSendsTextEventsThenEnd() throws Exception {
        HttpResponse<String> response = post("/generate_stream", """
                {"text": "Once upon a time", "sampling_temperature": 0, "max_new_tokens": 10}""");
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        assertThat(response.body()).contains("event: message").endsWith("event: end\ndata: \n\n");
    }

    @Test
    void takeoffUnknownConsumerGroupIsAProblemNamingTheField() throws Exception {
        HttpResponse<String> response = post("/generate", """
                {"text": "x", "consumer_group": "nobody"}""");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(JSON.readTree(response.body()).get("field").asString()).isEqualTo("consumer_group");
    }

    @Test
    void streamedUtf8NeverSplitsACharacter() throws Exception {
        // the 32K Llama vocabulary has byte-fallback tokens (<0xE4> ...): random weights emit characters in pieces
        String tiny = SharedData.file("models/llama-2-tiny-random.gguf").toString();
        assertThat(post("/v1/management/models", JSON.writeValueAsString(java.util.Map.of("id", "utf8", "path", tiny)))
                .statusCode()).isEqualTo(201);
        try {
            var model = registry.resolve("utf8");
            int nonAscii = 0;
            for (long seed = 1; seed <= 4; seed++) {
                java.util.concurrent.LinkedBlockingQueue<dev.sextant.inference.scheduler.GenerationEvent> events =
                        new java.util.concurrent.LinkedBlockingQueue<>();
                // logprobs on: every token yields an event, even one that completes no character yet
                model.scheduler().submit(new dev.sextant.inference.scheduler.GenerationRequest(
                        model.tokenizer().encode("日本語のテキスト", true, false),
                        dev.sextant.inference.sampling.SamplingParams.greedy().withTemperature(1f).withSeed(seed).withLogprobs(true, 0),
                        150, List.of(), true, null), events::add);
                List<Integer> ids = new ArrayList<>();
                StringBuilder streamed = new StringBuilder();
                while (true) {
                    var e = events.poll(60, java.util.concurrent.TimeUnit.SECONDS);
                    if (e instanceof dev.sextant.inference.scheduler.GenerationEvent.Token t) {
                        if (t.tokenId() >= 0) {
                            ids.add(t.tokenId());
                        }
                        String piece = t.text();
                        if (!piece.isEmpty()) {
                            assertThat(Character.isLowSurrogate(piece.charAt(0))).isFalse();
                            assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
                        }
                        streamed.append(piece);
                    } else {
                        assertThat(e).isInstanceOf(dev.sextant.inference.scheduler.GenerationEvent.Finished.class);
                        break;
                    }
                }
                String whole = model.tokenizer().decode(ids.stream().mapToInt(Integer::intValue).toArray());
                assertThat(streamed.toString()).as("pieces streamed one token at a time = the whole decoded at once").isEqualTo(whole);
                nonAscii += (int) whole.codePoints().filter(c -> c > 127 && c != 0xFFFD).count();
            }
            assertThat(nonAscii).as("multi-byte characters were generated, so splitting was exercised").isPositive();
        } finally {
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/management/models/utf8")).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}
