-- An inverted index as a table: one row per (collection, lexeme, chunk) with the term frequency and the chunk's
-- length, kept by the same statement-level triggers as lexeme_stats (V2).
--
-- Why not the GIN index on chunks.tsv: under row-level security PostgreSQL only uses a condition as an index
-- condition before the policy's own when its function is LEAKPROOF, and tsvector @@ tsquery (ts_match_vq) is not
-- (only a superuser can mark it). EXPLAIN as the service role shows every lexical query scanning all of the
-- collection's rows; the GIN index was never used. Equality on bigint and text is leakproof, so a btree on
-- (collection_id, lexeme, chunk_id) serves a query's terms under RLS, and its INCLUDEd columns let BM25 be computed
-- from the index alone.

CREATE TABLE postings (
    collection_id bigint   NOT NULL,
    lexeme        text     NOT NULL,
    chunk_id      bigint   NOT NULL,
    tenant        text     NOT NULL,
    tf            smallint NOT NULL,   -- occurrences of the lexeme in the chunk (tsvector positions, at most 256)
    len           integer  NOT NULL,   -- length(tsv) of the chunk: its distinct lexemes
    PRIMARY KEY (collection_id, lexeme, chunk_id) INCLUDE (tenant, tf, len)
);

ALTER TABLE postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE postings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON postings
    USING (tenant = current_setting('app.tenant', true))
    WITH CHECK (tenant = current_setting('app.tenant', true));

CREATE OR REPLACE FUNCTION chunks_text_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM postings p
         USING (SELECT o.collection_id, l.lexeme, o.id FROM old_rows o, unnest(o.tsv) AS l) x
         WHERE p.collection_id = x.collection_id AND p.lexeme = x.lexeme AND p.chunk_id = x.id;
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
        INSERT INTO postings (collection_id, lexeme, chunk_id, tenant, tf, len)
        SELECT n.collection_id, l.lexeme, n.id, n.tenant, least(coalesce(cardinality(l.positions), 1), 32767), length(n.tsv)
          FROM new_rows n, unnest(n.tsv) AS l;
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

-- Neither GIN index can serve the service's queries under RLS (@@ and the jsonb operators are not leakproof, and
-- the filters use #>, which no index serves); they only cost writes.
DROP INDEX chunks_tsv;
DROP INDEX chunks_metadata;

-- Backfill (row security lifted for this transaction only, as in V2).
ALTER TABLE chunks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE postings NO FORCE ROW LEVEL SECURITY;
INSERT INTO postings (collection_id, lexeme, chunk_id, tenant, tf, len)
SELECT c.collection_id, l.lexeme, c.id, c.tenant, least(coalesce(cardinality(l.positions), 1), 32767), length(c.tsv)
  FROM chunks c, unnest(c.tsv) AS l;
ALTER TABLE chunks FORCE ROW LEVEL SECURITY;
ALTER TABLE postings FORCE ROW LEVEL SECURITY;
