-- A bank token is scoped to one bank (issue #14, H15): it feeds and reads only the accounts
-- whose bank_code it names. Tokens of other roles leave it NULL.
ALTER TABLE api_tokens ADD COLUMN bank_code TEXT;
