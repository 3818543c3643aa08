package dev.sextant.ingestion.job;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import dev.sextant.ingestion.IngestionProperties;

/**
 * Worker threads that claim jobs from the queue and run them, and a heartbeat that extends this instance's leases
 * every third of the lease time, so a job waiting on a slow upstream keeps its lease. Each instance has its own
 * owner id; when an instance dies its heartbeat stops, its leases expire and any instance claims those jobs again.
 */
@Component
class JobWorker implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(JobWorker.class);

    private final JobRepository jobs;
    private final JobPipeline pipeline;
    private final IngestionProperties.Worker properties;
    private final String owner = "worker-" + UUID.randomUUID();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    JobWorker(JobRepository jobs, JobPipeline pipeline, IngestionProperties properties) {
        this.jobs = jobs;
        this.pipeline = pipeline;
        this.properties = properties.worker();
    }

    @Override
    public synchronized void start() {
        if (!properties.enabled() || running) {
            return;
        }
        running = true;
        for (int i = 0; i < properties.threads(); i++) {
            threads.add(Thread.ofVirtual().name("ingestion-worker-" + i).start(this::loop));
        }
        threads.add(Thread.ofVirtual().name("ingestion-lease-heartbeat").start(this::heartbeat));
        log.info("{} started {} worker threads", owner, properties.threads());
    }

    private void loop() {
        while (running) {
            try {
                Optional<Job> job = jobs.claim(owner, properties.lease());
                if (job.isPresent()) {
                    pipeline.run(job.get(), owner);
                } else {
                    Thread.sleep(properties.pollInterval());
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                log.warn("job queue unavailable: {}", e.toString());
                try {
                    Thread.sleep(properties.pollInterval().multipliedBy(5));
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private void heartbeat() {
        while (running) {
            try {
                Thread.sleep(properties.lease().dividedBy(3));
                jobs.heartbeat(owner, properties.lease());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("lease heartbeat failed: {}", e.toString());
            }
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
