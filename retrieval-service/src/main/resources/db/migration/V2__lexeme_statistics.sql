-- Per-collection full-text statistics for bounded BM25-style lexical search (PgVectorStore.lexical):
--   lexeme_stats(collection_id, lexeme) = df, the number of the collection's chunks whose tsv holds the lexeme;
--   collections.chunk_count / lexeme_total = N and the sum of length(tsv) (distinct lexemes per chunk), for IDF and
--   the average length.
-- With df known, a query ranks only the chunks that hold its rarest terms (bounded, whatever the corpus size) with
-- IDF weights, instead of ts_rank over every chunk that holds any term. Statement-level triggers with transition
-- tables keep the figures exact under every write path: the store's replace/delete, cascades from documents and
-- collections, bulk loads. Writers of one collection take an advisory lock (PgVectorStore), so the row locks on
-- lexeme_stats never deadlock.

ALTER TABLE collections
    ADD COLUMN chunk_count  bigint NOT NULL DEFAULT 0,
    ADD COLUMN lexeme_total bigint NOT NULL DEFAULT 0;

CREATE TABLE lexeme_stats (
    collection_id bigint  NOT NULL,   -- no foreign key: rows go with their collection (PgVectorStore.deleteCollection)
    lexeme        text    NOT NULL,
    tenant        text    NOT NULL,
    df            integer NOT NULL,
    PRIMARY KEY (collection_id, lexeme)
);

ALTER TABLE lexeme_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE lexeme_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lexeme_stats
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));

CREATE FUNCTION chunks_text_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE lexeme_stats s SET df = s.df - o.df
          FROM (SELECT collection_id, lexeme, count(*) AS df
                  FROM old_rows, unnest(tsvector_to_array(tsv)) AS l(lexeme)
                 GROUP BY collection_id, lexeme) o
         WHERE s.collection_id = o.collection_id AND s.lexeme = o.lexeme;
        UPDATE collections c SET chunk_count = c.chunk_count - o.n, lexeme_total = c.lexeme_total - o.total
          FROM (SELECT collection_id, count(*) AS n, sum(length(tsv)) AS total FROM old_rows GROUP BY collection_id) o
         WHERE c.id = o.collection_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- In key order, so that two writers lock shared rows in the same order.
        INSERT INTO lexeme_stats AS s (collection_id, lexeme, tenant, df)
        SELECT collection_id, lexeme, min(tenant), count(*)
          FROM new_rows, unnest(tsvector_to_array(tsv)) AS l(lexeme)
         GROUP BY collection_id, lexeme
         ORDER BY collection_id, lexeme
        ON CONFLICT (collection_id, lexeme) DO UPDATE SET df = s.df + EXCLUDED.df;
        UPDATE collections c SET chunk_count = c.chunk_count + x.n, lexeme_total = c.lexeme_total + x.total
          FROM (SELECT collection_id, count(*) AS n, sum(length(tsv)) AS total FROM new_rows GROUP BY collection_id) x
         WHERE c.id = x.collection_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER chunks_text_stats_insert AFTER INSERT ON chunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION chunks_text_stats();
CREATE TRIGGER chunks_text_stats_update AFTER UPDATE ON chunks
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION chunks_text_stats();
CREATE TRIGGER chunks_text_stats_delete AFTER DELETE ON chunks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION chunks_text_stats();

-- Backfill from the rows already stored. Row security is FORCEd on the owner that migrates; lift it for this
-- transaction only (DDL is transactional: it is back on before anything commits).
ALTER TABLE chunks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE collections NO FORCE ROW LEVEL SECURITY;
ALTER TABLE lexeme_stats NO FORCE ROW LEVEL SECURITY;
INSERT INTO lexeme_stats (collection_id, lexeme, tenant, df)
SELECT collection_id, lexeme, min(tenant), count(*)
  FROM chunks, unnest(tsvector_to_array(tsv)) AS l(lexeme)
 GROUP BY collection_id, lexeme;
UPDATE collections c SET chunk_count = x.n, lexeme_total = x.total
  FROM (SELECT collection_id, count(*) AS n, sum(length(tsv)) AS total FROM chunks GROUP BY collection_id) x
 WHERE c.id = x.collection_id;
ALTER TABLE chunks FORCE ROW LEVEL SECURITY;
ALTER TABLE collections FORCE ROW LEVEL SECURITY;
ALTER TABLE lexeme_stats FORCE ROW LEVEL SECURITY;
