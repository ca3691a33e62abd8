-- The inbox's batched statements (db::batch) run on connections of their own that use
-- generic plans (db::batch_pool): PostgreSQL then plans each of them once per connection
-- instead of at every run. The server's other connections keep the default, and so do the
-- statements inside our PL/pgSQL functions, whichever connection calls them: each function
-- sets plan_cache_mode to auto for its own run. (Only a batch connection's top-level
-- statements were measured with generic plans; see docs/performance.md, item 19.)
--
-- CREATE OR REPLACE FUNCTION replaces a function's settings with those it names, so a
-- migration that replaces one of these must say SET plan_cache_mode = auto again
-- (tests/batch_pool.rs checks every guild_ function).
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
          JOIN pg_language l ON l.oid = p.prolang
         WHERE n.nspname = current_schema()
           AND p.proname LIKE 'guild\_%'
           AND l.lanname = 'plpgsql'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = auto', f);
    END LOOP;
END
$$;
