package dev.sextant.ingestion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.sextant.ingestion.support.FakeUpstreams;
import dev.sextant.ingestion.support.Http;
import dev.sextant.ingestion.support.Http.Part;
import dev.sextant.ingestion.support.TestDocuments;
import tools.jackson.databind.JsonNode;

/**
 * Documents in, searchable chunks out: the real service on a real port with real PostgreSQL, against HTTP
 * upstreams that implement the embeddings and retrieval write contracts; what ingestion did is observed through
 * the retrieval upstream's store and search.
 */
class IngestionFlowIT extends IngestionIntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TENANT = "acme";

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    private Http http;

    @BeforeEach
    void reset() {
        jdbc.sql("truncate jobs, job_inputs, documents").update();
        UPSTREAMS.clear();
        http = new Http("http://127.0.0.1:" + port);
    }

    private JsonNode ingestText(String collection, String title, String text) {
        Http.Response response = http.postJson("/v1/collections/" + collection + "/documents", TENANT,
                Map.of("documents", List.of(Map.of("title", title, "text", text))));
        assertThat(response.status()).as(response.body()).isIn(200, 202);
        return response.json().get("documents").get(0);
    }

    private JsonNode awaitDone(JsonNode accepted) {
        JsonNode job = http.awaitJob(accepted.get("jobId").asString(), TENANT, WAIT);
        assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("done");
        return job;
    }

    private List<String> searchDocumentIds(String collection, String query) {
        return UPSTREAMS.search(TENANT, collection, query, 3).stream().filter(h -> h.score() > 0.05)
                .map(FakeUpstreams.Hit::documentId).distinct().toList();
    }

    @Test
    void ingestsJsonTextWithMetadataAndAclAndMakesItSearchable() {
        Map<String, Object> document = Map.of("title", "Leave policy", "uri", "https://intranet/leave",
                "text", "Staff receive twenty-five vacation days per year.\n\nUnused vacation days expire in March.",
                "metadata", Map.of("dept", "hr"), "acl", Map.of("groups", List.of("staff")));
        Http.Response response = http.postJson("/v1/collections/handbook/documents", TENANT,
                Map.of("documents", List.of(document)));
        assertThat(response.status()).isEqualTo(202);
        JsonNode accepted = response.json().get("documents").get(0);
        assertThat(accepted.get("status").asString()).isEqualTo("queued");
        assertThat(accepted.get("version").asInt()).isEqualTo(1);
        JsonNode job = awaitDone(accepted);
        assertThat(job.get("chunksDone").asInt()).isEqualTo(job.get("chunksTotal").asInt()).isPositive();

        String documentId = accepted.get("documentId").asString();
        JsonNode stored = UPSTREAMS.document(TENANT, "handbook", documentId);
        assertThat(stored.get("title").asString()).isEqualTo("Leave policy");
        assertThat(stored.get("uri").asString()).isEqualTo("https://intranet/leave");
        assertThat(stored.get("contentHash").asString()).isEqualTo(accepted.get("contentHash").asString());
        assertThat(stored.get("metadata").get("dept").asString()).isEqualTo("hr");
        assertThat(stored.get("metadata").get("acl").get("groups").get(0).asString()).isEqualTo("staff");
        JsonNode chunk = stored.get("chunks").get(0);
        assertThat(chunk.get("embedding").size()).isEqualTo(FakeUpstreams.DIMENSION);
        assertThat(chunk.get("text").asString()).startsWith("Staff receive");
        assertThat(chunk.get("startOffset").asInt()).isZero();
        assertThat(searchDocumentIds("handbook", "vacation days expire")).containsExactly(documentId);
    }

    @Test
    void uploadsEveryFormatInOneMultipartRequest() {
        List<Part> parts = List.of(
                Part.file("manual.pdf", TestDocuments.pdf(List.of("Turbine maintenance schedule", "Bearing lubrication interval"))),
                Part.file("policy.docx", TestDocuments.docx("Expenses", "Receipts are required for claims.",
                        "Travel", "Economy class for flights under six hours.", new String[][] {{"Grade", "Limit"}, {"A", "100"}})),
                Part.file("deck.pptx", TestDocuments.pptx(List.of("Quarterly revenue grew", "Hiring plan for robotics"))),
                Part.file("prices.xlsx", TestDocuments.xlsx("Prices", new String[][] {{"Item", "Price"}, {"Sprocket", "4.50"}})),
                Part.file("page.html", TestDocuments.utf8("<html><body><h1>Cafeteria</h1><p>Lunch served at noon.</p></body></html>")),
                Part.file("guide.md", TestDocuments.utf8("# Onboarding\n\n- Collect badge\n- Meet mentor\n")),
                Part.file("notes.txt", TestDocuments.utf8("Parking garage closes at midnight.")),
                Part.file("staff.csv", TestDocuments.utf8("name,role\nAda,engineer\nGrace,admiral\n")));
        Http.Response response = http.postMultipart("/v1/collections/mixed/documents", TENANT, parts);
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        JsonNode documents = response.json().get("documents");
        assertThat(documents.size()).isEqualTo(8);
        List<String> types = new ArrayList<>();
        for (JsonNode accepted : documents) {
            awaitDone(accepted);
            types.add(accepted.get("mediaType").asString());
            JsonNode stored = UPSTREAMS.document(TENANT, "mixed", accepted.get("documentId").asString());
            assertThat(stored.get("chunks").size()).as(accepted.toString()).isPositive();
        }
        assertThat(types).containsExactly("application/pdf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "text/html", "text/markdown", "text/plain", "text/csv");
        JsonNode pdf = UPSTREAMS.document(TENANT, "mixed", documents.get(0).get("documentId").asString());
        assertThat(pdf.get("chunks").get(0).get("page").asInt()).isEqualTo(1);
        JsonNode docx = UPSTREAMS.document(TENANT, "mixed", documents.get(1).get("documentId").asString());
        assertThat(docx.get("title").asString()).isEqualTo("Expenses");
        assertThat(docx.toString()).contains("\"headingPath\":[\"Expenses\",\"Travel\"]");
        assertThat(searchDocumentIds("mixed", "parking garage midnight"))
                .first().isEqualTo(documents.get(6).get("documentId").asString());
    }

    @Test
    void sameBytesAgainIsANoOpReturningTheExistingDocument() {
        JsonNode first = ingestText("kb", "Wifi", "The guest network password rotates weekly.");
        awaitDone(first);
        JsonNode again = ingestText("kb", "Wifi", "The guest network password rotates weekly.");
        assertThat(again.get("status").asString()).isEqualTo("unchanged");
        assertThat(again.get("jobId").asString()).isEqualTo(first.get("jobId").asString());
        assertThat(again.get("version").asInt()).isEqualTo(1);
        assertThat(UPSTREAMS.puts(TENANT, "kb", first.get("documentId").asString())).isEqualTo(1);
        Http.Sleep.brief();
        assertThat(UPSTREAMS.puts(TENANT, "kb", first.get("documentId").asString())).isEqualTo(1);
    }

    @Test
    void newVersionReplacesTheOldChunksInSearch() {
        JsonNode v1 = ingestText("kb", "Office hours", "The office opens at seven in the morning. " + "Filler sentence here. ".repeat(40));
        awaitDone(v1);
        String documentId = v1.get("documentId").asString();
        int v1Chunks = UPSTREAMS.document(TENANT, "kb", documentId).get("chunks").size();
        assertThat(v1Chunks).isGreaterThan(1);
        assertThat(searchDocumentIds("kb", "office opens seven morning")).containsExactly(documentId);

        JsonNode v2 = ingestText("kb", "Office hours", "The building now opens at nine.");
        assertThat(v2.get("documentId").asString()).isEqualTo(documentId);
        assertThat(v2.get("version").asInt()).isEqualTo(2);
        awaitDone(v2);
        JsonNode stored = UPSTREAMS.document(TENANT, "kb", documentId);
        assertThat(stored.get("version").asInt()).isEqualTo(2);
        assertThat(stored.get("chunks").size()).isEqualTo(1);
        assertThat(UPSTREAMS.search(TENANT, "kb", "seven morning filler", 10))
                .allSatisfy(hit -> assertThat(hit.text()).doesNotContain("seven").doesNotContain("Filler"));
        assertThat(searchDocumentIds("kb", "building opens nine")).containsExactly(documentId);
    }

    @Test
    void deleteRemovesTheDocumentFromSearchAtOnce() {
        JsonNode accepted = ingestText("kb", "Fire drill", "Fire drills happen on the first Monday.");
        awaitDone(accepted);
        String documentId = accepted.get("documentId").asString();
        assertThat(searchDocumentIds("kb", "fire drills monday")).containsExactly(documentId);

        assertThat(http.delete("/v1/collections/kb/documents/" + documentId, TENANT).status()).isEqualTo(204);
        assertThat(searchDocumentIds("kb", "fire drills monday")).isEmpty();
        assertThat(http.delete("/v1/collections/kb/documents/" + documentId, TENANT).status()).isEqualTo(404);
        // the same text again after a delete is a new version, not a no-op
        JsonNode back = ingestText("kb", "Fire drill", "Fire drills happen on the first Monday.");
        assertThat(back.get("status").asString()).isEqualTo("queued");
        assertThat(back.get("version").asInt()).isEqualTo(2);
        awaitDone(back);
        assertThat(searchDocumentIds("kb", "fire drills monday")).containsExactly(documentId);
    }

    @Test
    void deleteBeforeIndexingCancelsTheJob() {
        UPSTREAMS.failEmbeddings(1000);
        JsonNode accepted = ingestText("kb", "Draft", "This draft must never become searchable.");
        String documentId = accepted.get("documentId").asString();
        assertThat(http.delete("/v1/collections/kb/documents/" + documentId, TENANT).status()).isEqualTo(204);
        UPSTREAMS.failEmbeddings(0);
        JsonNode job = http.awaitJob(accepted.get("jobId").asString(), TENANT, WAIT);
        assertThat(job.get("state").asString()).isEqualTo("cancelled");
        Http.Sleep.brief();
        assertThat(UPSTREAMS.document(TENANT, "kb", documentId)).isNull();
    }

    @Test
    void retriesWithBackoffWhileInferenceIsDown() {
        UPSTREAMS.failEmbeddings(2);
        JsonNode job = awaitDone(ingestText("kb", "Retry", "Embeddings come back after two failures."));
        assertThat(job.get("attempts").asInt()).isEqualTo(3);
    }

    @Test
    void retriesWhileRetrievalIsDown() {
        UPSTREAMS.failRetrieval(1, 503);
        JsonNode job = awaitDone(ingestText("kb", "Retry index", "Retrieval comes back after one failure."));
        assertThat(job.get("attempts").asInt()).isEqualTo(2);
    }

    @Test
    void aFailedJobSaysWhy() {
        UPSTREAMS.failRetrieval(1, 404);
        JsonNode accepted = ingestText("nowhere", "Orphan", "No collection takes this.");
        JsonNode job = http.awaitJob(accepted.get("jobId").asString(), TENANT, WAIT);
        assertThat(job.get("state").asString()).isEqualTo("failed");
        assertThat(job.get("error").asString()).contains("retrieval-service answered 404");

        UPSTREAMS.failEmbeddings(1000);
        JsonNode down = ingestText("kb", "Down", "Inference never comes back.");
        JsonNode gaveUp = http.awaitJob(down.get("jobId").asString(), TENANT, WAIT);
        assertThat(gaveUp.get("state").asString()).isEqualTo("failed");
        assertThat(gaveUp.get("attempts").asInt()).isEqualTo(4);
        assertThat(gaveUp.get("error").asString()).contains("inference-service embeddings answered 503");
    }

    @Test
    void streamsProgressAsServerSentEventsUntilDone() {
        UPSTREAMS.slowEmbeddings(300);
        JsonNode accepted = ingestText("kb", "Long read", "Chapter text with several sentences. ".repeat(120));
        List<JsonNode> events = http.events("/v1/ingestion/jobs/" + accepted.get("jobId").asString() + "/events", TENANT);
        assertThat(events).isNotEmpty();
        JsonNode last = events.getLast();
        assertThat(last.get("state").asString()).isEqualTo("done");
        assertThat(last.get("chunksDone").asInt()).isEqualTo(last.get("chunksTotal").asInt()).isGreaterThan(2);
        List<String> order = List.of("queued", "parsing", "chunking", "embedding", "indexing", "done");
        int previousState = -1;
        int previousDone = -1;
        for (JsonNode event : events) {
            int state = order.indexOf(event.get("state").asString());
            assertThat(state).as(events.toString()).isGreaterThanOrEqualTo(previousState);
            if (state == previousState) {
                assertThat(event.get("chunksDone").asInt()).isGreaterThanOrEqualTo(previousDone);
            }
            previousState = state;
            previousDone = event.get("chunksDone").asInt();
        }
        assertThat(events).anySatisfy(e -> {
            assertThat(e.get("state").asString()).isEqualTo("embedding");
            assertThat(e.get("chunksDone").asInt()).isPositive().isLessThan(e.get("chunksTotal").asInt());
        });
    }

    @Test
    void refusesTooLargeUnknownEncryptedAndCorruptFilesWritingNothing() {
        Http.Response tooLarge = http.postMultipart("/v1/collections/kb/documents", TENANT,
                List.of(Part.file("big.txt", TestDocuments.utf8("x".repeat(300 * 1024)))));
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.contentType()).startsWith("application/problem+json");

        Http.Response unknown = http.postMultipart("/v1/collections/kb/documents", TENANT,
                List.of(Part.file("a.txt", TestDocuments.utf8("fine")), Part.file("blob.bin", new byte[] {0, 1, 2, (byte) 0xfe, 0, 0, 9})));
        assertThat(unknown.status()).isEqualTo(415);
        assertThat(unknown.json().get("code").asString()).isEqualTo("unsupported-media-type");

        Http.Response encrypted = http.postMultipart("/v1/collections/kb/documents", TENANT,
                List.of(Part.file("secret.pdf", TestDocuments.encryptedPdf("top secret", "pw"))));
        assertThat(encrypted.status()).isEqualTo(422);
        assertThat(encrypted.json().get("code").asString()).isEqualTo("document-encrypted");

        byte[] pdf = TestDocuments.pdf(List.of("cut short"));
        Http.Response corrupt = http.postMultipart("/v1/collections/kb/documents", TENANT,
                List.of(Part.file("broken.pdf", java.util.Arrays.copyOf(pdf, 60))));
        assertThat(corrupt.status()).isEqualTo(422);
        assertThat(corrupt.json().get("detail").asString()).contains("broken.pdf");

        assertThat(jdbc.sql("select count(*) from jobs").query(Integer.class).single()).isZero();
        assertThat(jdbc.sql("select count(*) from documents").query(Integer.class).single()).isZero();
    }

    @Test
    void treatsFileNamesAsDataNeverAsPaths() {
        Http.Response response = http.postMultipart("/v1/collections/kb/documents", TENANT,
                List.of(Part.file("../../../etc/cron.d/evil.txt", TestDocuments.utf8("Harmless words."))));
        assertThat(response.status()).isEqualTo(202);
        JsonNode accepted = response.json().get("documents").get(0);
        assertThat(accepted.get("title").asString()).isEqualTo("evil.txt");
        assertThat(accepted.get("documentId").asString()).matches("doc-[0-9a-f]{32}");
        awaitDone(accepted);
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("/etc/cron.d/evil.txt"))).isFalse();
    }

    @Test
    void jobsAndDocumentsBelongToTheirTenant() {
        JsonNode accepted = ingestText("kb", "Tenant note", "Only acme sees this.");
        awaitDone(accepted);
        String jobPath = "/v1/ingestion/jobs/" + accepted.get("jobId").asString();
        assertThat(http.get(jobPath, "other").status()).isEqualTo(404);
        assertThat(http.delete("/v1/collections/kb/documents/" + accepted.get("documentId").asString(), "other").status())
                .isEqualTo(404);
        assertThat(UPSTREAMS.documentCount("other", "kb")).isZero();
        assertThat(UPSTREAMS.documentCount(TENANT, "kb")).isEqualTo(1);
    }

    @Test
    void rejectsInvalidOrOversizedJsonRequests() {
        Http.Response unknownField = http.postJson("/v1/collections/kb/documents", TENANT,
                "{\"documents\":[{\"title\":\"t\",\"text\":\"x\",\"colour\":\"red\"}]}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.body()).contains("colour");
        Http.Response empty = http.postJson("/v1/collections/kb/documents", TENANT, "{\"documents\":[]}");
        assertThat(empty.status()).isEqualTo(400);
        Http.Response badCollection = http.postJson("/v1/collections/..%2Fx/documents", TENANT,
                Map.of("documents", List.of(Map.of("title", "t", "text", "x"))));
        assertThat(badCollection.status()).isEqualTo(400);
        Http.Response tooLarge = http.postJson("/v1/collections/kb/documents", TENANT,
                Map.of("documents", List.of(Map.of("title", "t", "text", "x".repeat(300 * 1024)))));
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.json().get("limit").asString()).isEqualTo("json-size");
        Http.Response wrongType = http.postJson("/v1/collections/kb/documents", TENANT,
                Map.of("documents", List.of(Map.of("title", "t", "text", "x", "mediaType", "application/pdf"))));
        assertThat(wrongType.status()).isEqualTo(415);
    }

    @Test
    void rejectsMalformedMultipartBodiesWith400WritingNothing() {
        Http.Response noBoundary = http.postRaw("/v1/collections/kb/documents", TENANT, "multipart/form-data",
                "garbage".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(noBoundary.status()).isEqualTo(400);
        assertThat(noBoundary.contentType()).startsWith("application/problem+json");
        assertThat(noBoundary.json().get("code").asString()).isEqualTo("malformed-body");
        assertThat(noBoundary.body()).contains("boundary");
        Http.Response truncated = http.postRaw("/v1/collections/kb/documents", TENANT, "multipart/form-data; boundary=xyz",
                "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello wor"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(truncated.status()).isEqualTo(400);
        assertThat(truncated.json().get("code").asString()).isEqualTo("malformed-body");
        assertThat(UPSTREAMS.documentCount(TENANT, "kb")).isZero();
    }

    @Test
    void answersUnknownJobWith404ProblemOnBothEndpoints() {
        String id = "/v1/ingestion/jobs/" + java.util.UUID.randomUUID();
        Http.Response job = http.get(id, TENANT);
        assertThat(job.status()).isEqualTo(404);
        assertThat(job.json().get("code").asString()).isEqualTo("job-not-found");
        assertThat(http.get(id + "/events", TENANT).status()).isEqualTo(404);
    }
}
