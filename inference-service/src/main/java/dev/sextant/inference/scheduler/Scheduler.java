package dev.sextant.inference.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.sextant.inference.engine.Batch;
import dev.sextant.inference.engine.EngineException;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.sampling.Sampler;
import dev.sextant.inference.tokenizer.Tokenizer;

/**
 * Iteration-level continuous batching over one model's session: requests join the running batch between steps
 * and leave when done; each step mixes decode tokens (first, to keep inter-token latency) with prefill chunks cut
 * to {@code maxBatchedTokens} (and to {@code mixedPrefillTokens} beside decode rows); a burst of arrivals is prefilled
 * before its streams start decoding ({@code prefillBurstsFirst}, see {@link SchedulerConfig}); when the paged KV
 * cache runs out the newest sequence is preempted and later recomputed, never an out-of-memory failure. One thread
 * steps the engine; callers only enqueue and cancel.
 *
 * <pre>{@code
 * GenerationHandle h = scheduler.submit(request, event -> queue.add(event));
 * }</pre>
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    private final String modelId;
    private final Session session;
    private final Tokenizer tokenizer;
    private final SchedulerConfig config;
    private final SchedulerMetrics metrics;
    private final LinkedBlockingQueue<Sequence> incoming = new LinkedBlockingQueue<>();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private final Batch batch;
    private final Sequence[] rowSequence;
    private final int[] rowFed;
    private final int blockSize;
    private final int contextLimit;
    private final Thread thread;
    private volatile boolean closing;

    public Scheduler(String modelId, Session session, Tokenizer tokenizer, SchedulerConfig config, SchedulerMetrics metrics) {
        this.modelId = modelId;
        this.session = session;
        this.tokenizer = tokenizer;
        this.metrics = metrics;
        int slots = Math.min(config.maxNumSeqs(), session.options().maxSequences());
        int batchTokens = Math.min(config.maxBatchedTokens(), session.options().maxBatch());
        this.config = new SchedulerConfig(slots, batchTokens, config.maxWaiting(), config.prefixCaching(),
                Math.min(config.mixedPrefillTokens(), batchTokens), config.prefillBurstsFirst());
        for (int s = 0; s < slots; s++) {
            freeSlots.add(s);
        }
        this.batch = session.newBatch();
        this.rowSequence = new Sequence[session.options().maxBatch()];
        this.rowFed = new int[session.options().maxBatch()];
        this.blockSize = session.options().kvBlockSize();
        this.contextLimit = Math.min(session.options().contextTokens(),
                session.model().info().trainedContextLength() > 0 ? session.model().info().trainedContextLength() : Integer.MAX_VALUE);
        metrics.bind(this);
        this.thread = Thread.ofPlatform().name("scheduler-" + modelId).daemon(true).start(this::loop);
    }

    /** The limits and step policy in force (the configured ones cut to what the session can hold). */
    public SchedulerConfig config() {
        return config;
    }

    /**
     * Queues a generation. Events reach {@code sink} on the scheduler thread, in order; the sink must not block.
     *
     * @throws QueueFullException when {@code maxWaiting} requests are already waiting
     * @throws IllegalArgumentException when the prompt alone does not fit the context
     */
    public GenerationHandle submit(GenerationRequest request, Consumer<GenerationEvent> sink) {
        if (closing) {
            throw new IllegalStateException("model " + modelId + " is unloading");
        }
        if (request.promptTokens().length >= contextLimit) {
            throw new IllegalArgumentException("the prompt has " + request.promptTokens().length
                    + " tokens; this model's context holds " + contextLimit + " (prompt + completion)");
        }
        for (int t : request.promptTokens()) {
            if (t < 0 || t >= session.model().info().vocabularySize()) {
                throw new IllegalArgumentException("token id " + t + " is outside the vocabulary");
            }
        }
        if (queued.incrementAndGet() > config.maxWaiting()) {
            queued.decrementAndGet();
            metrics.rejected();
            throw new QueueFullException("model " + modelId + " has " + config.maxWaiting() + " requests waiting", 1);
        }
        Sequence seq = new Sequence(request, sink, new Sampler(request.sampling(), session.model().info().vocabularySize()),
                tokenizer.newStreamingDecoder());
        incoming.add(seq);
        return seq;
    }

    public String modelId() {
        return modelId;
    }

    /**
     * Prompt plus completion tokens one sequence may hold: the session's context cut to the model's trained one.
     * The API layer refuses requests that would not fit; a sequence that reaches it anyway ends with {@code length}.
     */
    public int contextLimit() {
        return contextLimit;
    }

    public int runningCount() {
        return running.size();
    }

    public int waitingCount() {
        return queued.get();
    }

    public int freeKvBlocks() {
        return session.freeBlocks();
    }

    public int totalKvBlocks() {
        return session.options().contextTokens() / blockSize;
    }

    private void loop() {
        while (!closing) {
            try {
                if (running.isEmpty() && waiting.isEmpty()) {
                    Sequence next = incoming.poll(100, TimeUnit.MILLISECONDS);
                    if (next != null) {
                        waiting.add(next);
                    }
                }
                incoming.drainTo(waiting);
                reap();
                admit();
                if (!running.isEmpty()) {
                    step();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                log.error("scheduler step failed for model {}", modelId, e);
                for (Sequence seq : List.copyOf(running)) {
                    fail(seq, "engine step failed: " + e.getMessage());
                }
            }
        }
        incoming.drainTo(waiting);
        for (Sequence seq : List.copyOf(running)) {
            finish(seq, FinishReason.CANCELLED);
        }
        for (Sequence seq : waiting) {
            queued.decrementAndGet();
            seq.sink.accept(new GenerationEvent.Failed("model " + modelId + " was unloaded"));
        }
        waiting.clear();
    }

    /** Ends cancelled and timed-out sequences, freeing their blocks before this step runs. */
    private void reap() {
        long now = System.nanoTime();
        for (Sequence seq : List.copyOf(running)) {
            if (seq.isCancelled()) {
                finish(seq, FinishReason.CANCELLED);
            } else if (now - seq.deadlineNanos > 0) {
                finish(seq, FinishReason.TIMEOUT);
            }
        }
        waiting.removeIf(seq -> {
            boolean gone = seq.isCancelled() || now - seq.deadlineNanos > 0;
            if (gone) {
                queued.decrementAndGet();
                seq.finished = true;
                seq.sink.accept(new GenerationEvent.Finished(seq.isCancelled() ? FinishReason.CANCELLED : FinishReason.TIMEOUT,
                        seq.request.promptTokens().length, 0, 0, System.nanoTime()));
            }
            return gone;
        });
    }

    /** Moves waiting sequences in while a slot is free and the cache has blocks for their whole context. */
    private void admit() {
        while (!waiting.isEmpty() && !freeSlots.isEmpty()) {
            Sequence seq = waiting.peek();
            int needed = blocksFor(seq.length + 1);
            int reserve = running.size(); // one block of growth per running sequence
            if (!running.isEmpty() && needed + reserve > session.freeBlocks()) {
                break;
            }
            waiting.poll();
            queued.decrementAndGet();
            seq.slot = freeSlots.poll();
            // prefix caching: whole blocks another request (or this one before preemption) computed are reused
            if (config.prefixCaching()) {
                seq.computed = session.attachPrefix(seq.slot, Arrays.copyOf(seq.tokens, seq.length));
                metrics.prefixLookup(seq.length, seq.computed);
            } else {
                seq.computed = 0;
            }
            running.add(seq);
        }
    }

    private int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    private void step() {
        batch.clear();
        int budget = config.maxBatchedTokens();
        int rows = 0;
        // A prefilled sequence that has not decoded yet waits while prompts submitted before its first token are
        // still being prefilled (SchedulerConfig.prefillBurstsFirst).
        long oldestPrefill = Long.MAX_VALUE;
        if (config.prefillBurstsFirst()) {
            for (Sequence seq : running) {
                if (!seq.prefilled && seq.submittedNanos < oldestPrefill) {
                    oldestPrefill = seq.submittedNanos;
                }
            }
        }
        // decode rows first (one pending token), then prefill chunks in admission order
        int decodes = 0;
        for (Sequence seq : running) {
            if (!seq.prefilled || seq.pending() != 1 || budget <= 0 || !seq.decoded && seq.readyNanos > oldestPrefill) {
                continue;
            }
            batch.add(seq.tokens[seq.computed], seq.computed, seq.slot, true);
            rowSequence[rows] = seq;
            rowFed[rows] = 1;
            rows++;
            budget--;
            decodes++;
        }
        int prefillBudget = decodes > 0 ? Math.min(budget, config.mixedPrefillTokens()) : budget;
        for (Sequence seq : running) {
            int pending = seq.pending();
            if (seq.prefilled || pending <= 0 || prefillBudget <= 0) {
                continue;
            }
            int n = Math.min(pending, prefillBudget);
            for (int i = 0; i < n; i++) {
                int index = seq.computed + i;
                batch.add(seq.tokens[index], index, seq.slot, index == seq.length - 1);
            }
            rowSequence[rows] = seq;
            rowFed[rows] = n;
            rows++;
            prefillBudget -= n;
        }
        if (batch.size() == 0) {
            return;
        }
        try {
            session.step(batch);
        } catch (EngineException e) {
            if (e.status() == EngineException.Status.CAPACITY && running.size() > 1) {
                preemptNewest();
                return;
            }
            throw e;
        }
        long now = System.nanoTime();
        int output = 0;
        for (int r = 0; r < rows; r++) {
            Sequence seq = rowSequence[r];
            rowSequence[r] = null;
            seq.computed += rowFed[r];
            if (seq.computed == seq.length) {
                if (seq.prefilled) {
                    seq.decoded = true;
                } else {
                    seq.prefilled = true;
                    seq.readyNanos = now;
                }
                accept(seq, output++, now);
            }
        }
        running.removeIf(seq -> seq.finished);
        metrics.stepped(batch.size());
    }

    private void accept(Sequence seq, int outputRow, long now) {
        Sampler.Choice choice;
        if (seq.constraint != null) {
            seq.constraint.fillNextMask(seq.mask);
            choice = seq.sampler.sample(session.logits(outputRow), seq.mask);
            if (!seq.constraint.accept(choice.token())) {
                // only when no token at all is allowed: the constraint cannot continue
                finish(seq, seq.constraint.isAccepting() ? FinishReason.STOP : FinishReason.ERROR);
                return;
            }
        } else if (seq.sampler.params().isPlainGreedy()) {
            choice = new Sampler.Choice(batch.sampled(outputRow), Float.NaN, null, null);
        } else {
            choice = seq.sampler.sample(session.logits(outputRow), null);
        }
        int token = choice.token();
        if (seq.generated == 0) {
            seq.firstTokenNanos = now;
            metrics.firstToken(now - seq.submittedNanos);
        } else {
            metrics.interToken(now - seq.lastTokenNanos);
        }
        seq.lastTokenNanos = now;
        if ((!seq.request.ignoreEos() || seq.constraint != null) && tokenizer.isEndOfGeneration(token)) {
            seq.generated++; // the end token counts as generated, as OpenAI counts it
            finish(seq, FinishReason.STOP);
            return;
        }
        seq.append(token);
        String text = seq.stops.push(seq.decoder.push(token));
        if (!text.isEmpty() || seq.sampler.params().logprobs()) {
            seq.sink.accept(new GenerationEvent.Token(token, text, choice.logprob(), choice.topTokens(), choice.topLogprobs()));
        }
        if (seq.stops.stopped() || seq.constraint != null && seq.constraint.isTerminated()) {
            finish(seq, FinishReason.STOP);
        } else if (seq.generated >= seq.request.maxTokens() || seq.length >= contextLimit) {
            finish(seq, FinishReason.LENGTH);
        }
    }

    /** Frees the newest sequence's blocks; it goes back to the head of the queue and is recomputed later. */
    private void preemptNewest() {
        Sequence victim = running.removeLast();
        session.clearSequence(victim.slot);
        freeSlots.addFirst(victim.slot);
        victim.slot = -1;
        victim.computed = 0;
        victim.prefilled = false;
        victim.decoded = false;
        victim.preemptions++;
        queued.incrementAndGet();
        waiting.addFirst(victim);
        metrics.preempted();
    }

    private void finish(Sequence seq, FinishReason reason) {
        if (seq.finished) {
            return;
        }
        seq.finished = true;
        if (reason != FinishReason.CANCELLED && !seq.stops.stopped()) {
            String rest = seq.stops.push(seq.decoder.flush());
            rest += seq.stops.stopped() ? "" : seq.stops.flush();
            if (!rest.isEmpty()) {
                seq.sink.accept(new GenerationEvent.Token(-1, rest, Float.NaN, null, null));
            }
        }
        release(seq);
        long now = System.nanoTime();
        metrics.finished(seq.request.promptTokens().length, seq.generated, now - seq.submittedNanos);
        seq.sink.accept(new GenerationEvent.Finished(reason, seq.request.promptTokens().length, seq.generated,
                seq.firstTokenNanos, now));
    }

    private void fail(Sequence seq, String message) {
        if (seq.finished) {
            return;
        }
        seq.finished = true;
        release(seq);
        running.remove(seq);
        seq.sink.accept(new GenerationEvent.Failed(message));
    }

    private void release(Sequence seq) {
        if (seq.slot >= 0) {
            session.clearSequence(seq.slot);
            freeSlots.add(seq.slot);
            seq.slot = -1;
        }
        running.remove(seq);
    }

    /** Stops the step thread; running sequences end as cancelled, waiting ones fail. The session stays open. */
    @Override
    public void close() {
        closing = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
