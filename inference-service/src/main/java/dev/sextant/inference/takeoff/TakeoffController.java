package dev.sextant.inference.takeoff;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

import dev.sextant.inference.completion.CompletionService;
import dev.sextant.inference.constraint.ConstraintSpec;
import dev.sextant.inference.model.LoadedModel;
import dev.sextant.inference.sampling.SamplingParams;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/**
 * Titan Takeoff-compatible generation: {@code POST /generate} answers {@code {"text": ...}}, {@code POST
 * /generate_stream} streams the text as server-sent events. {@code consumer_group} picks the model.
 */
@RestController
public class TakeoffController {

    private final CompletionService completions;

    public TakeoffController(CompletionService completions) {
        this.completions = completions;
    }

    @PostMapping(path = "/generate", consumes = MediaType.APPLICATION_JSON_VALUE)
    public Map<String, Object> generate(@RequestBody GenerateRequest request) throws InterruptedException {
        CompletionService.Started started = start(request);
        StringBuilder text = new StringBuilder();
        while (true) {
            GenerationEvent event = started.events().poll(1, TimeUnit.HOURS);
            switch (event) {
                case GenerationEvent.Token t -> text.append(t.text());
                case GenerationEvent.Finished f -> {
                    return Map.of("text", text.toString(), "finish_reason", f.reason().wireName(),
                            "usage", Map.of("prompt_tokens", f.promptTokens(), "completion_tokens", f.completionTokens()));
                }
                case GenerationEvent.Failed failed -> throw new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, null, failed.message());
                case null -> throw new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, null, "generation did not finish");
            }
        }
    }

    @PostMapping(path = "/generate_stream", consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<StreamingResponseBody> generateStream(@RequestBody GenerateRequest request) {
        CompletionService.Started started = start(request);
        StreamingResponseBody body = out -> {
            try {
                while (true) {
                    GenerationEvent event = started.events().poll(1, TimeUnit.HOURS);
                    if (event instanceof GenerationEvent.Token t) {
                        out.write(sse("message", t.text()));
                        out.flush();
                    } else {
                        if (event instanceof GenerationEvent.Failed failed) {
                            out.write(sse("error", failed.message()));
                        }
                        out.write(sse("end", ""));
                        out.flush();
                        return;
                    }
                }
            } catch (IOException e) {
                started.handle().cancel();
            } catch (InterruptedException e) {
                started.handle().cancel();
                Thread.currentThread().interrupt();
            }
        };
        return ResponseEntity.ok().contentType(MediaType.TEXT_EVENT_STREAM).header("Cache-Control", "no-cache").body(body);
    }

    /** One SSE event; a text with newlines becomes several data lines, as the SSE format requires. */
    static byte[] sse(String event, String data) {
        StringBuilder sb = new StringBuilder("event: ").append(event).append('\n');
        for (String line : data.split("\n", -1)) {
            sb.append("data: ").append(line).append('\n');
        }
        return sb.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }

    private CompletionService.Started start(GenerateRequest r) {
        if (r.text() == null || !r.text().isString()) {
            throw new SextantException(ErrorCode.VALIDATION, "text", "'text' must be the prompt, a string");
        }
        ConstraintSpec spec = null;
        if (r.jsonSchema() != null && !r.jsonSchema().isNull()) {
            spec = ConstraintSpec.jsonSchema("json_schema", r.jsonSchema());
        }
        if (r.regexString() != null) {
            if (spec != null) {
                throw new SextantException(ErrorCode.VALIDATION, "regex_string", "give json_schema or regex_string, not both");
            }
            spec = ConstraintSpec.regex("regex_string", r.regexString());
        }
        if (r.noRepeatNgramSize() != null) {
            throw new SextantException(ErrorCode.VALIDATION, "no_repeat_ngram_size", "no_repeat_ngram_size is not supported; remove it");
        }
        if (r.minNewTokens() != null && r.minNewTokens() > 0) {
            throw new SextantException(ErrorCode.VALIDATION, "min_new_tokens", "min_new_tokens is not supported; remove it");
        }
        LoadedModel model = completions.registry().resolve(r.consumerGroup() == null ? "primary" : r.consumerGroup());
        SamplingParams sampling = new SamplingParams(
                r.samplingTemperature() == null ? 1f : r.samplingTemperature(),
                r.samplingTopk() == null ? 0 : r.samplingTopk(),
                r.samplingTopp() == null ? 1f : r.samplingTopp(), 0f,
                r.repetitionPenalty() == null ? 1f : r.repetitionPenalty(), 0f, 0f, r.seed(), 0, false);
        int[] tokens = model.tokenizer().encode(r.text().asString(), true, false);
        return completions.start(model, tokens, sampling,
                new CompletionService.Budget("text", "max_new_tokens", r.maxNewTokens(), 128),
                CompletionService.stops(r.stop()), false, spec);
    }
}
