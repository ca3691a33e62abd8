DROP INDEX people_search_idx, communities_search_idx, comments_search_idx, posts_search_idx;
DROP TABLE post_reads;
DROP TABLE post_saves;
DROP TABLE login_tokens;
ALTER TABLE site DROP COLUMN jwt_secret;
