-- Policies: every version kept; the newest one of a tenant is in force. Written by PUT /v1/policies and
-- never changed afterwards (the trigger refuses UPDATE, DELETE and TRUNCATE).
CREATE TABLE approval.policies (
  tenant        text        NOT NULL,
  version       integer     NOT NULL CHECK (version > 0),
  document      jsonb       NOT NULL,
  digest        text        NOT NULL,
  published_by  text        NOT NULL,
  published_at  timestamptz NOT NULL,
  event_id      uuid        NOT NULL UNIQUE,
  PRIMARY KEY (tenant, version)
);

CREATE FUNCTION approval.refuse_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on %.% refused: policy versions are immutable', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME;
END $$;

CREATE TRIGGER policies_immutable BEFORE UPDATE OR DELETE ON approval.policies
  FOR EACH ROW EXECUTE FUNCTION approval.refuse_mutation();
CREATE TRIGGER policies_no_truncate BEFORE TRUNCATE ON approval.policies
  FOR EACH STATEMENT EXECUTE FUNCTION approval.refuse_mutation();

-- The change view: a projection of audit.committed.v1, keyed by (tenant, seq) so replays are no-ops,
-- dropped and rebuilt by `rebuild`. change_events holds the decider's input; the other tables are the
-- same facts laid out for people and queries.
CREATE TABLE approval.change_events (
  tenant      text        NOT NULL,
  seq         bigint      NOT NULL,
  change_id   text        NOT NULL,
  type        text        NOT NULL,
  event       jsonb       NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq, change_id)
);
CREATE INDEX change_events_by_change ON approval.change_events (tenant, change_id, seq);

CREATE TABLE approval.changes (
  tenant          text        NOT NULL,
  change_id       text        NOT NULL,
  requested_seq   bigint      NOT NULL,
  requester_id    text        NOT NULL,
  requester_roles text[]      NOT NULL,
  requester_teams text[]      NOT NULL,
  environment     text        NOT NULL,
  resource_kind   text        NOT NULL,
  resource_id     text        NOT NULL,
  reason          text,
  requested_at    timestamptz NOT NULL,
  cancelled_seq   bigint,
  cancel_reason   text,
  PRIMARY KEY (tenant, change_id)
);

-- Which commits a change deploys: GitHub reviews (which know no change id) are matched through them.
CREATE TABLE approval.change_commits (
  tenant    text   NOT NULL,
  repo      text   NOT NULL,
  sha       text   NOT NULL,
  change_id text   NOT NULL,
  author    text,
  seq       bigint NOT NULL,
  PRIMARY KEY (tenant, repo, sha, change_id)
);

CREATE TABLE approval.plans (
  tenant          text        NOT NULL,
  seq             bigint      NOT NULL,
  change_id       text        NOT NULL,
  digest          text        NOT NULL,
  summary         jsonb,
  artifact_digest text,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq)
);

-- Approvals with the approver's roles and teams AS RECORDED on the approval event.
CREATE TABLE approval.approvals (
  tenant         text        NOT NULL,
  seq            bigint      NOT NULL,
  change_id      text        NOT NULL,
  approver_id    text        NOT NULL,
  approver_roles text[]      NOT NULL,
  approver_teams text[]      NOT NULL,
  plan_digest    text,
  via            text        NOT NULL CHECK (via IN ('api', 'github')),
  comment        text,
  approved_at    timestamptz NOT NULL,
  revoked_seq    bigint,
  PRIMARY KEY (tenant, seq, change_id)
);

CREATE TABLE approval.rejections (
  tenant         text        NOT NULL,
  seq            bigint      NOT NULL,
  change_id      text        NOT NULL,
  rejecter_id    text        NOT NULL,
  rejecter_roles text[]      NOT NULL,
  rejecter_teams text[]      NOT NULL,
  plan_digest    text,
  via            text        NOT NULL CHECK (via IN ('api', 'github')),
  reason         text        NOT NULL,
  rejected_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq, change_id)
);

CREATE TABLE approval.break_glass (
  tenant       text        NOT NULL,
  seq          bigint      NOT NULL,
  change_id    text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('invoked', 'reviewed')),
  actor_id     text        NOT NULL,
  actor_teams  text[]      NOT NULL,
  reason       text,
  at           timestamptz NOT NULL,
  PRIMARY KEY (tenant, seq, change_id)
);
CREATE INDEX break_glass_invoked ON approval.break_glass (at) WHERE kind = 'invoked';

-- Overdue break-glass reviews already announced (operational memory of the sweeper, not part of the
-- view: a rebuild keeps it, so an overdue review is announced once).
CREATE TABLE approval.overdue_reviews_signalled (
  tenant      text        NOT NULL,
  change_id   text        NOT NULL,
  invoked_seq bigint      NOT NULL,
  event_id    uuid        NOT NULL,
  signalled_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, change_id, invoked_seq)
);
