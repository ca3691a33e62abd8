DROP FUNCTION guild_refresh_ranks(BIGINT, INTEGER);
