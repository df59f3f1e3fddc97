package io.osbackup.agent.db;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The accounts artifact of a database target, read through an allow-list of its own: one statement
 * per line, each {@code CREATE USER IF NOT EXISTS}, {@code CREATE ROLE IF NOT EXISTS}, {@code GRANT
 * ... ON ... TO}, {@code GRANT <role> TO} or {@code SET DEFAULT ROLE ... FOR}, and {@code --}
 * comment lines. Anything else (a client command, a comment that executes, a second statement on a
 * line, any other SQL, one of the server's own accounts) refuses the whole script before a
 * statement runs. Database scripts keep refusing GRANT (the restore's StatementGate).
 */
public final class AccountsScript {

  /** The server's own accounts: never captured, never restored. */
  public static final Set<String> SERVER_ACCOUNTS =
      Set.of("root", "mariadb.sys", "mysql", "PUBLIC");

  /** Larger accounts artifacts are refused: thousands of accounts fit in a few MiB. */
  public static final int MAX_BYTES = 64 * 1024 * 1024;

  private static final String WORD = "[A-Za-z_][A-Za-z0-9_]*";
  private static final String GRANTEE = "(?:I@I|I)";
  private static final Pattern CREATE_USER =
      Pattern.compile("^CREATE USER IF NOT EXISTS I@I(?: (?:" + WORD + "|[0-9]+|S))*$");
  private static final Pattern CREATE_ROLE = Pattern.compile("^CREATE ROLE IF NOT EXISTS I$");
  private static final Pattern GRANT_PRIVILEGES =
      Pattern.compile(
          "^GRANT (?:"
              + WORD
              + "|,| |\\(I(?:, I)*\\))+ ON (?:(?:PROCEDURE|FUNCTION|PACKAGE|PACKAGE BODY) )?"
              + "(?:\\*\\.\\*|I\\.\\*|I\\.I|I@I) TO "
              + GRANTEE
              + "(?: WITH GRANT OPTION)?$");
  private static final Pattern GRANT_ROLE =
      Pattern.compile("^GRANT I TO " + GRANTEE + "(?: WITH ADMIN OPTION)?$");
  private static final Pattern SET_DEFAULT_ROLE =
      Pattern.compile("^SET DEFAULT ROLE (?:I|NONE) FOR I@I$");

  /** What a statement does. */
  public enum Kind {
    CREATE_USER,
    CREATE_ROLE,
    GRANT,
    SET_DEFAULT_ROLE
  }

  /** An account or a role ({@code host} null). */
  public record Account(String user, String host) {

    /** {@code `user`@`host`} or {@code `role`}, as SQL names it. */
    public String sql() {
      return quote(user) + (host == null ? "" : "@" + quote(host));
    }

    public boolean role() {
      return host == null;
    }

    /** {@code 'user'@'host'} or {@code role 'name'}, for messages. */
    @Override
    public String toString() {
      return host == null ? "role '" + user + "'" : "'" + user + "'@'" + host + "'";
    }
  }

  /** One statement of the script, for {@code account}. */
  public record Statement(int line, Kind kind, Account account, String sql) {}

  /** The script is refused; the message names the line and why, never a password hash. */
  public static final class RefusedException extends Exception {
    public RefusedException(String message) {
      super(message);
    }
  }

  private final List<Statement> statements;

  private AccountsScript(List<Statement> statements) {
    this.statements = List.copyOf(statements);
  }

  public List<Statement> statements() {
    return statements;
  }

  /** Every account and role the script creates, in its order. */
  public List<Account> accounts() {
    return statements.stream()
        .filter(s -> s.kind() == Kind.CREATE_USER || s.kind() == Kind.CREATE_ROLE)
        .map(Statement::account)
        .distinct()
        .toList();
  }

  /** The statements of each account, in script order. */
  public Map<Account, List<Statement>> byAccount() {
    Map<Account, List<Statement>> out = new LinkedHashMap<>();
    statements.forEach(s -> out.computeIfAbsent(s.account(), k -> new ArrayList<>()).add(s));
    return out;
  }

  /**
   * Reads {@code script} through the allow-list.
   *
   * @throws RefusedException naming the first line that is not allowed
   */
  public static AccountsScript parse(String script) throws RefusedException {
    List<Statement> out = new ArrayList<>();
    String[] lines = script.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String line =
          lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.equals("--") || trimmed.startsWith("-- ")) {
        continue;
      }
      out.add(statement(number, trimmed));
    }
    return new AccountsScript(out);
  }

  private static Statement statement(int line, String text) throws RefusedException {
    String where = "line " + line + " of the accounts script";
    if (!text.endsWith(";")) {
      throw new RefusedException(
          where + " is not one whole statement ending in ';' (" + start(text) + ")");
    }
    String body = text.substring(0, text.length() - 1).stripTrailing();
    Shape shape = shape(body, where);
    String s = shape.text();
    Kind kind;
    if (CREATE_USER.matcher(s).matches()) {
      kind = Kind.CREATE_USER;
    } else if (CREATE_ROLE.matcher(s).matches()) {
      kind = Kind.CREATE_ROLE;
    } else if (GRANT_ROLE.matcher(s).matches() || GRANT_PRIVILEGES.matcher(s).matches()) {
      kind = Kind.GRANT;
    } else if (SET_DEFAULT_ROLE.matcher(s).matches()) {
      kind = Kind.SET_DEFAULT_ROLE;
    } else {
      throw new RefusedException(
          where
              + " is not allowed ("
              + start(text)
              + "): an accounts script holds only CREATE"
              + " USER IF NOT EXISTS, CREATE ROLE IF NOT EXISTS, GRANT and SET DEFAULT ROLE statements; it was not"
              + " written by osbackup or it was altered");
    }
    Account account = account(kind, shape);
    if (serverAccount(account.user())) {
      throw new RefusedException(
          where
              + " names "
              + account
              + ", one of the server's own accounts, which osbackup"
              + " never captures nor restores; it was not written by osbackup or it was altered");
    }
    return new Statement(line, kind, account, body);
  }

  /** The account a statement is for: the one created, granted to, or whose default role is set. */
  private static Account account(Kind kind, Shape shape) {
    List<String> ids = shape.identifiers();
    String s = shape.text();
    switch (kind) {
      case CREATE_USER:
        return new Account(ids.get(0), ids.get(1));
      case CREATE_ROLE:
        return new Account(ids.get(0), null);
      case SET_DEFAULT_ROLE:
        {
          int n = ids.size();
          return new Account(ids.get(n - 2), ids.get(n - 1));
        }
      default:
        {
          // GRANT ... TO I@I or TO I: the grantee is the last one or two identifiers
          String tail = s.substring(s.lastIndexOf(" TO ") + 4);
          int n = ids.size();
          return tail.startsWith("I@I")
              ? new Account(ids.get(n - 2), ids.get(n - 1))
              : new Account(ids.get(n - 1), null);
        }
    }
  }

  /** The statement with each {@code `identifier`} replaced by I and each {@code 'string'} by S. */
  private record Shape(String text, List<String> identifiers) {}

  private static Shape shape(String body, String where) throws RefusedException {
    StringBuilder out = new StringBuilder();
    List<String> ids = new ArrayList<>();
    int i = 0;
    while (i < body.length()) {
      char c = body.charAt(i);
      if (c == '`') {
        StringBuilder id = new StringBuilder();
        int j = i + 1;
        while (true) {
          if (j >= body.length()) {
            throw new RefusedException(where + " has an unterminated `name`");
          }
          char d = body.charAt(j);
          if (d == '`') {
            if (j + 1 < body.length() && body.charAt(j + 1) == '`') {
              id.append('`');
              j += 2;
              continue;
            }
            break;
          }
          id.append(d);
          j++;
        }
        ids.add(id.toString());
        out.append('I');
        i = j + 1;
      } else if (c == '\'') {
        int j = i + 1;
        while (true) {
          if (j >= body.length()) {
            throw new RefusedException(where + " has an unterminated string");
          }
          char d = body.charAt(j);
          if (d == '\\') {
            j += 2;
            continue;
          }
          if (d == '\'') {
            if (j + 1 < body.length() && body.charAt(j + 1) == '\'') {
              j += 2;
              continue;
            }
            break;
          }
          j++;
        }
        out.append('S');
        i = j + 1;
      } else if (c == ';'
          || c == '"'
          || c == '#'
          || c == '\\'
          || c == '/'
          || c == '-' && i + 1 < body.length() && body.charAt(i + 1) == '-') {
        throw new RefusedException(
            where
                + " holds "
                + (c == ';' ? "a second statement" : "'" + c + "' outside a" + " name or string")
                + " ("
                + start(body)
                + "): an accounts script holds one statement per line and no"
                + " comments inside statements");
      } else {
        out.append(c);
        i++;
      }
    }
    return new Shape(out.toString().replaceAll(" {2,}", " "), ids);
  }

  /** The first words of a line, never its strings (which may be password hashes). */
  private static String start(String text) {
    StringBuilder out = new StringBuilder();
    for (String word : text.split("\\s+")) {
      if (out.length() > 40 || word.contains("'")) {
        out.append(" ...");
        break;
      }
      out.append(out.length() == 0 ? "" : " ").append(word);
    }
    return "'" + out + "'";
  }

  /** {@code `name`} with backticks doubled. */
  public static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /** Whether {@code user} is one of the server's own accounts. */
  public static boolean serverAccount(String user) {
    return user.isEmpty()
        || SERVER_ACCOUNTS.contains(user)
        || user.toLowerCase(Locale.ROOT).startsWith("mysql.");
  }
}
