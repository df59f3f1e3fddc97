package io.osbackup.agent.restore.db;

import io.osbackup.agent.db.AccountsScript;
import io.osbackup.agent.db.AccountsScript.Account;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Restores an accounts script that passed {@link AccountsScript}: one statement at a time over
 * JDBC. Accounts missing on the server are created with their password hashes, grants and default
 * roles; existing ones are left as they are and reported, or with {@code replace} made exactly as
 * in the backup (a user dropped and created again, a role's privileges revoked and granted again).
 * The login doing the restore is never changed.
 */
public final class AccountsRestore {

  /**
   * What the restore did.
   *
   * @param created accounts and roles created
   * @param kept existing ones left unchanged
   * @param replaced existing ones made as in the backup
   * @param skipped grants on tables or routines the server does not have (their database was not
   *     restored)
   */
  public record Outcome(
      List<Account> created, List<Account> kept, List<Account> replaced, List<String> skipped) {

    /** One line for status, Events and the CLI; names accounts, never passwords. */
    public String summary(String replaceHint) {
      StringBuilder out = new StringBuilder("accounts: created " + created.size() + names(created));
      if (!replaced.isEmpty()) {
        out.append("; replaced ").append(replaced.size()).append(names(replaced));
      }
      if (!kept.isEmpty()) {
        out.append("; left unchanged ")
            .append(kept.size())
            .append(" that exist already")
            .append(names(kept));
        if (replaceHint != null) {
          out.append(" (").append(replaceHint).append(" replaces them)");
        }
      }
      if (!skipped.isEmpty()) {
        out.append("; skipped ")
            .append(skipped.size())
            .append(" grants on tables or routines that do not exist")
            .append(" (restore their databases first): ")
            .append(String.join(", ", skipped.stream().limit(10).toList()));
      }
      return out.toString();
    }

    private static String names(List<Account> accounts) {
      if (accounts.isEmpty()) {
        return "";
      }
      List<String> shown = accounts.stream().limit(20).map(Account::toString).toList();
      return " "
          + shown
          + (accounts.size() > shown.size()
              ? " and " + (accounts.size() - shown.size()) + " more"
              : "");
    }
  }

  private AccountsRestore() {}

  /** Applies {@code script} on {@code c}; stops at the first statement the server refuses. */
  public static Outcome apply(Connection c, AccountsScript script, boolean replace)
      throws SQLException {
    Account self = self(c);
    Set<Account> existing = existing(c);
    List<Account> created = new ArrayList<>();
    List<Account> kept = new ArrayList<>();
    List<Account> replaced = new ArrayList<>();
    Set<Account> skip = new HashSet<>();
    List<String> skipped = new ArrayList<>();
    try (Statement s = c.createStatement()) {
      for (Account a : script.accounts()) {
        if (!existing.contains(a)) {
          created.add(a);
        } else if (!replace || a.equals(self)) {
          kept.add(a);
          skip.add(a);
        } else {
          replaced.add(a);
          if (a.role()) {
            s.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM " + a.sql());
            for (String role : rolesOf(c, a)) {
              s.execute("REVOKE " + AccountsScript.quote(role) + " FROM " + a.sql());
            }
          } else {
            s.execute("DROP USER " + a.sql());
          }
        }
      }
      for (Map.Entry<Account, List<AccountsScript.Statement>> e : script.byAccount().entrySet()) {
        if (e.getKey().equals(self) && !kept.contains(self)) {
          kept.add(self);
        }
      }
      for (AccountsScript.Statement st : script.statements()) {
        if (skip.contains(st.account()) || st.account().equals(self)) {
          continue;
        }
        try {
          s.execute(st.sql());
        } catch (SQLException e) {
          if (st.kind() == AccountsScript.Kind.GRANT
              && (e.getErrorCode() == 1146 || e.getErrorCode() == 1305)) {
            skipped.add("line " + st.line() + " for " + st.account());
            continue;
          }
          throw new SQLException(
              "line "
                  + st.line()
                  + " of the accounts script ("
                  + st.kind()
                  + " for "
                  + st.account()
                  + "): "
                  + e.getMessage(),
              e.getSQLState(),
              e.getErrorCode(),
              e);
        }
      }
    }
    return new Outcome(
        List.copyOf(created), List.copyOf(kept), List.copyOf(replaced), List.copyOf(skipped));
  }

  private static Account self(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT CURRENT_USER()")) {
      rs.next();
      String current = rs.getString(1);
      int at = current.lastIndexOf('@');
      return new Account(current.substring(0, at), current.substring(at + 1));
    }
  }

  private static Set<Account> existing(Connection c) throws SQLException {
    Set<Account> out = new HashSet<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT User, Host, is_role FROM mysql.user")) {
      while (rs.next()) {
        boolean role = "Y".equals(rs.getString(3));
        out.add(new Account(rs.getString(1), role ? null : rs.getString(2)));
      }
    }
    return out;
  }

  private static List<String> rolesOf(Connection c, Account role) throws SQLException {
    List<String> out = new ArrayList<>();
    try (var ps =
        c.prepareStatement("SELECT Role FROM mysql.roles_mapping WHERE User = ? AND Host = ''")) {
      ps.setString(1, role.user());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }
}
