-- SPDX-License-Identifier: MIT
-- Benchmark input for the sqlite3 shell: 200,000 rows inserted into a table with two
-- indexes, then a group-by. Run as `sqlite3 :memory: < sqlite_workload.sql`.
CREATE TABLE items(id INTEGER PRIMARY KEY, bucket INTEGER, name TEXT, price REAL);
CREATE INDEX items_bucket ON items(bucket);
CREATE INDEX items_name ON items(name);
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000)
INSERT INTO items(bucket, name, price)
  SELECT x % 997, 'item-' || ((x * 7919) % 200000), (x % 1000) * 0.25 FROM n;
COMMIT;
SELECT bucket, count(*), round(sum(price), 2) FROM items GROUP BY bucket ORDER BY 3 DESC LIMIT 3;
