-- webapp 1.2.0: orders of items
CREATE TABLE orders (
  id INTEGER NOT NULL PRIMARY KEY,
  item_id INTEGER NOT NULL,
  quantity INTEGER NOT NULL,
  ordered_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT orders_item_fk FOREIGN KEY (item_id) REFERENCES items (id)
);
CREATE INDEX orders_item_idx ON orders (item_id);
