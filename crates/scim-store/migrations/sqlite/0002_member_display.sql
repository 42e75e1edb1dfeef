-- A member's `display` as the client sent it (RFC 7643 §4.2 members.display):
-- returned as written, never derived, so clients read back what they wrote.
ALTER TABLE group_members ADD COLUMN display TEXT;
