-- Schema of the PostgreSQL flow store. Idempotent: the compose file runs it when the database volume is
-- created, and every service instance runs it again at start-up (under an advisory lock), so a bare
-- database works too.

-- Hourly totals per flow. The primary key leads with `hour`, so `GET /flows?hour=N` is a range scan of
-- the primary-key index, in key order (which is also what keyset paging and cursors walk).
CREATE TABLE IF NOT EXISTS flow_totals (
  hour     integer NOT NULL,
  src_app  text    NOT NULL,
  dest_app text    NOT NULL,
  vpc_id   text    NOT NULL,
  bytes_tx bigint  NOT NULL,
  bytes_rx bigint  NOT NULL,
  PRIMARY KEY (hour, src_app, dest_app, vpc_id),
  -- BIGINT would hold 2^63-1; the service promises exact JavaScript integers, so a total past 2^53-1
  -- fails the statement and the whole batch's transaction rolls back.
  CONSTRAINT flow_totals_bytes_tx_exact CHECK (bytes_tx BETWEEN 0 AND 9007199254740991),
  CONSTRAINT flow_totals_bytes_rx_exact CHECK (bytes_rx BETWEEN 0 AND 9007199254740991)
);

-- Minute counts shared by every instance. At each window boundary every instance writes the distinct flow
-- keys it committed in the window; the instance that publishes a closed window (emitter.ts) deletes its rows.
CREATE TABLE IF NOT EXISTS flow_minute_keys (
  minute   bigint  NOT NULL, -- window start, milliseconds since the epoch
  hour     integer NOT NULL,
  src_app  text    NOT NULL,
  dest_app text    NOT NULL,
  vpc_id   text    NOT NULL,
  PRIMARY KEY (minute, hour, src_app, dest_app, vpc_id)
);

-- Records and bytes per minute and instance, written with the keys.
CREATE TABLE IF NOT EXISTS flow_minute_stats (
  minute   bigint  NOT NULL,
  instance text    NOT NULL,
  records  bigint  NOT NULL,
  bytes_tx numeric NOT NULL,
  bytes_rx numeric NOT NULL,
  PRIMARY KEY (minute, instance)
);

-- One row: the last window closed to writers, and the last window whose count was published.
CREATE TABLE IF NOT EXISTS flow_count_state (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  closed_through  bigint,
  emitted_through bigint
);
INSERT INTO flow_count_state (id) VALUES (true) ON CONFLICT (id) DO NOTHING;

-- One row per committed write transaction. A transaction retried after its connection was lost while
-- committing inserts the same id again: a duplicate means the first attempt did commit, so a retry can
-- never apply a batch twice. Rows older than an hour are pruned.
CREATE TABLE IF NOT EXISTS flow_commits (
  id         uuid        PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Idempotency-Key of each applied batch, inserted in the batch's own transaction, so a key exists exactly
-- when its batch does, for every instance and across restarts. `key` is already scoped to the caller's
-- API key. An expired row may be taken over by a new request with the same key, and is purged in the
-- background (by expiry, hence the index).
CREATE TABLE IF NOT EXISTS flow_idempotency_keys (
  key        text        PRIMARY KEY,
  body_hash  text        NOT NULL,
  accepted   integer     NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS flow_idempotency_keys_expires_at ON flow_idempotency_keys (expires_at);

-- Instances counting minutes together: how far each has written its share of the minute counts, and
-- when it was last heard of. Each joins at start-up and leaves at shutdown; the emitter publishes a
-- window once every live instance has written it, and forgets an instance not heard of for a while.
CREATE TABLE IF NOT EXISTS flow_instances (
  instance        text        PRIMARY KEY,
  written_through bigint      NOT NULL,
  seen_at         timestamptz NOT NULL
);

-- The number of rows of flow_totals, without counting them: each write transaction adds the flows it
-- created to one shard (each instance's concurrent writers to different ones, so they never wait for each
-- other on one hot row), and the count is the sum of the shards. Anything that deletes totals must
-- subtract them here in the same transaction.
CREATE TABLE IF NOT EXISTS flow_count_shards (
  shard integer PRIMARY KEY,
  flows bigint  NOT NULL
);
-- A database written before this table existed: its totals are counted once, when it is created (empty).
INSERT INTO flow_count_shards (shard, flows)
SELECT 0, count(*) FROM flow_totals WHERE NOT EXISTS (SELECT 1 FROM flow_count_shards)
ON CONFLICT (shard) DO NOTHING;

-- Published minute counts, for GET /counts: one row per window for the whole cluster, written by the
-- instance that published it (a re-publication after a crash overwrites the same row). Rows older than
-- COUNTS_RETENTION_HOURS before the newest are deleted as counts are written.
CREATE TABLE IF NOT EXISTS flow_minute_counts (
  minute       bigint  PRIMARY KEY, -- window start, milliseconds since the epoch
  unique_flows bigint  NOT NULL,
  records      bigint  NOT NULL,
  bytes_tx     numeric NOT NULL,
  bytes_rx     numeric NOT NULL,
  partial      boolean NOT NULL DEFAULT false
);
