package dev.sextant.ingestion.job;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import dev.sextant.ingestion.IngestionErrors;
import dev.sextant.support.SextantException;
import dev.sextant.support.Tenants;

/**
 * {@code GET /v1/ingestion/jobs/{id}}: a job's state and progress. {@code GET /v1/ingestion/jobs/{id}/events}: the
 * same as Server-Sent Events ({@code event: progress}, data the job), one per change, ending after the terminal
 * state. The stream polls the database, so it follows jobs run by any instance.
 */
@RestController
class JobController {

    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration STREAM_LIMIT = Duration.ofMinutes(30);

    private final JobRepository jobs;

    JobController(JobRepository jobs) {
        this.jobs = jobs;
    }

    @GetMapping("/v1/ingestion/jobs/{id}")
    JobView get(@PathVariable UUID id, @RequestHeader(name = Tenants.HEADER, required = false) String tenant) {
        return find(tenant(tenant), id);
    }

    @GetMapping(path = "/v1/ingestion/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter events(@PathVariable UUID id, @RequestHeader(name = Tenants.HEADER, required = false) String tenant) {
        String t = tenant(tenant);
        JobView first = find(t, id);
        SseEmitter emitter = new SseEmitter(STREAM_LIMIT.toMillis());
        Thread.ofVirtual().name("job-events-" + id).start(() -> stream(emitter, t, id, first));
        return emitter;
    }

    private void stream(SseEmitter emitter, String tenant, UUID id, JobView first) {
        long deadline = System.nanoTime() + STREAM_LIMIT.toNanos();
        JobView last = null;
        JobView current = first;
        try {
            while (true) {
                if (!Objects.equals(current, last)) {
                    emitter.send(SseEmitter.event().name("progress").id(current.state() + ":" + current.chunksDone())
                            .data(current, MediaType.APPLICATION_JSON));
                    last = current;
                }
                if (current.terminal() || System.nanoTime() > deadline) {
                    emitter.complete();
                    return;
                }
                Thread.sleep(POLL);
                current = jobs.find(tenant, id).map(JobView::of).orElse(current);
            }
        } catch (IOException | IllegalStateException e) {
            emitter.completeWithError(e); // the client went away
        } catch (InterruptedException e) {
            emitter.complete();
        }
    }

    private JobView find(String tenant, UUID id) {
        return jobs.find(tenant, id).map(JobView::of).orElseThrow(() -> new SextantException(
                IngestionErrors.JOB_NOT_FOUND, "id", "No ingestion job " + id + " for this tenant"));
    }

    private static String tenant(String header) {
        return header == null || header.isBlank() ? Tenants.DEFAULT : header;
    }
}
