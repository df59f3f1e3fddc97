package io.osbackup.agent.db;

import io.osbackup.agent.db.AccountsScript.Account;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the accounts, roles and grants of a database target over JDBC ({@code SHOW CREATE USER},
 * {@code SHOW GRANTS}) and writes them as a script the stock {@code mariadb} client runs into an
 * empty server: {@code CREATE ROLE/USER IF NOT EXISTS} with the password hashes the server keeps,
 * then the grants and default roles. Chosen over {@code mariadb-dump --system=users}, which cannot
 * select accounts, dumps the server's own, and writes session variables and a temporary role that
 * no allow-list should accept.
 */
public final class AccountsDump {

  /** Relevant, All or None, as {@code spec.databases[].accounts} says. */
  public static final String RELEVANT = "Relevant";

  public static final String ALL = "All";
  public static final String NONE = "None";

  /** What was read: the script and the accounts in it. */
  public record Result(String script, List<Account> accounts) {}

  private AccountsDump() {}

  /**
   * Reads the accounts {@code mode} asks for: {@link #ALL}, or {@link #RELEVANT} to {@code
   * databases}.
   *
   * @param header comment lines to open the script with (without {@code -- })
   */
  public static Result read(Connection c, String mode, List<String> databases, List<String> header)
      throws SQLException {
    Account self = self(c);
    Set<Account> chosen = ALL.equals(mode) ? all(c) : relevant(c, databases);
    chosen.removeIf(a -> AccountsScript.serverAccount(a.user()) || a.equals(self));
    List<Account> roles = chosen.stream().filter(Account::role).sorted(ORDER).toList();
    List<Account> users = chosen.stream().filter(a -> !a.role()).sorted(ORDER).toList();
    StringBuilder out = new StringBuilder();
    for (String line : header) {
      out.append("-- ").append(line).append('\n');
    }
    out.append("-- ")
        .append(roles.size())
        .append(" roles, ")
        .append(users.size())
        .append(" accounts\n");
    try (Statement s = c.createStatement()) {
      for (Account r : roles) {
        out.append("CREATE ROLE IF NOT EXISTS ").append(r.sql()).append(";\n");
      }
      for (Account u : users) {
        try (ResultSet rs = s.executeQuery("SHOW CREATE USER " + u.sql())) {
          rs.next();
          String create = rs.getString(1);
          if (!create.startsWith("CREATE USER ")) {
            throw new SQLException("SHOW CREATE USER " + u + " answered an unexpected statement");
          }
          out.append("CREATE USER IF NOT EXISTS ")
              .append(create.substring("CREATE USER ".length()))
              .append(";\n");
        }
      }
      List<Account> grantees = new ArrayList<>(roles);
      grantees.addAll(users);
      for (Account a : grantees) {
        try (ResultSet rs = s.executeQuery("SHOW GRANTS FOR " + a.sql())) {
          while (rs.next()) {
            String grant = grant(rs.getString(1), a);
            if (grant != null) {
              out.append(grant).append(";\n");
            }
          }
        }
      }
    }
    List<Account> all = new ArrayList<>(roles);
    all.addAll(users);
    return new Result(out.toString(), all);
  }

  private static final Comparator<Account> ORDER =
      Comparator.comparing(Account::user).thenComparing(a -> a.host() == null ? "" : a.host());

  /**
   * One line of {@code SHOW GRANTS} as the script has it: global privileges without the
   * authentication, TLS and limits that {@code CREATE USER} already carries (and that would change
   * an existing account's password); null for the line that grants only {@code USAGE}.
   */
  static String grant(String line, Account grantee) {
    if (line.startsWith("SET DEFAULT ROLE ")) {
      return line;
    }
    String to = " TO " + grantee.sql();
    int at = line.indexOf(to);
    if (!line.startsWith("GRANT ") || at < 0) {
      return line; // not ours to judge here: the allow-list checks the whole script before it is
      // stored
    }
    String head = line.substring(0, at + to.length());
    String tail = line.substring(at + to.length());
    if (head.endsWith(" ON *.*" + to)) {
      String privileges =
          head.substring("GRANT ".length(), head.length() - (" ON *.*" + to).length());
      if (privileges.equals("USAGE")) {
        return null;
      }
      return head + (tail.contains(" GRANT OPTION") ? " WITH GRANT OPTION" : "");
    }
    return line;
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

  private static Set<Account> all(Connection c) throws SQLException {
    Set<Account> out = new LinkedHashSet<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT User, Host, is_role FROM mysql.user")) {
      while (rs.next()) {
        out.add(account(rs.getString(1), rs.getString(2), "Y".equals(rs.getString(3))));
      }
    }
    return out;
  }

  private static Account account(String user, String host, boolean role) {
    return new Account(user, role || host == null || host.isEmpty() ? null : host);
  }

  /**
   * The accounts and roles holding a privilege on one of {@code databases} (database grants, whose
   * names may be patterns, and table, column and routine grants), the accounts granted such a role,
   * and the roles granted to any of them.
   */
  private static Set<Account> relevant(Connection c, List<String> databases) throws SQLException {
    Set<Account> out = new LinkedHashSet<>();
    for (String db : databases) {
      collect(
          c,
          "SELECT d.User, d.Host, u.is_role FROM mysql.db d LEFT JOIN mysql.user u"
              + " ON u.User = d.User AND u.Host = d.Host WHERE ? LIKE d.Db",
          db,
          out);
      for (String table : List.of("tables_priv", "columns_priv", "procs_priv")) {
        collect(
            c,
            "SELECT DISTINCT t.User, t.Host, u.is_role FROM mysql."
                + table
                + " t LEFT JOIN mysql.user u"
                + " ON u.User = t.User AND u.Host = t.Host WHERE t.Db = ?",
            db,
            out);
      }
    }
    // roles_mapping: (Host, User) is granted Role
    List<String[]> mapping = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT User, Host, Role FROM mysql.roles_mapping")) {
      while (rs.next()) {
        mapping.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
      }
    }
    Set<String> roleNames = new LinkedHashSet<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT User FROM mysql.user WHERE is_role = 'Y'")) {
      while (rs.next()) {
        roleNames.add(rs.getString(1));
      }
    }
    boolean grew = true;
    while (grew) {
      grew = false;
      for (String[] m : mapping) {
        Account member =
            account(m[0], m[1], m[1] == null || m[1].isEmpty() && roleNames.contains(m[0]));
        Account role = new Account(m[2], null);
        if (out.contains(role) && !AccountsScript.serverAccount(member.user())) {
          grew |= out.add(member); // holds the privilege through the role
        }
        if (out.contains(member)) {
          grew |= out.add(role); // a role the account is granted
        }
      }
    }
    return out;
  }

  private static void collect(Connection c, String sql, String db, Set<Account> out)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, db);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(account(rs.getString(1), rs.getString(2), "Y".equals(rs.getString(3))));
        }
      }
    }
  }
}
