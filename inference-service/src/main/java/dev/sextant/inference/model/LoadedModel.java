package dev.sextant.inference.model;

import java.time.Instant;

import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.scheduler.Scheduler;
import dev.sextant.inference.scheduler.SchedulerMetrics;
import dev.sextant.inference.tokenizer.Tokenizer;

/** A model being served: weights, tokenizer, chat template, its session and scheduler. Closing frees all. */
public record LoadedModel(String id, String consumerGroup, String source, Model model, Tokenizer tokenizer,
        ChatTemplate chatTemplate, Session session, Scheduler scheduler, SchedulerMetrics metrics, long memoryBytes,
        Instant loadedAt) implements AutoCloseable {

    @Override
    public void close() {
        scheduler.close();
        metrics.remove();
        session.close();
        model.close();
    }
}
