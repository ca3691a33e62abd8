DROP FUNCTION guild_record_received(TEXT, TEXT[], TEXT[], TEXT[], JSONB[], TEXT[], TEXT[], TEXT[], TEXT[]);
