-- Logins are throttled atomically, across requests and instances (issue 19):
-- an attempt is reserved, in one statement, before its password is hashed,
-- so that no more than a limit's attempts are ever checked, whatever the
-- concurrency. Until now a limit was read, the password hashed, and the
-- failure written after: thirty concurrent guesses were all checked.
--
-- reserve_attempts takes the limits an attempt counts against, as parallel
-- arrays: kind and subject (a row of login_attempts), the number allowed,
-- the window in seconds, and a back-off base in seconds (0: a plain sliding
-- window; otherwise, once max attempts are in the window, each further one
-- waits base·2^(n−max) seconds, at most cap seconds, after the latest).
-- Every subject is locked (an advisory lock for the transaction, taken in
-- one order so that two reservations queue instead of deadlocking), every
-- limit checked, and only when all allow it is one row inserted per limit.
-- It returns the ids of those rows (to give the attempt back when it was
-- not checked, or forget it when the login succeeded) and 0, or no ids and
-- the seconds to wait.
CREATE FUNCTION reserve_attempts(kinds text[], subjects text[], maxes integer[], windows float8[],
                                 bases float8[], caps float8[], OUT ids bigint[], OUT wait float8)
LANGUAGE plpgsql AS $$
DECLARE
    t        timestamptz;
    n        integer;
    latest   timestamptz;
    blocking timestamptz;
    id       bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT hashtextextended(u.kind || E'\x1f' || u.subject, 19) AS k
          FROM unnest(kinds, subjects) AS u(kind, subject) ORDER BY 1) AS locks;
    -- The time after the locks: the rows of a reservation that held them
    -- are older than this one's.
    t := clock_timestamp();
    wait := 0;
    FOR i IN 1 .. coalesce(cardinality(kinds), 0) LOOP
        IF bases[i] > 0 THEN
            SELECT count(*), max(a.at) INTO n, latest FROM login_attempts a
            WHERE a.kind = kinds[i] AND a.subject = subjects[i] AND a.at > t - make_interval(secs => windows[i]);
            IF n >= maxes[i] THEN
                wait := greatest(wait, extract(epoch FROM latest - t)
                    + least(caps[i], bases[i] * power(2, least(n - maxes[i], 30))));
            END IF;
        ELSE
            SELECT a.at INTO blocking FROM login_attempts a
            WHERE a.kind = kinds[i] AND a.subject = subjects[i] AND a.at > t - make_interval(secs => windows[i])
            ORDER BY a.at DESC OFFSET maxes[i] - 1 LIMIT 1;
            IF FOUND THEN
                wait := greatest(wait, extract(epoch FROM blocking - t) + windows[i]);
            END IF;
        END IF;
    END LOOP;
    IF wait > 0 THEN
        RETURN;
    END IF;
    ids := '{}';
    FOR i IN 1 .. coalesce(cardinality(kinds), 0) LOOP
        INSERT INTO login_attempts (kind, subject, at) VALUES (kinds[i], subjects[i], t)
        RETURNING login_attempts.id INTO id;
        ids := ids || id;
    END LOOP;
END
$$;

-- One-time login links ("send me a login link"), usable while the password
-- log-in is throttled.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'login_link'));

-- The key that signs known-device cookies, the same for every instance.
-- gen_random_uuid() is built in (PostgreSQL 13+): two give 244 random bits.
CREATE TABLE site_keys (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);
INSERT INTO site_keys (name, value)
VALUES ('known_device', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
