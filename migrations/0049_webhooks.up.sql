-- Webhooks: admins register URLs per event; each event writes, in the
-- transaction that caused it, one delivery per subscribed webhook and a
-- job that sends it (server/webhook_sender.go: HMAC-SHA256 signature,
-- retries with backoff through the job queue). Nothing is written while no
-- webhook listens to an event.
CREATE TABLE IF NOT EXISTS webhooks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url        text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    events     text[] NOT NULL CHECK (cardinality(events) > 0),
    secret     text NOT NULL CHECK (length(secret) BETWEEN 16 AND 200),
    active     boolean NOT NULL DEFAULT true,
    created_by bigint REFERENCES members (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    response_status integer,
    response_body   text NOT NULL DEFAULT '',
    error           text NOT NULL DEFAULT '',
    duration_ms     integer,
    redelivery_of   bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    delivered_at    timestamptz
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_of_hook ON webhook_deliveries (webhook_id, id DESC);
CREATE INDEX IF NOT EXISTS webhook_deliveries_created ON webhook_deliveries (created_at);

-- webhook_emit records an event for every active webhook that listens to
-- it, with the job that delivers it.
CREATE OR REPLACE FUNCTION webhook_emit(p_event text, p_data jsonb) RETURNS void LANGUAGE sql AS $$
    WITH d AS (
        INSERT INTO webhook_deliveries (webhook_id, event, payload)
        SELECT w.id, p_event, p_data FROM webhooks w WHERE w.active AND p_event = ANY (w.events)
        RETURNING id
    )
    INSERT INTO jobs (kind, payload, max_attempts)
    SELECT 'webhook.deliver', jsonb_build_object('delivery_id', d.id), 8 FROM d
$$;

-- webhook_listened says whether any active webhook listens to an event:
-- the triggers below do nothing more when none does.
CREATE OR REPLACE FUNCTION webhook_listened(p_event text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM webhooks WHERE active AND p_event = ANY (events))
$$;

-- What a post is in an event.
CREATE OR REPLACE FUNCTION webhook_post(p_id bigint) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'post', jsonb_build_object('id', p.id, 'thread_id', p.thread_id, 'number', p.number, 'status', p.status,
            'author', m.username, 'reply_to', p.reply_to, 'body_markdown', p.body_markdown, 'created_at', p.created_at,
            'url', '/p/' || p.id),
        'thread', jsonb_build_object('id', t.id, 'title', t.title, 'category_id', t.category_id, 'category', c.slug))
    FROM posts p
    JOIN threads t ON t.id = p.thread_id
    JOIN categories c ON c.id = t.category_id
    LEFT JOIN members m ON m.id = p.author_id
    WHERE p.id = p_id
$$;

-- post.published and post.held when posts are stored (one statement for a
-- batch of replies).
CREATE OR REPLACE FUNCTION webhook_posts_stored() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF NOT (webhook_listened('post.published') OR webhook_listened('post.held')) THEN
        RETURN NULL;
    END IF;
    FOR r IN SELECT s.id, s.status FROM stored s WHERE s.status IN ('published', 'held') ORDER BY s.id LOOP
        PERFORM webhook_emit('post.' || r.status, webhook_post(r.id));
    END LOOP;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS posts_webhooks_stored ON posts;
CREATE TRIGGER posts_webhooks_stored AFTER INSERT ON posts REFERENCING NEW TABLE AS stored
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_posts_stored();

-- A held post approved is published; a published post a moderator holds is
-- held.
CREATE OR REPLACE FUNCTION webhook_post_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event text := CASE WHEN NEW.status = 'held' THEN 'post.held' ELSE 'post.published' END;
BEGIN
    IF webhook_listened(event) THEN
        PERFORM webhook_emit(event, webhook_post(NEW.id));
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS posts_webhooks_status ON posts;
CREATE TRIGGER posts_webhooks_status AFTER UPDATE OF status ON posts FOR EACH ROW
    WHEN ((OLD.status = 'held' AND NEW.status = 'published') OR (OLD.status <> 'held' AND NEW.status = 'held'))
    EXECUTE FUNCTION webhook_post_status();

-- report.filed
CREATE OR REPLACE FUNCTION webhook_report_filed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_listened('report.filed') THEN
        PERFORM webhook_emit('report.filed', jsonb_build_object('report', jsonb_build_object(
            'id', NEW.id, 'review_item_id', NEW.review_item_id, 'reason', NEW.reason, 'post_id', NEW.post_id,
            'member', (SELECT username FROM members WHERE id = NEW.member_id),
            'reporter', (SELECT username FROM members WHERE id = NEW.reporter_id), 'created_at', NEW.created_at)));
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS reports_webhooks ON reports;
CREATE TRIGGER reports_webhooks AFTER INSERT ON reports FOR EACH ROW EXECUTE FUNCTION webhook_report_filed();

-- review.resolved
CREATE OR REPLACE FUNCTION webhook_review_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_listened('review.resolved') THEN
        PERFORM webhook_emit('review.resolved', jsonb_build_object('review_item', jsonb_build_object(
            'id', NEW.id, 'kind', NEW.kind, 'status', NEW.status, 'resolution', NEW.resolution, 'post_id', NEW.post_id,
            'member', (SELECT username FROM members WHERE id = NEW.member_id),
            'resolved_by', (SELECT username FROM members WHERE id = NEW.resolved_by), 'resolved_at', NEW.resolved_at)));
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS review_items_webhooks ON review_items;
CREATE TRIGGER review_items_webhooks AFTER UPDATE OF status ON review_items FOR EACH ROW
    WHEN (OLD.status = 'pending' AND NEW.status <> 'pending')
    EXECUTE FUNCTION webhook_review_resolved();

-- member.sanctioned
CREATE OR REPLACE FUNCTION webhook_member_sanctioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_listened('member.sanctioned') THEN
        PERFORM webhook_emit('member.sanctioned', jsonb_build_object('sanction', jsonb_build_object(
            'id', NEW.id, 'kind', NEW.kind, 'until', NEW.until, 'reason', NEW.reason, 'created_at', NEW.created_at,
            'member', (SELECT username FROM members WHERE id = NEW.member_id),
            'by', (SELECT username FROM members WHERE id = NEW.created_by))));
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS sanctions_webhooks ON sanctions;
CREATE TRIGGER sanctions_webhooks AFTER INSERT ON sanctions FOR EACH ROW EXECUTE FUNCTION webhook_member_sanctioned();

-- member.signed_up (the address is not sent: it is personal data)
CREATE OR REPLACE FUNCTION webhook_member_signed_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_listened('member.signed_up') THEN
        PERFORM webhook_emit('member.signed_up', jsonb_build_object('member', jsonb_build_object(
            'id', NEW.id, 'username', NEW.username, 'status', NEW.status, 'role', NEW.role,
            'trust_level', NEW.trust_level, 'created_at', NEW.created_at)));
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS members_webhooks ON members;
CREATE TRIGGER members_webhooks AFTER INSERT ON members FOR EACH ROW EXECUTE FUNCTION webhook_member_signed_up();
