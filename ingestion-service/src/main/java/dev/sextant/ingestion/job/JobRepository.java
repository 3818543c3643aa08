package dev.sextant.ingestion.job;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The jobs table as a work queue. {@link #claim} takes a runnable job with {@code FOR UPDATE SKIP LOCKED} (so
 * concurrent workers never take the same one) and leases it: a job whose lease ran out while running — its worker
 * died — first, else the oldest queued one. Jobs of the same document run one at a time, oldest first.
 */
@Repository
public class JobRepository {

    static final String OPEN = "('queued','parsing','chunking','embedding','indexing')";

    private final JdbcClient jdbc;

    public JobRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<Job> claim(String owner, Duration lease) {
        // A job whose worker died (its lease ran out) first, then the oldest queued job: two narrow queries on their
        // own partial indexes (jobs_leased, jobs_queued) rather than one OR over every open job.
        Optional<Job> expired = claimWhere("j.state in ('parsing','chunking','embedding','indexing') and j.lease_expires_at < now()",
                "j.lease_expires_at", owner, lease);
        return expired.isPresent() ? expired : claimWhere("j.state = 'queued' and j.next_attempt_at <= now()", "j.seq", owner, lease);
    }

    private Optional<Job> claimWhere(String runnable, String order, String owner, Duration lease) {
        return jdbc.sql("""
                with next as (
                    select j.id from jobs j
                    where %s
                      and not exists (select 1 from jobs e
                                      where e.tenant = j.tenant and e.collection = j.collection
                                        and e.document_id = j.document_id and e.seq < j.seq
                                        and e.state in %s)
                    order by %s
                    limit 1
                    for update skip locked)
                update jobs set state = 'parsing', lease_owner = :owner,
                    lease_expires_at = now() + make_interval(secs => :lease), attempts = attempts + 1, updated_at = now()
                from next where jobs.id = next.id
                returning jobs.*""".formatted(runnable, OPEN, order))
                .param("owner", owner)
                .param("lease", lease.toMillis() / 1000.0)
                .query(JobRepository::map)
                .optional();
    }

    /** Moves a leased job on and extends its lease; false when the lease was lost (another worker took the job). */
    public boolean advance(UUID id, String owner, JobState state, Integer chunksTotal, int chunksDone, Duration lease) {
        return jdbc.sql("""
                update jobs set state = :state, chunks_total = coalesce(:total, chunks_total), chunks_done = :done,
                    lease_expires_at = now() + make_interval(secs => :lease), updated_at = now()
                where id = :id and lease_owner = :owner and state in %s""".formatted(OPEN))
                .param("state", state.wire())
                .param("total", chunksTotal)
                .param("done", chunksDone)
                .param("lease", lease.toMillis() / 1000.0)
                .param("id", id)
                .param("owner", owner)
                .update() == 1;
    }

    /** Extends every lease {@code owner} holds: the heartbeat of a live instance. */
    public int heartbeat(String owner, Duration lease) {
        return jdbc.sql("""
                update jobs set lease_expires_at = now() + make_interval(secs => :lease)
                where lease_owner = :owner and state in %s""".formatted(OPEN))
                .param("lease", lease.toMillis() / 1000.0)
                .param("owner", owner)
                .update();
    }

    /** Ends a leased job in a terminal state. */
    public boolean finish(UUID id, String owner, JobState state, String error) {
        return jdbc.sql("""
                update jobs set state = :state, error = :error, lease_owner = null, lease_expires_at = null,
                    updated_at = now(), finished_at = now(),
                    chunks_done = case when :state = 'done' then coalesce(chunks_total, 0) else chunks_done end
                where id = :id and lease_owner = :owner and state in %s""".formatted(OPEN))
                .param("state", state.wire())
                .param("error", error)
                .param("id", id)
                .param("owner", owner)
                .update() == 1;
    }

    /** Puts a leased job back in the queue until {@code delay} has passed, recording why. */
    public boolean retryLater(UUID id, String owner, Duration delay, String error) {
        return jdbc.sql("""
                update jobs set state = 'queued', error = :error, lease_owner = null, lease_expires_at = null,
                    next_attempt_at = now() + make_interval(secs => :delay), updated_at = now()
                where id = :id and lease_owner = :owner and state in %s""".formatted(OPEN))
                .param("error", error)
                .param("delay", delay.toMillis() / 1000.0)
                .param("id", id)
                .param("owner", owner)
                .update() == 1;
    }

    public Optional<Job> find(String tenant, UUID id) {
        return jdbc.sql("select * from jobs where id = :id and tenant = :tenant")
                .param("id", id)
                .param("tenant", tenant)
                .query(JobRepository::map)
                .optional();
    }

    public byte[] input(UUID id) {
        return jdbc.sql("select parsed from job_inputs where job_id = :id").param("id", id)
                .query((rs, n) -> rs.getBytes(1)).optional()
                .orElseThrow(() -> new IllegalStateException("job " + id + " has no input"));
    }

    public void dropInput(UUID id) {
        jdbc.sql("delete from job_inputs where job_id = :id").param("id", id).update();
    }

    static Job map(ResultSet rs, int row) throws SQLException {
        return new Job(rs.getObject("id", UUID.class), rs.getString("tenant"), rs.getString("collection"),
                rs.getString("document_id"), rs.getInt("version"), rs.getString("content_hash"),
                rs.getString("media_type"), rs.getString("title"), rs.getString("uri"), rs.getString("metadata"),
                rs.getString("acl"), JobState.fromWire(rs.getString("state")),
                (Integer) rs.getObject("chunks_total"), rs.getInt("chunks_done"), rs.getInt("attempts"),
                rs.getString("lease_owner"), rs.getString("error"), instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("updated_at")), instant(rs.getTimestamp("finished_at")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
