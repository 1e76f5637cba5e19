-- The flow editor: node positions kept beside the draft (a layout move never changes the
-- flow's source), a revision that makes an edit on a stale draft a conflict, and a note on
-- each published version (PostgreSQL dialect).

ALTER TABLE flows ADD COLUMN layout TEXT NOT NULL DEFAULT '{}';
ALTER TABLE flows ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE flow_versions ADD COLUMN note TEXT NOT NULL DEFAULT '';
