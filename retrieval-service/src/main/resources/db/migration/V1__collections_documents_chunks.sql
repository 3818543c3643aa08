-- Collections, documents and chunks of every tenant, isolated by row-level security on app.tenant.
--
-- Vectors: one table for all collections with an unconstrained `vector` column, and per collection a PARTIAL
-- HNSW index on an expression that casts to that collection's dimension, created when the collection is:
--   CREATE INDEX chunks_hnsw_c42 ON chunks USING hnsw ((embedding::vector(384)) vector_cosine_ops)
--     WITH (m = 16, ef_construction = 64) WHERE collection_id = 42;
-- (or ((embedding::halfvec(384)) halfvec_cosine_ops) for halfvec collections). Queries order by the same
-- expression under `collection_id = ?`, so each collection gets its own HNSW graph of the right dimension,
-- collections of different dimensions share the table, and dropping a collection drops its graph.

-- Normally created by a superuser beforehand (the service's role is not one); a no-op then.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE collections (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant          text        NOT NULL,
    name            text        NOT NULL,
    embedding_model text        NOT NULL,
    dimension       integer     NOT NULL CHECK (dimension BETWEEN 1 AND 4000),
    vector_type     text        NOT NULL CHECK (vector_type IN ('vector', 'halfvec')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, name)
);

CREATE TABLE documents (
    collection_id bigint      NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    document_id   text        NOT NULL,
    tenant        text        NOT NULL,
    title         text,
    uri           text,
    content_hash  text,
    version       bigint      NOT NULL,
    metadata      jsonb       NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection_id, document_id)
);

CREATE TABLE chunks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id bigint  NOT NULL,
    document_id   text    NOT NULL,
    tenant        text    NOT NULL,
    chunk_index   integer NOT NULL,
    text          text    NOT NULL,
    start_offset  integer NOT NULL,
    end_offset    integer NOT NULL,
    page          integer,
    heading_path  text[]  NOT NULL DEFAULT '{}',
    metadata      jsonb   NOT NULL DEFAULT '{}',   -- the document's metadata, copied so filters need no join
    embedding     vector  NOT NULL,
    tsv           tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    FOREIGN KEY (collection_id, document_id) REFERENCES documents (collection_id, document_id) ON DELETE CASCADE,
    UNIQUE (collection_id, document_id, chunk_index)
);

CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
CREATE INDEX chunks_metadata ON chunks USING gin (metadata jsonb_path_ops);

-- The service connects as the tables' owner; FORCE makes the policies bind the owner too (only a superuser or a
-- BYPASSRLS role escapes them, and the service is neither). An unset app.tenant matches no row.
ALTER TABLE collections ENABLE ROW LEVEL SECURITY;
ALTER TABLE collections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON collections
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));

ALTER TABLE chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON chunks
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));
