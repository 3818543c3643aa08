package dev.sextant.retrieval.rag;

import java.io.IOException;
import java.util.Map;

import jakarta.validation.Valid;

import org.slf4j.MDC;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.store.filter.FilterParser;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.Problems;
import dev.sextant.support.SextantException;
import dev.sextant.support.Tenants;

/**
 * {@code POST /v1/rag/answer}. With {@code "stream": true} the answer is Server-Sent Events: {@code sources} first
 * (the numbered passages), then {@code token} events (the model's constrained JSON as it is generated), then
 * {@code answer} (the parsed answer with verified citations) and {@code done}; a failure ends with {@code error}
 * carrying a problem. A model inference-service does not serve is a 404 before anything else, streamed or not,
 * whether or not any passage is relevant ({@link ModelsClient}).
 */
@RestController
class RagController {

    private final RagService rag;
    private final ModelsClient models;

    RagController(RagService rag, ModelsClient models) {
        this.rag = rag;
        this.models = models;
    }

    @PostMapping(value = "/v1/rag/answer")
    Object answer(@RequestHeader(value = Tenants.HEADER, required = false) String tenantHeader,
            @Valid @RequestBody RagRequest request) {
        String tenant = RetrievalErrors.tenant(tenantHeader);
        var filter = FilterParser.parse(request.filter());
        AnswerBudget.check(request);
        models.requireServed(request.model()); // before retrieval: the answer may not need the model, the 404 does not
        RagService.Retrieval retrieval = rag.retrieve(tenant, request, filter);
        if (!Boolean.TRUE.equals(request.stream())) {
            return rag.answer(request, retrieval);
        }
        SseEmitter emitter = new SseEmitter(0L);
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        Thread.ofVirtual().name("rag-stream").start(() -> {
            if (mdc != null) {
                MDC.setContextMap(mdc); // request id and tenant travel on to inference-service
            }
            try {
                emitter.send(SseEmitter.event().name("sources").data(Map.of("sources", retrieval.sources()), MediaType.APPLICATION_JSON));
                RagAnswer answer = rag.stream(request, retrieval, token -> send(emitter, "token", Map.of("text", token)));
                emitter.send(SseEmitter.event().name("answer").data(answer, MediaType.APPLICATION_JSON));
                emitter.send(SseEmitter.event().name("done").data("[DONE]"));
                emitter.complete();
            } catch (SextantException e) {
                ProblemDetail problem = Problems.of(e.errorCode(), e.field(), e.getMessage());
                e.properties().forEach(problem::setProperty); // as the same failure answers unstreamed
                sendQuietly(emitter, "error", problem);
                emitter.complete();
            } catch (IOException | RuntimeException e) {
                sendQuietly(emitter, "error", Problems.of(ErrorCode.INTERNAL, null, "The answer stream failed"));
                emitter.completeWithError(e);
            } finally {
                MDC.clear();
            }
        });
        return emitter;
    }

    private static void sendQuietly(SseEmitter emitter, String event, Object data) {
        try {
            send(emitter, event, data);
        } catch (RuntimeException ignored) {
            // the client is gone; nothing left to tell it
        }
    }

    private static void send(SseEmitter emitter, String event, Object data) {
        try {
            emitter.send(SseEmitter.event().name(event).data(data, MediaType.APPLICATION_JSON));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("client went away", e);
        }
    }
}
