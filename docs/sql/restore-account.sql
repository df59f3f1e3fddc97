-- The login a RestoreRequest uses (spec.databases.into.credentialsSecret, or the policy target's Secret) and the
-- break-glass CLI's --db-credentials-dir / $OSBACKUP_DB_USERNAME. Run as an administrator; replace the password.
-- See docs/privileges.md for why each privilege is needed.
CREATE USER IF NOT EXISTS 'osbackup_restore'@'%' IDENTIFIED BY 'change-me';

-- Restoring databases: each is loaded into <db>_osbr_staging, switched in with RENAME TABLE while the previous
-- tables move to <db>_orig_<stamp>, with a journal in the schema osbackup_restore. Those names vary, so the
-- privileges are global. The pre-flight checks every one of them before anything is downloaded.
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES,
      CREATE VIEW, SHOW VIEW, TRIGGER, CREATE ROUTINE, ALTER ROUTINE, EVENT, SHOW DATABASES
  ON *.* TO 'osbackup_restore'@'%';

-- Views, triggers, routines and events keep the DEFINER of the dump (for example `nova`@`%`); creating them for
-- another account needs SET USER (MariaDB 10.5.2 and later; SUPER before). The pre-flight cannot know a dump's
-- definers before reading it: without SET USER such a load fails with the destination untouched.
GRANT SET USER ON *.* TO 'osbackup_restore'@'%';

-- Restoring accounts (spec.accounts.restore: true, or --accounts): CREATE USER and GRANT OPTION, and GRANT needs the
-- grantor to hold every privilege it grants, so in practice all of them. Leave this out when accounts are restored
-- by hand; the pre-flight then refuses a request for accounts before anything is downloaded.
GRANT ALL PRIVILEGES ON *.* TO 'osbackup_restore'@'%' WITH GRANT OPTION;
