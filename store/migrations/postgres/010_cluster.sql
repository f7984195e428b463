-- Work shared by several servers on one database (PostgreSQL), claimed with leases; on SQLite the
-- one server holds every lease. A lease whose holder died runs out at until_at and is taken over.
CREATE TABLE leases (
	name     TEXT PRIMARY KEY,
	owner    TEXT NOT NULL,
	until_at TEXT NOT NULL
);

-- The latest answer of a bank about a decoupled (BankID) order, by the server polling it, for
-- the other servers' pages: one bank poll per order for the whole cluster.
CREATE TABLE sca_frames (
	auth_id  TEXT PRIMARY KEY,
	sca      TEXT NOT NULL,
	asked_at TEXT NOT NULL
);
