-- 0003 placeholder (branch `workers` only). The migration loader refuses gaps, and PostgreSQL 0003 is being
-- written on another branch; this file only lets 0004 load here. Delete it when that branch's 0003 is
-- merged (a database migrated by this branch records version 3 under this file's name: recreate it).
SELECT 1;
