-- The latest accepted version of every document, per tenant and collection. Its row lock serialises a
-- document's enqueue, index and delete, so a delete and an index of the same document never interleave.
create table documents (
    tenant          text        not null,
    collection      text        not null,
    document_id     text        not null,
    version         integer     not null,
    content_hash    text        not null,
    media_type      text        not null,
    title           text,
    uri             text,
    deleted         boolean     not null default false,
    indexed_version integer,
    chunks          integer,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (tenant, collection, document_id)
);

-- The work queue. Workers claim with FOR UPDATE SKIP LOCKED and hold a lease that heartbeats extend; a job
-- whose lease expired (its worker died) is claimed again. Jobs of one document run in seq order.
create table jobs (
    id               uuid        primary key,
    seq              bigserial   not null unique,
    tenant           text        not null,
    collection       text        not null,
    document_id      text        not null,
    version          integer     not null,
    content_hash     text        not null,
    media_type       text        not null,
    title            text,
    uri              text,
    metadata         jsonb       not null default '{}'::jsonb,
    acl              jsonb,
    state            text        not null,
    chunks_total     integer,
    chunks_done      integer     not null default 0,
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    error            text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    finished_at      timestamptz
);

create index jobs_open on jobs (seq) where state not in ('done', 'failed', 'superseded', 'cancelled');
create index jobs_by_document on jobs (tenant, collection, document_id, seq);

-- What the job works on: the parse result (gzip'd JSON of text and blocks), kept in the database so that any
-- instance can run any job and nothing is lost with a crashed instance's disk.
create table job_inputs (
    job_id uuid  primary key references jobs (id) on delete cascade,
    parsed bytea not null
);
