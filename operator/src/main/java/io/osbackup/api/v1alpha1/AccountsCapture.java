package io.osbackup.api.v1alpha1;

/** Which MariaDB accounts, roles and grants a database target's backup captures. */
public enum AccountsCapture {
  /**
   * Every account or role holding a privilege on a dumped database (or its tables), and the roles
   * they are granted.
   */
  Relevant,
  /**
   * Every account and role but the server's own (root, mariadb.sys, mysql, PUBLIC) and the backup's
   * login.
   */
  All,
  /** No accounts. */
  None
}
