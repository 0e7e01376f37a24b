-- webapp 2.0.0-broken: DELIBERATELY FAILING migration (sandbox rollback scenario).
-- The first statement succeeds; the second refers to a column nobody added and fails, so a runner that does not
-- wrap the file in one transaction leaves the schema half-migrated and the migrate-database runbook must restore.
ALTER TABLE orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'new';
CREATE INDEX orders_customer_idx ON orders (customer_id);
