DROP TABLE delivery_workers;
ALTER TABLE instances DROP COLUMN delivery_paused_until, DROP COLUMN failing_since, DROP COLUMN unreachable;
DROP INDEX deliveries_pending_idx, deliveries_order_idx, deliveries_finished_idx;
CREATE INDEX deliveries_pending_idx ON deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
ALTER TABLE deliveries DROP COLUMN instance_domain, DROP COLUMN object_key, DROP COLUMN claimed_by, DROP COLUMN claimed_until;
