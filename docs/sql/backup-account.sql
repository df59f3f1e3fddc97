-- The login a BackupPolicy's spec.databases[].credentialsSecret names: it reads, never writes.
-- Run as an administrator; replace the password (and '%' with the operator's pod network if you can).
-- See docs/privileges.md for why each privilege is needed.
CREATE USER IF NOT EXISTS 'osbackup'@'%' IDENTIFIED BY 'change-me';

-- mariadb-dump --single-transaction of every dumped database: tables, views, triggers, routines, events.
-- PROCESS lets the pre-flight read the estimated table sizes; RELOAD is not needed (no FLUSH TABLES).
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS ON *.* TO 'osbackup'@'%';

-- Accounts capture (spec.databases[].accounts: Relevant or All, the default is Relevant): SHOW CREATE USER and
-- SHOW GRANTS for other accounts, and the grant tables that say which accounts hold privileges on the dumped
-- databases. Leave it out only with accounts: None.
GRANT SELECT ON mysql.* TO 'osbackup'@'%';
