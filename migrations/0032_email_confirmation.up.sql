-- Posting asks for a confirmed email address (forum.DB.RequirePoster), as
-- Flarum does: an account signed up with someone else's address, or with
-- none that works, cannot post. Until now, members could post without
-- confirming theirs. Those who joined before keep the right they had:
-- their confirmation is waived, as it is for the accounts an admin creates
-- (forum.DB.CreateMember). Confirming later changes nothing for them.
ALTER TABLE members ADD COLUMN email_confirmation_waived boolean NOT NULL DEFAULT false;

UPDATE members SET email_confirmation_waived = true
WHERE email_verified_at IS NULL AND status <> 'deleted';
