-- The User-Agent of the last request a SCIM token authenticated (issue
-- 14: which identity provider connects), written with `last_used`;
-- bounded and stripped of control characters by scimd before it is stored.
ALTER TABLE tokens ADD COLUMN last_user_agent TEXT;
