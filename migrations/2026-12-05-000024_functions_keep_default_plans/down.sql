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
        EXECUTE format('ALTER FUNCTION %s RESET plan_cache_mode', f);
    END LOOP;
END
$$;
