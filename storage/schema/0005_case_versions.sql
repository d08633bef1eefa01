-- 0005 case versions: grouping reads the ~200 newest cases of a platform for every new article. With a
-- version that changes on every write of a case row, a process can check its decoded copies against
-- (id, version) pairs read from a small covering index instead of reading and comparing every full row.
-- The version is random, not a counter: a rolled-back write can never hand a later, different write the
-- same version. Triggers set it, so every writer of the table (repositories, migrations, tools) bumps it.
ALTER TABLE cases ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_version ON cases (id, version);

CREATE TRIGGER cases_version_ai AFTER INSERT ON cases BEGIN
    UPDATE cases SET version = random() WHERE pk = new.pk;
END;
-- Any update that did not itself set a new version (the trigger's own update only touches version, and
-- recursive triggers are off, so it does not fire again).
CREATE TRIGGER cases_version_au AFTER UPDATE ON cases WHEN new.version IS old.version BEGIN
    UPDATE cases SET version = random() WHERE pk = new.pk;
END;
