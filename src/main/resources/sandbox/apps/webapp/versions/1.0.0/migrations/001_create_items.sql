-- webapp 1.0.0: the item catalogue (portable SQL: PostgreSQL and MariaDB)
CREATE TABLE items (
  id INTEGER NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO items (id, name) VALUES (1, 'welcome'), (2, 'sample');
