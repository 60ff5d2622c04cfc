-- Reversible and fair sanctions (issue 20).
--
-- A suspended or banned member cannot log in, yet must be able to read why,
-- until when, and appeal: the notice page is reached with a link of its
-- own purpose (forum.TokenSanctionNotice), mailed with the sanction and
-- given when a log-in is refused. It opens nothing but that page.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'sanction_notice'));

