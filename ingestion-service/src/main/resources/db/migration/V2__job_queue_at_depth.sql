-- The queue at depth (thousands of queued jobs, SciFact's 5,183 documents at once): every state change of a job
-- rewrites its index entries (state is in a partial index's predicate, so no update is HOT), and the claim walked
-- jobs_open in seq order across the dead and running entries before the first queued one. Queued jobs get an index
-- of their own, expired leases another (JobRepository.claim asks each), and the table is vacuumed long before the
-- default 20 % of dead rows.
create index jobs_queued on jobs (seq) where state = 'queued';
create index jobs_leased on jobs (lease_expires_at) where state in ('parsing', 'chunking', 'embedding', 'indexing');
create index jobs_lease_owner on jobs (lease_owner) where lease_owner is not null;
alter table jobs set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 200,
                      autovacuum_analyze_scale_factor = 0.05, fillfactor = 80);
