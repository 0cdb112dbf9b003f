-- Sample data for the "before" state, including a few orphan rows.
--
-- Row generators: a non-recursive digits CTE cross-joined with itself.
-- A recursive CTE would be shorter, but MariaDB stops recursion at
-- max_recursive_iterations (1000 by default), and this form runs unchanged
-- on SQLite, PostgreSQL and MariaDB/MySQL. Text is built with
-- REPLACE(template, '#', CAST(i AS VARCHAR(10))) because the three disagree
-- on concatenation (|| is logical OR in MySQL; SQLite before 3.44 has no CONCAT).

-- 50 users, ids 1..50.
INSERT INTO users (id, email, name)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i, REPLACE('user#@example.com', '#', CAST(i AS VARCHAR(10))), REPLACE('User #', '#', CAST(i AS VARCHAR(10)))
FROM seq WHERE i <= 50;

-- 500 legacy scripts; each became the event with the same id.
INSERT INTO scripts (id, user_id, name, content)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i, i % 50 + 1, REPLACE('Script #', '#', CAST(i AS VARCHAR(10))), REPLACE('run(#)', '#', CAST(i AS VARCHAR(10)))
FROM seq WHERE i <= 500;

-- 500 events with the legacy "key=value;..." config: cron, webhook, manual.
INSERT INTO events (id, user_id, name, config, is_active)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i, i % 50 + 1, REPLACE('Event #', '#', CAST(i AS VARCHAR(10))),
       REPLACE(CASE i % 3
                 WHEN 0 THEN 'trigger=cron;schedule=*/15 * * * *;timeout=#'
                 WHEN 1 THEN 'trigger=webhook;path=/hooks/event;timeout=#'
                 ELSE 'trigger=manual;timeout=#'
               END, '#', CAST((i % 6 + 1) * 10 AS VARCHAR(10))),
       CASE WHEN i % 10 = 0 THEN FALSE ELSE TRUE END
FROM seq WHERE i <= 500;

-- 100 workflows; 5 active ones have no definition (migrate-workflows flags them).
INSERT INTO workflows (id, user_id, name, definition, status)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i, i % 50 + 1, REPLACE('Workflow #', '#', CAST(i AS VARCHAR(10))),
       CASE WHEN i % 20 = 1 THEN NULL
            ELSE REPLACE('{"steps": [{"event_id": #}]}', '#', CAST(i AS VARCHAR(10))) END,
       CASE WHEN i % 4 = 0 THEN 'draft' ELSE 'active' END
FROM seq WHERE i <= 100;

-- 20,000 jobs with the legacy status vocabulary: the table phase 3 backfills.
INSERT INTO jobs (id, event_id, status, output)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n
           FROM d a CROSS JOIN d b CROSS JOIN d c CROSS JOIN d e CROSS JOIN d f)
SELECT i, i % 500 + 1,
       CASE i % 10 WHEN 0 THEN 'error' WHEN 1 THEN 'queued' WHEN 2 THEN 'running' ELSE 'ok' END,
       CASE WHEN i % 10 = 0 THEN 'exit code 1' ELSE NULL END
FROM seq WHERE i <= 20000;

-- 200 old execution records; each has its job (same id).
INSERT INTO script_executions (id, event_id, status)
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i, i % 500 + 1, 'done'
FROM seq WHERE i <= 200;

-- The tool tables are filled with positional INSERTs (all columns, in table
-- order) so that this file never names the camelCase "userId" column, which
-- PostgreSQL and MySQL quote differently.

-- 300 audit log rows: 3 orphans (users 901-903 do not exist), 2 system rows (NULL).
INSERT INTO tool_audit_logs
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i,
       CASE WHEN i <= 3 THEN 900 + i WHEN i <= 5 THEN NULL ELSE i % 50 + 1 END,
       CASE i % 3 WHEN 0 THEN 'web-search' WHEN 1 THEN 'code-runner' ELSE 'image-gen' END,
       'invoke', CURRENT_TIMESTAMP
FROM seq WHERE i <= 300;

-- 100 rate-limit windows: 2 orphans (users 951 and 952).
INSERT INTO tool_rate_limits
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i,
       CASE WHEN i <= 2 THEN 950 + i ELSE i % 50 + 1 END,
       CASE i % 3 WHEN 0 THEN 'web-search' WHEN 1 THEN 'code-runner' ELSE 'image-gen' END,
       CURRENT_TIMESTAMP, i % 7
FROM seq WHERE i <= 100;

-- 50 quotas: 1 orphan (user 999).
INSERT INTO user_tool_quotas
WITH d(n) AS (SELECT 0 UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
         UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9),
     seq(i) AS (SELECT 1 + a.n + 10 * b.n + 100 * c.n FROM d a CROSS JOIN d b CROSS JOIN d c)
SELECT i, CASE WHEN i = 1 THEN 999 ELSE i END, 'code-runner', 1000, i * 3
FROM seq WHERE i <= 50;
