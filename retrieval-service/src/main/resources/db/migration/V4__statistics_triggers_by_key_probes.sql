-- The write path's lookups as key probes, whatever the statistics say (V3's trigger function, changed in its DELETE /
-- UPDATE branch only).
--
-- V3 deleted postings with DELETE ... USING (the old rows' lexemes) and V2 decremented lexeme_stats with
-- UPDATE ... FROM: joins that the planner may flatten and plan from the tables' statistics. When those predate the
-- collection (it was filled since the last ANALYZE, e.g. with autovacuum behind or off), collection_id = X looks
-- like one row, and the plan scanned the collection's whole posting list once per deleted posting, with lexeme and
-- chunk_id as filters: deleting a freshly filled 5,183-chunk SciFact collection (488,408 postings) ran for over ten
-- minutes before it was cancelled. Here each old (chunk, lexeme) pair finds its row by a LATERAL subquery with a
-- LIMIT (never flattened: an Index Cond on the whole primary key) and the row is then deleted or updated by its
-- ctid (a TID scan). Work is proportional to the rows written, never to the collection's size.
--
-- Updating lexeme_stats by ctid is safe because writers of one collection are serialised by the advisory lock
-- that PgVectorStore takes on the collection id (the rows cannot move between the probe and the update); postings
-- rows belong to one chunk, whose row this statement has deleted, so nothing else writes them.

CREATE OR REPLACE FUNCTION chunks_text_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        WITH k AS (SELECT x.ctid AS row_id
                     FROM old_rows o
                     CROSS JOIN LATERAL unnest(tsvector_to_array(o.tsv)) AS l(lexeme)
                     CROSS JOIN LATERAL (SELECT x.ctid FROM postings x
                                          WHERE x.collection_id = o.collection_id AND x.lexeme = l.lexeme
                                            AND x.chunk_id = o.id LIMIT 1) x)
        DELETE FROM postings p USING k WHERE p.ctid = k.row_id;
        WITH g AS (SELECT collection_id, lexeme, count(*) AS df
                     FROM old_rows, unnest(tsvector_to_array(tsv)) AS l(lexeme)
                    GROUP BY collection_id, lexeme),
             k AS (SELECT x.ctid AS row_id, g.df
                     FROM g CROSS JOIN LATERAL (SELECT x.ctid FROM lexeme_stats x
                                                 WHERE x.collection_id = g.collection_id AND x.lexeme = g.lexeme LIMIT 1) x)
        UPDATE lexeme_stats s SET df = s.df - k.df FROM k WHERE s.ctid = k.row_id;
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
