-- webapp 1.1.0: items get a price
ALTER TABLE items ADD COLUMN price_cents INTEGER NOT NULL DEFAULT 0;
