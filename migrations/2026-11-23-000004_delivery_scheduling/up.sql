-- Scheduling the delivery queue: which peer a delivery goes to, which object it is about
-- (deliveries about one object go in order), and which worker holds it.
ALTER TABLE deliveries
    ADD COLUMN instance_domain TEXT NOT NULL DEFAULT '',
    ADD COLUMN object_key TEXT NOT NULL DEFAULT '',
    ADD COLUMN claimed_by UUID,
    ADD COLUMN claimed_until TIMESTAMPTZ;
DROP INDEX deliveries_pending_idx;
-- The queue itself, oldest first: only what is still to deliver.
CREATE INDEX deliveries_pending_idx ON deliveries (id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
-- "Is an earlier delivery about this object to this inbox still pending?" No other partial
-- index on pending rows may compete with this one: on a table without statistics yet, the
-- planner would pick the wrong one and the claim would turn quadratic.
CREATE INDEX deliveries_order_idx ON deliveries (inbox_url, object_key, id)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX deliveries_finished_idx ON deliveries (created_at)
    WHERE delivered_at IS NOT NULL OR failed_at IS NOT NULL;

-- How each peer is doing as a receiver.
ALTER TABLE instances
    ADD COLUMN delivery_paused_until TIMESTAMPTZ,
    ADD COLUMN failing_since TIMESTAMPTZ,
    ADD COLUMN unreachable BOOLEAN NOT NULL DEFAULT FALSE;

-- Delivery workers alive, so that the deliveries of one that died are released at once.
CREATE TABLE delivery_workers (
    id UUID PRIMARY KEY,
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
