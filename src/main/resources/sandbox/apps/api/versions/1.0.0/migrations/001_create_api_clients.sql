-- api 1.0.0: registered API clients (portable SQL: PostgreSQL and MariaDB)
CREATE TABLE api_clients (
  id INTEGER NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
