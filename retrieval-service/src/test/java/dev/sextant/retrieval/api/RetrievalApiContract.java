package dev.sextant.retrieval.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.retrieval.support.FakeInference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP API over a real port against a real HTTP inference double, run once per store by its subclasses:
 * collections, contract 4's document writes, search in every mode with filters, tenants, errors as problem+json.
 */
public abstract class RetrievalApiContract {

    protected static final FakeInference inference = new FakeInference();
    protected static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    protected String tenant;

    @DynamicPropertySource
    static void inferenceUrl(DynamicPropertyRegistry registry) {
        registry.add("sextant.retrieval.inference.url", inference::url);
    }

    @AfterAll
    static void resetInference() {
        inference.failing = false;
        inference.modelsFailing = false;
        inference.contextLength = null;
    }

    @BeforeEach
    void freshTenant() {
        tenant = "t-" + UUID.randomUUID();
        inference.failing = false;
        inference.modelsFailing = false;
        inference.contextLength = null;
        inference.chatMode = FakeInference.ChatMode.FAITHFUL;
    }

    /** Drops the test tenant's collections (on pgvector each is a partial index every query's planning considers). */
    @AfterEach
    void dropCollections() throws Exception {
        HttpResponse<String> listed = send("GET", "/v1/collections", null, tenant);
        if (listed.statusCode() == 200) {
            for (JsonNode c : JSON.readTree(listed.body()).get("collections")) {
                send("DELETE", "/v1/collections/" + c.get("name").asString(), null, tenant);
            }
        }
    }

    protected HttpResponse<String> send(String method, String path, Object body, String tenantHeader) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : JSON.writeValueAsString(body)))
                .header("Content-Type", "application/json");
        if (tenantHeader != null) {
            request.header("X-Sextant-Tenant", tenantHeader);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    protected HttpResponse<String> send(String method, String path, Object body) throws Exception {
        return send(method, path, body, tenant);
    }

    protected static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }

    protected void createCollection(String name) throws Exception {
        HttpResponse<String> created = send("POST", "/v1/collections",
                Map.of("name", name, "embeddingModel", "all-minilm-l6-v2", "dimension", FakeInference.DIM));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    protected HttpResponse<String> putDocument(String collection, String id, long version, Map<String, Object> metadata,
            String... texts) throws Exception {
        List<Map<String, Object>> chunks = new ArrayList<>();
        int offset = 0;
        for (int i = 0; i < texts.length; i++) {
            chunks.add(Map.of("index", i, "text", texts[i], "startOffset", offset, "endOffset", offset + texts[i].length(),
                    "headingPath", List.of("Section"), "embedding", FakeInference.embed(texts[i])));
            offset += texts[i].length() + 1;
        }
        return send("PUT", "/internal/collections/" + collection + "/documents/" + id, Map.of("title", "Title " + id,
                "uri", "https://docs.example/" + id, "contentHash", "h" + version, "version", version,
                "metadata", metadata, "chunks", chunks));
    }

    private static final List<String> HANDBOOK = List.of(
            "Employees receive twenty five days of paid vacation every year.",
            "Unused vacation days expire at the end of March.",
            "Every engineer gets a laptop refreshed every three years.",
            "Parking spaces in the garage are assigned by seniority.");

    /** A question whose hashed-word embedding is far (cosine below 0.3) from every seeded chunk. */
    static String unrelatedQuestion() {
        for (String q : List.of("zebra quantum xylophone", "volcano ballet", "nebula", "oboe", "glacier", "tofu")) {
            float[] v = FakeInference.embed(q);
            boolean far = HANDBOOK.stream().allMatch(t -> {
                float[] w = FakeInference.embed(t);
                double dot = 0;
                for (int i = 0; i < v.length; i++) {
                    dot += v[i] * w[i];
                }
                return dot < 0.3;
            });
            if (far) {
                return q;
            }
        }
        throw new IllegalStateException("no unrelated question among the candidates");
    }

    protected void seedHandbook() throws Exception {
        createCollection("handbook");
        assertThat(putDocument("handbook", "vacation", 1, Map.of("dept", "hr", "year", 2024),
                HANDBOOK.get(0), HANDBOOK.get(1)).statusCode()).isEqualTo(200);
        assertThat(putDocument("handbook", "laptops", 1, Map.of("dept", "it", "year", 2023), HANDBOOK.get(2)).statusCode()).isEqualTo(200);
        assertThat(putDocument("handbook", "parking", 1, Map.of("dept", "facilities", "year", 2022), HANDBOOK.get(3)).statusCode()).isEqualTo(200);
    }

    private List<String> documentIds(HttpResponse<String> response) {
        List<String> ids = new ArrayList<>();
        json(response).get("hits").forEach(h -> ids.add(h.get("documentId").asString()));
        return ids;
    }

    @Test
    void createsListsAndDeletesCollections() throws Exception {
        createCollection("alpha");
        HttpResponse<String> list = send("GET", "/v1/collections", null);
        assertThat(json(list).get("collections")).hasSize(1);
        assertThat(json(list).at("/collections/0/embeddingModel").asString()).isEqualTo("all-minilm-l6-v2");
        assertThat(json(list).at("/collections/0/dimension").asInt()).isEqualTo(FakeInference.DIM);
        HttpResponse<String> again = send("POST", "/v1/collections", Map.of("name", "alpha", "embeddingModel", "m", "dimension", 4));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).get("field").asString()).isEqualTo("name");
        assertThat(send("DELETE", "/v1/collections/alpha", null).statusCode()).isEqualTo(204);
        assertThat(send("DELETE", "/v1/collections/alpha", null).statusCode()).isEqualTo(404);
    }

    @Test
    void rejectsInvalidCollectionRequestNamingTheField() throws Exception {
        HttpResponse<String> badName = send("POST", "/v1/collections", Map.of("name", "../etc", "embeddingModel", "m", "dimension", 4));
        assertThat(badName.statusCode()).isEqualTo(400);
        assertThat(badName.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(json(badName).get("field").asString()).isEqualTo("name");
        HttpResponse<String> tooWide = send("POST", "/v1/collections", Map.of("name", "wide", "embeddingModel", "m", "dimension", 3000));
        assertThat(json(tooWide).get("field").asString()).isEqualTo("dimension");
    }

    @Test
    void searchFindsDocumentsInEveryMode() throws Exception {
        seedHandbook();
        for (String mode : List.of("dense", "lexical", "hybrid")) {
            HttpResponse<String> response = send("POST", "/v1/collections/handbook/search",
                    Map.of("query", "how many days of paid vacation", "top_k", 2, "mode", mode));
            assertThat(response.statusCode()).as(mode + ": " + response.body()).isEqualTo(200);
            assertThat(documentIds(response)).as(mode).first().isEqualTo("vacation");
            assertThat(json(response).get("hits").size()).as(mode).isLessThanOrEqualTo(2);
            JsonNode top = json(response).at("/hits/0");
            assertThat(top.get("title").asString()).isEqualTo("Title vacation");
            assertThat(top.get("uri").asString()).isEqualTo("https://docs.example/vacation");
            assertThat(top.get("endOffset").asInt()).isEqualTo(top.get("startOffset").asInt() + top.get("text").asString().length());
        }
        JsonNode hybrid = json(send("POST", "/v1/collections/handbook/search", Map.of("query", "paid vacation days", "mode", "hybrid")));
        assertThat(hybrid.at("/hits/0/denseScore").isNumber()).isTrue();
        assertThat(hybrid.at("/hits/0/lexicalScore").isNumber()).isTrue();
        assertThat(inference.tenants).contains(tenant);
    }

    @Test
    void searchAppliesMetadataFilters() throws Exception {
        seedHandbook();
        HttpResponse<String> response = send("POST", "/v1/collections/handbook/search", Map.of("query", "every year",
                "mode", "hybrid", "filter", Map.of("op", "or", "filters", List.of(
                        Map.of("op", "eq", "field", "dept", "value", "it"),
                        Map.of("op", "range", "field", "year", "lt", 2023)))));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(documentIds(response)).containsExactlyInAnyOrder("laptops", "parking");
    }

    @Test
    void rejectsBadFilterNamingItsPlace() throws Exception {
        seedHandbook();
        HttpResponse<String> badField = send("POST", "/v1/collections/handbook/search", Map.of("query", "x",
                "filter", Map.of("op", "and", "filters", List.of(Map.of("op", "eq", "field", "dept'; DROP TABLE chunks; --", "value", "x")))));
        assertThat(badField.statusCode()).isEqualTo(400);
        assertThat(json(badField).get("field").asString()).isEqualTo("filter.filters[0].field");
        HttpResponse<String> badOp = send("POST", "/v1/collections/handbook/search", Map.of("query", "x", "filter", Map.of("op", "like")));
        assertThat(json(badOp).get("field").asString()).isEqualTo("filter.op");
        HttpResponse<String> unknown = send("POST", "/v1/collections/handbook/search", Map.of("query", "x", "topk", 3));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(json(unknown).get("field").asString()).isEqualTo("topk");
    }

    /** Bean-validation failures name the field as the JSON body spells it ({@code top_k}), not the record's {@code topK}. */
    @Test
    void rejectsOutOfRangeSnakeCaseFieldsNamingThemAsSent() throws Exception {
        HttpResponse<String> badTopK = send("POST", "/v1/collections/handbook/search", Map.of("query", "x", "top_k", 0));
        assertThat(badTopK.statusCode()).isEqualTo(400);
        assertThat(json(badTopK).get("field").asString()).isEqualTo("top_k");
        assertThat(json(badTopK).get("detail").asString()).isEqualTo("top_k: must be greater than or equal to 1");
        HttpResponse<String> badEf = send("POST", "/v1/collections/handbook/search", Map.of("query", "x", "ef_search", 5000));
        assertThat(badEf.statusCode()).isEqualTo(400);
        assertThat(json(badEf).get("field").asString()).isEqualTo("ef_search");
        Map<String, Object> rag = new java.util.HashMap<>(rag(VACATION, false));
        rag.put("top_k", 21);
        HttpResponse<String> badRagTopK = send("POST", "/v1/rag/answer", rag);
        assertThat(badRagTopK.statusCode()).isEqualTo(400);
        assertThat(json(badRagTopK).get("field").asString()).isEqualTo("top_k");
        assertThat(json(badRagTopK).get("detail").asString()).isEqualTo("top_k: must be less than or equal to 20");
    }

    @Test
    void sqlLookingFilterValuesAreData() throws Exception {
        seedHandbook();
        HttpResponse<String> response = send("POST", "/v1/collections/handbook/search", Map.of("query", "vacation laptop parking",
                "mode", "lexical", "filter", Map.of("op", "eq", "field", "dept", "value", "hr' OR '1'='1")));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("hits")).isEmpty();
    }

    @Test
    void documentWritesReplaceVersionsAndDelete() throws Exception {
        seedHandbook();
        HttpResponse<String> v2 = putDocument("handbook", "vacation", 2, Map.of("dept", "hr"), "Vacation is now thirty days.");
        assertThat(v2.statusCode()).isEqualTo(200);
        assertThat(json(v2).get("chunks").asInt()).isEqualTo(1);
        assertThat(json(v2).get("version").asLong()).isEqualTo(2);
        HttpResponse<String> stale = putDocument("handbook", "vacation", 1, Map.of(), "Old text.");
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(json(stale).get("field").asString()).isEqualTo("version");
        assertThat(documentIds(send("POST", "/v1/collections/handbook/search", Map.of("query", "expire March", "mode", "lexical")))).isEmpty();
        assertThat(send("DELETE", "/internal/collections/handbook/documents/vacation", null).statusCode()).isEqualTo(204);
        assertThat(documentIds(send("POST", "/v1/collections/handbook/search", Map.of("query", "vacation", "mode", "hybrid"))))
                .doesNotContain("vacation");
    }

    @Test
    void rejectsEmbeddingOfWrongDimensionNamingTheChunk() throws Exception {
        createCollection("dims");
        HttpResponse<String> response = send("PUT", "/internal/collections/dims/documents/d1", Map.of("version", 1,
                "chunks", List.of(Map.of("index", 0, "text", "x", "startOffset", 0, "endOffset", 1, "embedding", new float[] {1, 2, 3}))));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("field").asString()).isEqualTo("chunks[0].embedding");
    }

    @Test
    void anotherTenantSeesNeitherCollectionsNorHits() throws Exception {
        seedHandbook();
        String other = "t-" + UUID.randomUUID();
        assertThat(json(send("GET", "/v1/collections", null, other)).get("collections")).isEmpty();
        assertThat(send("POST", "/v1/collections/handbook/search", Map.of("query", "vacation"), other).statusCode()).isEqualTo(404);
        assertThat(send("PUT", "/internal/collections/handbook/documents/x", Map.of("version", 1, "chunks", List.of()), other)
                .statusCode()).isEqualTo(404);
        assertThat(send("GET", "/v1/collections", null, "bad tenant!").statusCode()).isEqualTo(400);
    }

    @Test
    void unknownCollectionIs404ProblemJson() throws Exception {
        HttpResponse<String> response = send("POST", "/v1/collections/nope/search", Map.of("query", "x"));
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(json(response).get("code").asString()).isEqualTo("collection-not-found");
    }

    @Test
    void inferenceDownGives503ProblemWhileLexicalSearchStillWorks() throws Exception {
        seedHandbook();
        inference.failing = true;
        HttpResponse<String> dense = send("POST", "/v1/collections/handbook/search", Map.of("query", "vacation", "mode", "dense"));
        assertThat(dense.statusCode()).isEqualTo(503);
        assertThat(dense.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(dense.headers().firstValue("Retry-After")).isPresent();
        assertThat(json(dense).get("code").asString()).isEqualTo("upstream-unavailable");
        HttpResponse<String> lexical = send("POST", "/v1/collections/handbook/search", Map.of("query", "vacation", "mode", "lexical"));
        assertThat(lexical.statusCode()).isEqualTo(200);
        assertThat(documentIds(lexical)).contains("vacation");
    }

    private Map<String, Object> rag(String question, boolean stream) {
        return Map.of("collection", "handbook", "question", question, "model", "stories260K", "top_k", 3, "stream", stream);
    }

    @Test
    void ragAnswersWithVerifiedCitationsConstrainedToRetrievedPassages() throws Exception {
        seedHandbook();
        int before = inference.chatRequests.size();
        HttpResponse<String> response = send("POST", "/v1/rag/answer", rag("How many days of paid vacation do employees get?", false));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode answer = json(response);
        assertThat(inference.chatRequests).hasSize(before + 1);
        JsonNode chatRequest = inference.chatRequests.getLast();
        List<Integer> retrievedIds = new ArrayList<>();
        answer.get("sources").forEach(s -> retrievedIds.add(s.get("passageId").asInt()));
        List<Integer> enumIds = new ArrayList<>();
        chatRequest.at("/response_format/json_schema/schema/properties/citations/items/properties/passage_id/enum")
                .forEach(n -> enumIds.add(n.asInt()));
        assertThat(enumIds).isEqualTo(retrievedIds).isNotEmpty();
        assertThat(chatRequest.at("/response_format/type").asString()).isEqualTo("json_schema");
        assertThat(answer.get("grounded").asBoolean()).isTrue();
        assertThat(answer.get("citations")).isNotEmpty();
        for (JsonNode citation : answer.get("citations")) {
            int id = citation.get("passageId").asInt();
            assertThat(retrievedIds).contains(id);
            JsonNode source = answer.get("sources").get(id - 1);
            assertThat(source.get("text").asString().toLowerCase()).contains(citation.get("quote").asString().toLowerCase());
            assertThat(citation.get("documentId").asString()).isEqualTo(source.get("documentId").asString());
        }
        JsonNode first = answer.at("/sources/0");
        assertThat(first.get("documentId").asString()).isEqualTo("vacation");
        assertThat(first.get("title").asString()).isEqualTo("Title vacation");
        assertThat(first.get("uri").asString()).isEqualTo("https://docs.example/vacation");
        assertThat(first.get("endOffset").asInt()).isGreaterThan(first.get("startOffset").asInt());
        assertThat(first.get("score").isNumber()).isTrue();
        assertThat(answer.get("rejectedCitations")).isEmpty();
    }

    @Test
    void ragRejectsCitationWhoseQuoteIsNotInThePassage() throws Exception {
        seedHandbook();
        inference.chatMode = FakeInference.ChatMode.FABRICATE;
        JsonNode answer = json(send("POST", "/v1/rag/answer", rag("How many days of paid vacation do employees get?", false)));
        assertThat(answer.get("grounded").asBoolean()).isFalse();
        assertThat(answer.get("citations")).isEmpty();
        assertThat(answer.at("/rejectedCitations/0/reason").asString()).contains("does not occur");
        assertThat(answer.get("answer").asString()).doesNotContain("cheese");
    }

    @Test
    void ragWithoutRelevantPassageSaysSoWithoutCallingTheModel() throws Exception {
        seedHandbook();
        int before = inference.chatRequests.size();
        JsonNode answer = json(send("POST", "/v1/rag/answer", rag(unrelatedQuestion(), false)));
        assertThat(inference.chatRequests).hasSize(before);
        assertThat(answer.get("answer").asString()).contains("could not find");
        assertThat(answer.get("grounded").asBoolean()).isFalse();
        assertThat(answer.get("citations")).isEmpty();
    }

    @Test
    void ragStreamSendsSourcesFirstThenTokensThenTheVerifiedAnswer() throws Exception {
        seedHandbook();
        HttpResponse<String> response = send("POST", "/v1/rag/answer", rag("How many days of paid vacation do employees get?", true));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/event-stream"));
        List<String> events = new ArrayList<>();
        List<String> data = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (line.startsWith("event:")) {
                events.add(line.substring(6).trim());
            } else if (line.startsWith("data:")) {
                data.add(line.substring(5));
            }
        }
        assertThat(events.getFirst()).isEqualTo("sources");
        assertThat(events.subList(1, events.size() - 2)).isNotEmpty().allMatch("token"::equals);
        assertThat(events.subList(events.size() - 2, events.size())).containsExactly("answer", "done");
        StringBuilder streamed = new StringBuilder();
        for (int i = 1; i < events.size() - 2; i++) {
            streamed.append(JSON.readTree(data.get(i)).get("text").asString());
        }
        JsonNode answer = JSON.readTree(data.get(events.size() - 2));
        assertThat(JSON.readTree(streamed.toString()).get("answer").asString()).isEqualTo(answer.get("answer").asString());
        assertThat(answer.get("grounded").asBoolean()).isTrue();
        assertThat(JSON.readTree(data.getFirst()).at("/sources/0/documentId").asString()).isEqualTo("vacation");
    }

    @Test
    void ragRejectsMissingQuestionNamingTheField() throws Exception {
        HttpResponse<String> response = send("POST", "/v1/rag/answer", Map.of("collection", "handbook", "model", "m"));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("field").asString()).isEqualTo("question");
    }

    @Test
    void ragWithAModelInferenceDoesNotServeIs404NamingIt() throws Exception {
        seedHandbook();
        Map<String, Object> request = new java.util.HashMap<>(rag("How many days of paid vacation do employees get?", false));
        request.put("model", FakeInference.UNKNOWN_MODEL);
        int before = inference.chatRequests.size();
        HttpResponse<String> response = send("POST", "/v1/rag/answer", request);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
        assertThat(json(response).get("code").asString()).isEqualTo("model-not-found");
        assertThat(json(response).get("field").asString()).isEqualTo("model");
        assertThat(json(response).get("detail").asString()).contains(FakeInference.UNKNOWN_MODEL);
        assertThat(inference.chatRequests).hasSize(before);
    }

    @Test
    void ragWithAModelInferenceDoesNotServeIs404EvenWhenNothingIsRelevant() throws Exception {
        seedHandbook();
        for (boolean stream : new boolean[] {false, true}) {
            Map<String, Object> request = new java.util.HashMap<>(rag(unrelatedQuestion(), stream));
            request.put("model", FakeInference.UNKNOWN_MODEL);
            HttpResponse<String> response = send("POST", "/v1/rag/answer", request);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(ct ->
                    assertThat(ct).startsWith("application/problem+json")); // a stream is refused before it starts
            assertThat(json(response).get("code").asString()).isEqualTo("model-not-found");
            assertThat(json(response).get("field").asString()).isEqualTo("model");
            assertThat(json(response).get("detail").asString()).contains(FakeInference.UNKNOWN_MODEL);
        }
    }

    @Test
    void ragAsksInferenceAboutAServedModelOnceInAWhile() throws Exception {
        seedHandbook();
        String model = "served-" + UUID.randomUUID();
        Map<String, Object> request = new java.util.HashMap<>(rag(unrelatedQuestion(), false));
        request.put("model", model);
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = send("POST", "/v1/rag/answer", request);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(json(response).get("model").asString()).isEqualTo(model);
        }
        assertThat(inference.modelRequests).containsOnlyOnce(model);
    }

    @Test
    void ragWithoutRelevantPassageStillAnswersWhenInferenceCannotCheckTheModel() throws Exception {
        seedHandbook();
        inference.modelsFailing = true;
        String model = "unchecked-" + UUID.randomUUID();
        Map<String, Object> request = new java.util.HashMap<>(rag(unrelatedQuestion(), false));
        request.put("model", model);
        HttpResponse<String> response = send("POST", "/v1/rag/answer", request);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response).get("answer").asString()).contains("could not find");
        assertThat(inference.modelRequests).contains(model);
    }

    @Test
    void ragWhenInferenceIsDownIs503() throws Exception {
        seedHandbook();
        inference.failing = true;
        HttpResponse<String> response = send("POST", "/v1/rag/answer", rag("vacation days", false));
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(json(response).get("code").asString()).isEqualTo("upstream-unavailable");
    }

    private static final String VACATION = "How many days of paid vacation do employees get?";

    /** The prompt tokens (the fake's: words) of the vacation question's chat request, asked once with no context limit. */
    private int vacationPromptTokens() throws Exception {
        HttpResponse<String> response = send("POST", "/v1/rag/answer", rag(VACATION, false));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        int words = 0;
        for (JsonNode message : inference.chatRequests.getLast().get("messages")) {
            words += message.get("content").asString().strip().split("\\s+").length;
        }
        return words;
    }

    private record Event(String name, JsonNode data) {
    }

    private static List<Event> events(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/event-stream"));
        List<Event> events = new ArrayList<>();
        String name = null;
        for (String line : response.body().split("\n")) {
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:") && name != null) {
                String data = line.substring(5);
                events.add(new Event(name, data.trim().startsWith("{") ? JSON.readTree(data) : null));
            }
        }
        return events;
    }

    /** The problem a RAG request ended with: the body, or a stream's {@code error} event after its sources. */
    private JsonNode ragProblem(Map<String, Object> request, boolean stream, int status) throws Exception {
        Map<String, Object> body = new java.util.HashMap<>(request);
        body.put("stream", stream);
        HttpResponse<String> response = send("POST", "/v1/rag/answer", body);
        if (!stream) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(ct ->
                    assertThat(ct).startsWith("application/problem+json"));
            return json(response);
        }
        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = events(response);
        assertThat(events.getFirst().name()).isEqualTo("sources");
        assertThat(events.getLast().name()).as(response.body()).isEqualTo("error");
        assertThat(events.getLast().data().get("status").asInt()).isEqualTo(status);
        return events.getLast().data();
    }

    @Test
    void ragWithoutMaxTokensSizesTheDefaultBudgetToWhatTheContextLeaves() throws Exception {
        seedHandbook();
        int prompt = vacationPromptTokens();
        inference.contextLength = prompt + 100; // 512, the default, does not fit; the answer does
        for (boolean stream : new boolean[] {false, true}) {
            int before = inference.chatRequests.size();
            HttpResponse<String> response = send("POST", "/v1/rag/answer", rag(VACATION, stream));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode answer = stream ? events(response).get(events(response).size() - 2).data() : json(response);
            assertThat(answer.get("grounded").asBoolean()).as(response.body()).isTrue();
            assertThat(inference.chatRequests.subList(before, inference.chatRequests.size()))
                    .extracting(r -> r.get("max_tokens").asInt()).containsExactly(512, 100);
        }
    }

    @Test
    void ragWhoseMaxTokensDoesNotFitIs400SayingWhatFitsStreamedOrNot() throws Exception {
        seedHandbook();
        int prompt = vacationPromptTokens();
        inference.contextLength = prompt + 100;
        Map<String, Object> request = new java.util.HashMap<>(rag(VACATION, false));
        request.put("max_tokens", 101);
        for (boolean stream : new boolean[] {false, true}) {
            int before = inference.chatRequests.size();
            JsonNode problem = ragProblem(request, stream, 400);
            assertThat(problem.get("code").asString()).isEqualTo("context-length-exceeded");
            assertThat(problem.get("field").asString()).isEqualTo("max_tokens");
            assertThat(problem.get("detail").asString()).contains("3 passages").contains(prompt + " tokens")
                    .contains("set max_tokens to at most 100, or lower top_k");
            assertThat(problem.get("contextLength").asInt()).isEqualTo(prompt + 100);
            assertThat(problem.get("promptTokens").asInt()).isEqualTo(prompt);
            assertThat(problem.get("maxTokens").asInt()).isEqualTo(101);
            assertThat(inference.chatRequests).hasSize(before + 1); // the client's budget is not lowered behind its back
        }
        request.put("max_tokens", 100);
        HttpResponse<String> fits = send("POST", "/v1/rag/answer", request);
        assertThat(fits.statusCode()).as(fits.body()).isEqualTo(200);
    }

    @Test
    void ragWhosePassagesAloneFillTheContextIs400NamingTopK() throws Exception {
        seedHandbook();
        int prompt = vacationPromptTokens();
        inference.contextLength = prompt;
        for (boolean stream : new boolean[] {false, true}) {
            JsonNode problem = ragProblem(rag(VACATION, false), stream, 400);
            assertThat(problem.get("code").asString()).isEqualTo("context-length-exceeded");
            assertThat(problem.get("field").asString()).isEqualTo("top_k");
            assertThat(problem.get("detail").asString()).contains("leaving none for the answer; lower top_k");
            assertThat(problem.get("promptTokens").asInt()).isEqualTo(prompt);
        }
    }

    @Test
    void ragAnswerCutShortByMaxTokensIs422NamingIt() throws Exception {
        seedHandbook();
        Map<String, Object> request = new java.util.HashMap<>(rag(VACATION, false));
        request.put("max_tokens", 3);
        for (boolean stream : new boolean[] {false, true}) {
            JsonNode problem = ragProblem(request, stream, 422);
            assertThat(problem.get("code").asString()).isEqualTo("answer-truncated");
            assertThat(problem.get("field").asString()).isEqualTo("max_tokens");
            assertThat(problem.get("detail").asString()).contains("all 3 tokens");
        }
    }

    @Test
    void ragRejectsMaxTokensBelowOneNamingIt() throws Exception {
        seedHandbook();
        Map<String, Object> request = new java.util.HashMap<>(rag(VACATION, true));
        request.put("max_tokens", 0);
        HttpResponse<String> response = send("POST", "/v1/rag/answer", request);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).get("field").asString()).isEqualTo("max_tokens");
        assertThat(json(response).get("detail").asString()).contains("at least 1");
    }

    // The service's smoke checks (probes, metrics, the shared error model), here so that they share the context.

    @Test
    void reportsLivenessAndReadiness() throws Exception {
        assertThat(send("GET", "/actuator/health/liveness", null).body()).contains("\"UP\"");
        assertThat(send("GET", "/actuator/health/readiness", null).statusCode()).isEqualTo(200);
    }

    @Test
    void exportsPrometheusMetrics() throws Exception {
        HttpResponse<String> response = send("GET", "/actuator/prometheus", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("jvm_memory_used_bytes").contains("application=\"retrieval-service\"");
    }

    @Test
    void answersUnknownPathWithProblemJsonCarryingRequestId() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/no-such-endpoint"))
                .header("X-Request-Id", "req-123").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue("req-123");
        assertThat(response.body()).contains("\"type\":\"https://sextant.dev/problems/not-found\"")
                .contains("\"requestId\":\"req-123\"");
    }
}
