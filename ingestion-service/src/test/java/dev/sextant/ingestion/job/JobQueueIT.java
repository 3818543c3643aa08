package dev.sextant.ingestion.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import dev.sextant.ingestion.support.TestDatabase;

/** The queue's semantics on real PostgreSQL, without workers: claim order, exclusive leases, expiry, lost leases. */
class JobQueueIT {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private JdbcClient jdbc;
    private JobRepository jobs;

    @BeforeEach
    void migrate() {
        DataSource dataSource = new DriverManagerDataSource(TestDatabase.url("queue"), TestDatabase.user(),
                TestDatabase.password());
        Flyway.configure().dataSource(dataSource).schemas("queue").defaultSchema("queue").load().migrate();
        jdbc = JdbcClient.create(dataSource);
        jdbc.sql("truncate jobs, job_inputs, documents").update();
        jobs = new JobRepository(jdbc);
    }

    private UUID enqueue(String documentId, int version) {
        UUID id = UUID.randomUUID();
        jdbc.sql("""
                insert into jobs (id, tenant, collection, document_id, version, content_hash, media_type, state)
                values (:id, 't', 'c', :d, :v, 'h', 'text/plain', 'queued')""")
                .param("id", id).param("d", documentId).param("v", version).update();
        return id;
    }

    @Test
    void claimsOldestFirstAndNeverTheSameJobTwice() {
        UUID first = enqueue("a", 1);
        UUID second = enqueue("b", 1);
        assertThat(jobs.claim("w1", LEASE)).map(Job::id).hasValue(first);
        assertThat(jobs.claim("w2", LEASE)).map(Job::id).hasValue(second);
        assertThat(jobs.claim("w3", LEASE)).isEmpty();
    }

    @Test
    void runsJobsOfOneDocumentOneAtATimeInOrder() {
        UUID v1 = enqueue("a", 1);
        UUID v2 = enqueue("a", 2);
        assertThat(jobs.claim("w1", LEASE)).map(Job::id).hasValue(v1);
        assertThat(jobs.claim("w2", LEASE)).as("v2 waits for v1").isEmpty();
        assertThat(jobs.finish(v1, "w1", JobState.DONE, null)).isTrue();
        assertThat(jobs.claim("w2", LEASE)).map(Job::id).hasValue(v2);
    }

    @Test
    void anExpiredLeaseIsClaimedAgainAndTheOldOwnerLosesIt() {
        UUID id = enqueue("a", 1);
        Job claimed = jobs.claim("dead", LEASE).orElseThrow();
        assertThat(claimed.attempts()).isEqualTo(1);
        assertThat(jobs.advance(id, "dead", JobState.EMBEDDING, 4, 2, LEASE)).isTrue();
        assertThat(jobs.claim("alive", LEASE)).as("leased").isEmpty();

        jdbc.sql("update jobs set lease_expires_at = now() - interval '1 second' where id = :id").param("id", id).update();
        Optional<Job> reclaimed = jobs.claim("alive", LEASE);
        assertThat(reclaimed).map(Job::attempts).hasValue(2);
        assertThat(reclaimed).map(Job::leaseOwner).hasValue("alive");

        assertThat(jobs.advance(id, "dead", JobState.INDEXING, 4, 4, LEASE)).isFalse();
        assertThat(jobs.finish(id, "dead", JobState.DONE, null)).isFalse();
        assertThat(jobs.heartbeat("dead", LEASE)).isZero();
        assertThat(jobs.heartbeat("alive", LEASE)).isEqualTo(1);
        assertThat(jobs.finish(id, "alive", JobState.DONE, null)).isTrue();
    }

    @Test
    void aJobPutBackWithBackoffWaitsItsTurn() {
        UUID id = enqueue("a", 1);
        jobs.claim("w", LEASE).orElseThrow();
        assertThat(jobs.retryLater(id, "w", Duration.ofHours(1), "inference down")).isTrue();
        assertThat(jobs.claim("w", LEASE)).isEmpty();
        jdbc.sql("update jobs set next_attempt_at = now() where id = :id").param("id", id).update();
        Job again = jobs.claim("w", LEASE).orElseThrow();
        assertThat(again.attempts()).isEqualTo(2);
        assertThat(again.error()).isEqualTo("inference down");
    }
}
