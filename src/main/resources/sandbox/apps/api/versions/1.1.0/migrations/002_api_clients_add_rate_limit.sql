-- api 1.1.0: per-client rate limit (requests per minute)
ALTER TABLE api_clients ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 100;
