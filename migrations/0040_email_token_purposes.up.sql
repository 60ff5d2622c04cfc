-- 0034 (sanction notices) and 0037 (login links) were written side by side;
-- each restated email_tokens' purpose check with its own purpose only, so
-- 0037 dropped 'sanction_notice'. The check now allows every purpose the
-- code mints (forum/email_token.go).
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'sanction_notice', 'login_link'));
