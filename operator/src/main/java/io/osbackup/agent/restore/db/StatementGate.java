package io.osbackup.agent.restore.db;

import io.osbackup.agent.restore.db.StagingScript.ScriptFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The allow-list between a restore's staging rewrite and the {@code mariadb} client: passes only
 * the statement shapes mariadb-dump writes, naming no schema but the staging one, and refuses
 * anything else (client commands, {@code USE}, other databases, {@code GRANT}, {@code SET GLOBAL},
 * {@code LOAD DATA}, hidden second statements ...) before the client sees its end.
 *
 * <p>It reads the script the way the client and the server do (strings, quoted names, comments,
 * {@code /*!...}{@code *}{@code /} version comments, the current delimiter, the session's {@code
 * sql_mode} and character set) and refuses what they could read differently. A statement is held
 * until it is checked whole, except an {@code INSERT}, whose values are checked as they stream
 * through: when one is refused the caller must kill the client before closing its input, so the
 * unfinished statement never runs.
 */
final class StatementGate extends OutputStream {

  /** A statement held for checking may be at most this long (view definitions are bounded too). */
  static final int MAX_STATEMENT = StagingScript.MAX_VIEW_LINE + 1024 * 1024;

  private static final int MAX_TOKENS = 2_000_000;
  private static final int MAX_TOKEN_TEXT = 8 * 1024;
  private static final int LOOKAHEAD = 6;
  private static final String SANDBOX_LINE = "/*M!999999\\- enable the sandbox mode */";

  /**
   * Character sets in which no character has an ASCII byte after its first, so quotes stay quotes.
   */
  static final Set<String> SAFE_CHARSETS =
      Set.of(
          "utf8mb4", "utf8mb3", "utf8", "latin1", "latin2", "latin5", "latin7", "ascii", "binary",
          "cp1250", "cp1251", "cp1256", "cp1257", "koi8r", "koi8u", "greek", "hebrew");

  /**
   * sql_mode flags that do not change how the script is read (ANSI_QUOTES and NO_BACKSLASH_ESCAPES
   * are followed).
   */
  static final Set<String> SQL_MODES =
      Set.of(
          "REAL_AS_FLOAT",
          "PIPES_AS_CONCAT",
          "ANSI_QUOTES",
          "IGNORE_SPACE",
          "IGNORE_BAD_TABLE_OPTIONS",
          "ONLY_FULL_GROUP_BY",
          "NO_UNSIGNED_SUBTRACTION",
          "NO_DIR_IN_CREATE",
          "NO_AUTO_VALUE_ON_ZERO",
          "NO_BACKSLASH_ESCAPES",
          "STRICT_TRANS_TABLES",
          "STRICT_ALL_TABLES",
          "NO_ZERO_IN_DATE",
          "NO_ZERO_DATE",
          "ALLOW_INVALID_DATES",
          "ERROR_FOR_DIVISION_BY_ZERO",
          "TRADITIONAL",
          "NO_AUTO_CREATE_USER",
          "HIGH_NOT_PRECEDENCE",
          "NO_ENGINE_SUBSTITUTION",
          "PAD_CHAR_TO_FULL_LENGTH",
          "EMPTY_STRING_IS_NULL",
          "SIMULTANEOUS_ASSIGNMENT",
          "TIME_ROUND_FRACTIONAL",
          "ANSI");

  /** Session variables a backup script sets. */
  static final Set<String> SESSION_VARIABLES =
      Set.of(
          "character_set_client",
          "character_set_results",
          "collation_connection",
          "time_zone",
          "unique_checks",
          "foreign_key_checks",
          "sql_mode",
          "sql_notes",
          "note_verbosity",
          "check_constraint_checks",
          "system_versioning_insert_history",
          "sql_quote_show_create",
          "autocommit");

  /** Storage engines that keep their data in the server's own files. */
  static final Set<String> ENGINES =
      Set.of(
          "innodb", "myisam", "aria", "memory", "heap", "csv", "archive", "blackhole", "sequence");

  /** Words that never belong in a table definition of a backup script. */
  private static final Set<String> TABLE_REFUSED =
      Set.of("DIRECTORY", "CONNECTION", "UNION", "SELECT", "LOAD_FILE", "REMOTE_SERVER");

  private static final Pattern NUMBER =
      Pattern.compile(
          "0[xX][0-9a-fA-F]+|0[bB][01]+|\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?");

  // ---- tokens ----

  enum Kind {
    WORD,
    NUMBER,
    IDENT,
    STRING,
    SYMBOL
  }

  /** One token: its kind, text (unquoted for names and strings, bytes as ISO-8859-1), and line. */
  record Token(Kind kind, String text, long line, boolean truncated) {

    boolean is(String word) {
      return kind == Kind.WORD && text.equalsIgnoreCase(word);
    }

    boolean isSymbol(char c) {
      return kind == Kind.SYMBOL && text.length() == 1 && text.charAt(0) == c;
    }

    boolean isName() {
      return kind == Kind.WORD || kind == Kind.IDENT;
    }

    String shown() {
      return switch (kind) {
        case IDENT -> "`" + text + "`";
        case STRING -> "'" + text + "'";
        default -> text;
      };
    }
  }

  private enum State {
    NORMAL,
    WORD,
    QUOTE,
    QUOTE_ESCAPE,
    QUOTE_CLOSE,
    LINE_COMMENT,
    BLOCK_COMMENT,
    EXEC_VERSION,
    DELIMITER_LINE
  }

  private enum Mode {
    HOLD,
    INSERT_VALUES
  }

  private final OutputStream out;
  private final String staging;

  // input not yet lexed
  private byte[] buf = new byte[64 * 1024];
  private int pos;
  private int limit;
  private int emitFrom;

  // lexer
  private State state = State.NORMAL;
  private boolean firstLine = true;
  private boolean lineStart = true;
  private long line = 1;
  private boolean inExec;
  private boolean lineCommentInBlock;
  private byte quote;
  private boolean quoteIsString;
  private boolean prevStar;
  private final StringBuilder text = new StringBuilder();
  private boolean textTruncated;
  private long tokenLine;
  private boolean tokenIsNumber;
  private String delimiter = ";";
  private boolean finished;

  // session as the server sees it
  private Set<String> sqlMode; // null: not known (the server's default)
  private final Map<String, Object> saved = new HashMap<>();

  // the current statement
  private Mode mode = Mode.HOLD;
  private final ByteArrayOutputStream held = new ByteArrayOutputStream();
  private final List<Token> tokens = new ArrayList<>();
  private long statementLine;
  private boolean lineHasToken;
  private InsertValues values;
  private long statements;

  /**
   * @param client the client's input
   * @param stagingDatabase the only schema the script may name
   */
  StatementGate(OutputStream client, String stagingDatabase) {
    this.out = client;
    this.staging =
        new String(stagingDatabase.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** Statements passed so far. */
  long statements() {
    return statements;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (finished) {
      throw new IOException("the statement gate is closed");
    }
    ensure(len);
    System.arraycopy(b, off, buf, limit, len);
    limit += len;
    lex(false);
  }

  /** Checks that the script ended between statements and hands everything to the client. */
  void finish() throws IOException {
    if (finished) {
      return;
    }
    lex(true);
    finished = true;
    if (state == State.QUOTE || state == State.QUOTE_ESCAPE) {
      throw refused(line, "the script ends inside a quoted string or name");
    }
    if (state == State.BLOCK_COMMENT || inExec) {
      throw refused(line, "the script ends inside a comment");
    }
    endToken();
    if (!tokens.isEmpty() || mode == Mode.INSERT_VALUES) {
      throw refused(
          statementLine, "the script ends inside a statement (no '" + delimiter + "' after it)");
    }
    sync();
    out.write(held.toByteArray());
    held.reset();
    out.flush();
  }

  @Override
  public void flush() throws IOException {
    // held statements are not the client's until checked
  }

  @Override
  public void close() throws IOException {
    finish();
    out.close();
  }

  // ---- buffer ----

  private void ensure(int more) {
    if (emitFrom > 0) {
      // everything before emitFrom is emitted or held already
      System.arraycopy(buf, emitFrom, buf, 0, limit - emitFrom);
      pos -= emitFrom;
      limit -= emitFrom;
      emitFrom = 0;
    }
    if (limit + more > buf.length) {
      byte[] bigger = new byte[Math.max(buf.length * 2, limit + more)];
      System.arraycopy(buf, 0, bigger, 0, limit);
      buf = bigger;
    }
  }

  /** Moves the lexed bytes to the client (streaming an INSERT) or to the held statement. */
  private void sync() throws IOException {
    if (pos > emitFrom) {
      if (mode == Mode.INSERT_VALUES) {
        out.write(buf, emitFrom, pos - emitFrom);
      } else {
        held.write(buf, emitFrom, pos - emitFrom);
        if (held.size() > MAX_STATEMENT) {
          throw refused(statementLine, "the statement is longer than " + MAX_STATEMENT + " bytes");
        }
      }
      emitFrom = pos;
    }
  }

  private int peek(int ahead) {
    int i = pos + ahead;
    return i < limit ? buf[i] & 0xff : -1;
  }

  // ---- lexer ----

  private void lex(boolean atEnd) throws IOException {
    if (firstLine && !sandboxLine(atEnd)) {
      return;
    }
    while (pos < limit && (atEnd || limit - pos > LOOKAHEAD)) {
      int c = buf[pos] & 0xff;
      if (c == 0) {
        throw refused(line, "a NUL byte outside a string");
      }
      step(c);
    }
    sync();
  }

  /**
   * Passes mariadb-dump's first line, which turns on the client's sandbox; false while it is
   * incomplete.
   */
  private boolean sandboxLine(boolean atEnd) throws IOException {
    int newline = -1;
    for (int i = pos; i < limit; i++) {
      if (buf[i] == '\n') {
        newline = i;
        break;
      }
    }
    if (newline < 0 && !atEnd && limit - pos < SANDBOX_LINE.length() + 2) {
      return false;
    }
    firstLine = false;
    int end = newline < 0 ? limit : newline;
    String first = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1).stripTrailing();
    if (first.equals(SANDBOX_LINE)) {
      pos = newline < 0 ? limit : newline + 1;
      if (newline >= 0) {
        line++;
      }
      out.write(buf, emitFrom, pos - emitFrom);
      emitFrom = pos;
    }
    return true;
  }

  private void step(int c) throws IOException {
    switch (state) {
      case NORMAL -> normal(c);
      case WORD -> word(c);
      case QUOTE -> quoted(c);
      case QUOTE_ESCAPE -> {
        append(c);
        state = State.QUOTE;
        advance(c);
      }
      case QUOTE_CLOSE -> {
        if (c == (quote & 0xff)) {
          append(c);
          state = State.QUOTE;
          advance(c);
        } else {
          state = State.NORMAL;
          emitQuoted(); // this byte is read again as the start of what follows
        }
      }
      case LINE_COMMENT -> {
        if (c == '\n') {
          state = State.NORMAL;
        } else if (inExec && c == '*' && peek(1) == '/') {
          throw refused(
              line,
              "'*/' inside a line comment inside a /*!...*/ comment (read differently by"
                  + " client and server)");
        }
        advance(c);
      }
      case BLOCK_COMMENT -> {
        if (lineStart && (c == '#' || (c == '-' && peek(1) == '-'))) {
          lineCommentInBlock = true;
        }
        if (c == '*' && peek(1) == '/') {
          if (lineCommentInBlock) {
            throw refused(
                line,
                "a comment line ('--' or '#') ends a /* comment (read differently by"
                    + " client and server)");
          }
          advance(c);
          advance('/');
          state = State.NORMAL;
        } else {
          advance(c);
        }
      }
      case EXEC_VERSION -> {
        if (c >= '0' && c <= '9') {
          advance(c);
        } else {
          state = State.NORMAL;
        }
      }
      case DELIMITER_LINE -> {
        if (c == '\n') {
          String argument = text.toString().strip();
          text.setLength(0);
          if (!argument.equals(";;") && !argument.equals(";")) {
            throw refused(
                line,
                "DELIMITER " + argument + ": a backup script only switches between ';' and ';;'");
          }
          delimiter = argument;
          state = State.NORMAL;
          advance(c);
          sync();
          out.write(held.toByteArray());
          held.reset();
          statementLine = 0;
        } else {
          append(c);
          advance(c);
        }
      }
    }
  }

  private void advance(int c) {
    pos++;
    if (c == '\n') {
      line++;
      lineStart = true;
      lineCommentInBlock = false;
      lineHasToken = false;
    } else {
      lineStart = false;
    }
  }

  private void normal(int c) throws IOException {
    if (lineStart && (c == '#' || (c == '-' && peek(1) == '-'))) {
      // the client leaves out lines starting so, whatever follows
      state = State.LINE_COMMENT;
      advance(c);
      return;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b) {
      advance(c);
      return;
    }
    if (c == '#' || (c == '-' && peek(1) == '-' && isSpaceOrEnd(peek(2)))) {
      state = State.LINE_COMMENT;
      advance(c);
      return;
    }
    if (c == '/' && peek(1) == '*') {
      int p2 = peek(2);
      boolean exec = p2 == '!' || (p2 == 'M' && peek(3) == '!');
      if (inExec) {
        throw refused(line, "a comment inside a /*!...*/ comment");
      }
      if (exec) {
        int skip = p2 == '!' ? 3 : 4;
        for (int i = 0; i < skip; i++) {
          advance(buf[pos]);
        }
        inExec = true;
        state = State.EXEC_VERSION;
        return;
      }
      if (p2 == '+') {
        throw refused(line, "an optimizer hint comment /*+");
      }
      advance(c);
      advance('*');
      state = State.BLOCK_COMMENT;
      return;
    }
    if (c == '*' && peek(1) == '/' && inExec) {
      advance(c);
      advance('/');
      inExec = false;
      return;
    }
    if (c == '\\') {
      throw refused(
          line,
          "'\\"
              + (peek(1) < 0 ? "" : String.valueOf((char) peek(1)))
              + "': client commands are not part of a backup script");
    }
    if (c == ';') {
      if (delimiter.equals(";")) {
        advance(c);
        endStatement();
        return;
      }
      if (peek(1) == ';') {
        advance(c);
        advance(';');
        endStatement();
        return;
      }
    }
    if (c == '\'' || c == '"' || c == '`') {
      startQuote(c);
      return;
    }
    if (isWordByte(c) || (c == '.' && isDigit(peek(1)) && !previousIsName())) {
      startToken();
      tokenIsNumber = isDigit(c) || c == '.';
      state = State.WORD;
      word(c);
      return;
    }
    startToken();
    append(c);
    advance(c);
    emit(Kind.SYMBOL);
  }

  private boolean previousIsName() {
    if (tokens.isEmpty()) {
      return false;
    }
    return tokens.get(tokens.size() - 1).isName();
  }

  private void word(int c) throws IOException {
    if (isWordByte(c) || (tokenIsNumber && c == '.')) {
      append(c);
      advance(c);
      return;
    }
    if (tokenIsNumber
        && (c == '+' || c == '-')
        && isDigit(peek(1))
        && text.length() > 0
        && (text.charAt(text.length() - 1) == 'e' || text.charAt(text.length() - 1) == 'E')
        && !text.toString().startsWith("0x")) {
      append(c);
      advance(c);
      return;
    }
    state = State.NORMAL;
    String w = text.toString();
    if (w.length() >= 9 && w.regionMatches(true, w.length() - 9, "delimiter", 0, 9)) {
      if (tokens.isEmpty()
          && mode == Mode.HOLD
          && !lineHasToken
          && w.equalsIgnoreCase("delimiter")
          && !inExec
          && (c == ' ' || c == '\t')) {
        text.setLength(0);
        state = State.DELIMITER_LINE;
        return;
      }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        throw refused(line, "the word '" + w + "' where the client would read a DELIMITER command");
      }
    }
    emit(tokenIsNumber ? Kind.NUMBER : Kind.WORD);
  }

  private void startQuote(int c) throws IOException {
    if (c == '"' && sqlMode == null) {
      throw refused(line, "a double-quoted string or name before the script sets sql_mode");
    }
    startToken();
    quote = (byte) c;
    quoteIsString = c == '\'' || (c == '"' && !sqlMode.contains("ANSI_QUOTES"));
    prevStar = false;
    state = State.QUOTE;
    advance(c);
  }

  private void quoted(int c) throws IOException {
    if (inExec) {
      if (prevStar && c == '/') {
        throw refused(
            line,
            "'*/' inside a quoted string or name inside a /*!...*/ comment (read"
                + " differently by client and server)");
      }
      prevStar = c == '*';
    }
    if (c == (quote & 0xff)) {
      state = State.QUOTE_CLOSE;
      advance(c);
      return;
    }
    if (c == '\\') {
      if (!quoteIsString) {
        throw refused(line, "a backslash in a quoted name (read differently by client and server)");
      }
      if (sqlMode == null || sqlMode.contains("NO_BACKSLASH_ESCAPES")) {
        throw refused(
            line,
            "a backslash in a string while sql_mode is "
                + (sqlMode == null ? "not yet set by the script" : "NO_BACKSLASH_ESCAPES"));
      }
      append(c);
      advance(c);
      state = State.QUOTE_ESCAPE;
      return;
    }
    append(c);
    advance(c);
  }

  private void startToken() {
    text.setLength(0);
    textTruncated = false;
    tokenLine = line;
  }

  private void append(int c) {
    if (text.length() < MAX_TOKEN_TEXT) {
      text.append((char) c);
    } else {
      textTruncated = true;
    }
  }

  /** Ends a token that ends at the end of the script. */
  private void endToken() throws IOException {
    if (state == State.WORD) {
      state = State.NORMAL;
      emit(tokenIsNumber ? Kind.NUMBER : Kind.WORD);
    } else if (state == State.QUOTE_CLOSE) {
      state = State.NORMAL;
      emitQuoted();
    }
  }

  private void emit(Kind kind) throws IOException {
    token(new Token(kind, text.toString(), tokenLine, textTruncated));
  }

  private void emitQuoted() throws IOException {
    token(
        new Token(
            quoteIsString ? Kind.STRING : Kind.IDENT, text.toString(), tokenLine, textTruncated));
  }

  private static boolean isWordByte(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || c == '$'
        || c >= 0x80;
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isSpaceOrEnd(int c) {
    return c < 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
  }

  // ---- statements ----

  private void token(Token t) throws IOException {
    lineHasToken = true;
    if (tokens.isEmpty() && mode == Mode.HOLD) {
      statementLine = t.line();
    }
    if (mode == Mode.INSERT_VALUES) {
      values.accept(t);
      return;
    }
    if (tokens.size() >= MAX_TOKENS) {
      throw refused(statementLine, "the statement has more than " + MAX_TOKENS + " tokens");
    }
    tokens.add(t);
    if (t.isSymbol('(') && startsInsertValues()) {
      sync();
      Token head = tokens.get(0);
      if (!head.is("INSERT") && !head.is("REPLACE")) {
        return;
      }
      // the head is checked; from here the values stream through
      checkInsertHead(new Cursor(tokens, 0, statementLine));
      sync();
      out.write(held.toByteArray());
      held.reset();
      mode = Mode.INSERT_VALUES;
      values = new InsertValues();
      tokens.clear();
      values.accept(t);
    }
  }

  private boolean startsInsertValues() {
    int n = tokens.size();
    return n >= 2
        && tokens.get(n - 2).is("VALUES")
        && (tokens.get(0).is("INSERT") || tokens.get(0).is("REPLACE"));
  }

  private void endStatement() throws IOException {
    if (mode == Mode.INSERT_VALUES) {
      values.end();
      mode = Mode.HOLD;
      values = null;
      sync(); // the delimiter, straight to the client
    } else {
      if (!tokens.isEmpty()) {
        check(new Cursor(tokens, 0, statementLine));
      }
      sync();
      out.write(held.toByteArray());
      held.reset();
    }
    tokens.clear();
    statements++;
    statementLine = 0;
  }

  private void check(Cursor c) throws IOException {
    Token first = c.next();
    if (first.is("SET")) {
      checkSet(c);
    } else if (first.is("DROP")) {
      checkDrop(c);
    } else if (first.is("CREATE")) {
      checkCreate(c);
    } else if (first.is("INSERT") || first.is("REPLACE")) {
      throw c.refuse("an INSERT without a VALUES list");
    } else if (first.is("LOCK")) {
      c.expectWord("TABLES");
      do {
        c.name("a table to lock");
        if (c.peekWord("READ")) {
          c.next();
          c.optionalWord("LOCAL");
        } else {
          c.optionalWord("LOW_PRIORITY");
          c.expectWord("WRITE");
        }
      } while (c.optionalSymbol(','));
      c.expectEnd();
    } else if (first.is("UNLOCK")) {
      c.expectWord("TABLES");
      c.expectEnd();
    } else if (first.is("ALTER")) {
      checkAlter(c);
    } else if (first.is("USE")) {
      Token db = c.next();
      if (!db.isName() || !db.text().equals(staging)) {
        throw c.refuse("USE " + db.shown() + " switches to another database");
      }
      c.expectEnd();
    } else if (first.is("DO") || first.is("SELECT")) {
      // a sequence's value: DO SETVAL(`s`, 1001, 0)
      c.expectWord("SETVAL");
      c.expectSymbol('(');
      c.name("a sequence");
      while (c.optionalSymbol(',')) {
        c.number();
      }
      c.expectSymbol(')');
      c.expectEnd();
    } else {
      throw c.refuse(shown(first) + " is not a statement mariadb-dump writes");
    }
  }

  private static String shown(Token t) {
    return t.kind() == Kind.WORD ? t.text().toUpperCase(Locale.ROOT) : t.shown();
  }

  // ---- SET ----

  private void checkSet(Cursor c) throws IOException {
    if (c.peekWord("NAMES")) {
      c.next();
      charset(c, c.next());
      if (c.optionalWord("COLLATE")) {
        collation(c, c.next());
      }
      c.expectEnd();
      return;
    }
    Map<String, Object> after = new HashMap<>();
    Set<String> modeAfter = sqlMode;
    boolean modeSet = false;
    do {
      Token t = c.next();
      if (t.isSymbol('@') && !c.peekSymbol('@')) {
        Token var = c.next();
        if (!var.isName() && var.kind() != Kind.STRING) {
          throw c.refuse("expected a user variable name after '@'");
        }
        c.expectSymbol('=');
        String sysvar = systemVariableRead(c);
        after.put(var.text().toLowerCase(Locale.ROOT), savedValue(sysvar));
        continue;
      }
      String variable;
      if (t.isSymbol('@')) {
        c.expectSymbol('@');
        Token v = c.next();
        if (v.is("GLOBAL") || v.is("PERSIST")) {
          throw c.refuse("SET @@" + v.text() + " changes the server for every session");
        }
        if ((v.is("SESSION") || v.is("LOCAL")) && c.optionalSymbol('.')) {
          v = c.next();
        }
        variable = v.text();
      } else if (t.is("GLOBAL") || t.is("PERSIST") || t.is("PERSIST_ONLY")) {
        throw c.refuse(
            "SET " + t.text().toUpperCase(Locale.ROOT) + " changes the server for every session");
      } else if (t.is("SESSION") || t.is("LOCAL")) {
        variable = c.next().text();
      } else if (t.kind() == Kind.WORD) {
        variable = t.text();
      } else {
        throw c.refuse("expected a session variable after SET, not " + t.shown());
      }
      variable = variable.toLowerCase(Locale.ROOT);
      if (!SESSION_VARIABLES.contains(variable)) {
        throw c.refuse("SET " + variable + ": not a session setting a backup script changes");
      }
      c.expectSymbol('=');
      Token value = c.next();
      if (value.isSymbol('@')) {
        Token var = c.next();
        Object restored = saved.get(var.text().toLowerCase(Locale.ROOT));
        if (!(restored instanceof Saved s) || !s.variable().equals(variable)) {
          throw c.refuse(
              "SET "
                  + variable
                  + " = @"
                  + var.text()
                  + ": the variable does not hold a saved "
                  + variable);
        }
        if (variable.equals("sql_mode")) {
          modeAfter = s.sqlMode();
          modeSet = true;
        }
        continue;
      }
      if (value.kind() == Kind.SYMBOL && (value.isSymbol('-') || value.isSymbol('+'))) {
        value = c.next();
      }
      switch (variable) {
        case "character_set_client", "character_set_results" -> charset(c, value);
        case "collation_connection" -> collation(c, value);
        case "sql_mode" -> {
          modeAfter = sqlMode(c, value);
          modeSet = true;
        }
        default -> {
          if (value.kind() == Kind.SYMBOL || value.kind() == Kind.IDENT) {
            throw c.refuse("SET " + variable + " to " + value.shown() + ": expected a plain value");
          }
        }
      }
    } while (c.optionalSymbol(','));
    c.expectEnd();
    saved.putAll(after);
    if (modeSet) {
      sqlMode = modeAfter;
    }
  }

  /** A user variable holding a session setting's value as it was when saved. */
  private record Saved(String variable, Set<String> sqlMode) {}

  private Object savedValue(String sysvar) {
    return new Saved(sysvar, sysvar.equals("sql_mode") ? sqlMode : null);
  }

  /** Reads {@code @@name} or {@code @@session.name}; returns the lower-case name. */
  private String systemVariableRead(Cursor c) throws IOException {
    if (!c.optionalSymbol('@') || !c.optionalSymbol('@')) {
      throw c.refuse("a user variable may only save a session setting (@var = @@setting)");
    }
    Token v = c.next();
    if ((v.is("SESSION") || v.is("LOCAL")) && c.optionalSymbol('.')) {
      v = c.next();
    }
    if (v.kind() != Kind.WORD) {
      throw c.refuse("expected a setting's name after @@");
    }
    return v.text().toLowerCase(Locale.ROOT);
  }

  private static void charset(Cursor c, Token value) throws IOException {
    if ((value.kind() != Kind.WORD && value.kind() != Kind.STRING)
        || !SAFE_CHARSETS.contains(value.text().toLowerCase(Locale.ROOT))) {
      throw c.refuse(
          "character set "
              + value.shown()
              + " is not one a restore reads safely (use one of "
              + String.join(", ", new TreeSet<>(SAFE_CHARSETS))
              + ")");
    }
  }

  private static void collation(Cursor c, Token value) throws IOException {
    String name = value.text().toLowerCase(Locale.ROOT);
    int underscore = name.indexOf('_');
    if ((value.kind() != Kind.WORD && value.kind() != Kind.STRING)
        || !(SAFE_CHARSETS.contains(underscore < 0 ? name : name.substring(0, underscore))
            || name.equals("binary"))) {
      throw c.refuse(
          "collation " + value.shown() + " is not of a character set a restore reads safely");
    }
  }

  private static Set<String> sqlMode(Cursor c, Token value) throws IOException {
    if (value.kind() != Kind.STRING || value.truncated()) {
      throw c.refuse("SET sql_mode to " + value.shown() + ": expected a quoted list of modes");
    }
    Set<String> flags = new HashSet<>();
    for (String flag : value.text().split(",")) {
      String f = flag.strip().toUpperCase(Locale.ROOT);
      if (f.isEmpty()) {
        continue;
      }
      if (!SQL_MODES.contains(f)) {
        throw c.refuse(
            "sql_mode " + f + " changes how the script is read; a restore does not load it");
      }
      flags.add(f);
      if (f.equals("ANSI")) {
        flags.add("ANSI_QUOTES");
      }
    }
    return flags;
  }

  // ---- DROP, ALTER ----

  private void checkDrop(Cursor c) throws IOException {
    Token what = c.next();
    if (what.is("TABLE") || what.is("VIEW") || what.is("SEQUENCE")) {
      ifExists(c);
      do {
        c.name("a " + what.text().toLowerCase(Locale.ROOT) + " to drop");
      } while (c.optionalSymbol(','));
    } else if (what.is("TRIGGER")
        || what.is("PROCEDURE")
        || what.is("FUNCTION")
        || what.is("EVENT")) {
      ifExists(c);
      c.name("a " + what.text().toLowerCase(Locale.ROOT) + " to drop");
    } else {
      throw c.refuse("DROP " + shown(what) + " is not a statement of a backup script");
    }
    c.expectEnd();
  }

  private static void ifExists(Cursor c) throws IOException {
    if (c.optionalWord("IF")) {
      c.expectWord("EXISTS");
    }
  }

  private void checkAlter(Cursor c) throws IOException {
    Token what = c.next();
    if (what.is("TABLE")) {
      c.name("a table");
      Token keys = c.next();
      if (!keys.is("DISABLE") && !keys.is("ENABLE")) {
        throw c.refuse("ALTER TABLE other than DISABLE KEYS / ENABLE KEYS");
      }
      c.expectWord("KEYS");
      c.expectEnd();
    } else if (what.is("DATABASE") || what.is("SCHEMA")) {
      Token db = c.next();
      if (!db.isName() || !db.text().equals(staging)) {
        throw c.refuse("ALTER DATABASE " + db.shown() + " changes another database");
      }
      while (!c.atEnd()) {
        Token t = c.next();
        if (t.is("CHARACTER")) {
          c.expectWord("SET");
          c.optionalSymbol('=');
          charset(c, c.next());
        } else if (t.is("CHARSET")) {
          c.optionalSymbol('=');
          charset(c, c.next());
        } else if (t.is("COLLATE")) {
          c.optionalSymbol('=');
          collation(c, c.next());
        } else if (!t.is("DEFAULT")) {
          throw c.refuse("ALTER DATABASE may only set the character set and collation");
        }
      }
    } else {
      throw c.refuse("ALTER " + shown(what) + " is not a statement of a backup script");
    }
  }

  // ---- CREATE ----

  private void checkCreate(Cursor c) throws IOException {
    if (c.optionalWord("OR")) {
      c.expectWord("REPLACE");
    }
    while (true) {
      if (c.optionalWord("ALGORITHM")) {
        c.expectSymbol('=');
        c.word("an algorithm");
      } else if (c.optionalWord("DEFINER")) {
        c.expectSymbol('=');
        definer(c);
      } else if (c.peekWord("SQL")) {
        c.next();
        c.expectWord("SECURITY");
        c.word("DEFINER or INVOKER");
      } else {
        break;
      }
    }
    Token what = c.next();
    if (what.is("TABLE") || what.is("SEQUENCE")) {
      ifNotExists(c);
      c.name("the " + what.text().toLowerCase(Locale.ROOT) + " to create");
      checkTableBody(c);
    } else if (what.is("VIEW")) {
      ifNotExists(c);
      c.name("the view to create");
      if (c.peekSymbol('(')) {
        c.skipParentheses();
      }
      c.expectWord("AS");
      c.noSecondStatement("the view");
    } else if (what.is("TRIGGER")) {
      ifNotExists(c);
      c.name("the trigger to create");
      Token when = c.next();
      if (!when.is("BEFORE") && !when.is("AFTER")) {
        throw c.refuse("expected BEFORE or AFTER in the trigger's header");
      }
      do {
        Token event = c.next();
        if (!event.is("INSERT") && !event.is("UPDATE") && !event.is("DELETE")) {
          throw c.refuse("expected INSERT, UPDATE or DELETE in the trigger's header");
        }
      } while (c.optionalWord("OR"));
      c.expectWord("ON");
      c.name("the trigger's table");
      c.expectWord("FOR");
      c.expectWord("EACH");
      c.expectWord("ROW");
      if (c.optionalWord("FOLLOWS") || c.optionalWord("PRECEDES")) {
        c.name("the trigger it follows or precedes");
      }
      new Body(c, "the trigger").check();
    } else if (what.is("PROCEDURE") || what.is("FUNCTION") || what.is("AGGREGATE")) {
      if (what.is("AGGREGATE")) {
        c.expectWord("FUNCTION");
      }
      ifNotExists(c);
      c.name("the routine to create");
      if (!c.peekSymbol('(')) {
        throw c.refuse("expected the routine's parameters");
      }
      c.skipParentheses();
      if (c.optionalWord("RETURNS")) {
        c.word("the returned type");
        while (true) {
          if (c.peekSymbol('(')) {
            c.skipParentheses();
          } else if (c.peekWord("UNSIGNED")
              || c.peekWord("SIGNED")
              || c.peekWord("ZEROFILL")
              || c.peekWord("BINARY")
              || c.peekWord("ASCII")
              || c.peekWord("UNICODE")) {
            c.next();
          } else if (c.optionalWord("CHARSET") || c.optionalWord("COLLATE")) {
            c.wordOrString("a character set or collation");
          } else if (c.peekWord("CHARACTER")) {
            c.next();
            c.expectWord("SET");
            c.wordOrString("a character set");
          } else {
            break;
          }
        }
      }
      while (true) {
        if (c.optionalWord("COMMENT")) {
          c.string("the comment");
        } else if (c.optionalWord("LANGUAGE")) {
          c.expectWord("SQL");
        } else if (c.peekWord("NOT") && c.peekWord(1, "DETERMINISTIC")) {
          c.next();
          c.next();
        } else if (c.optionalWord("DETERMINISTIC")) {
          // characteristic
        } else if (c.peekWord("CONTAINS") && c.peekWord(1, "SQL")) {
          c.next();
          c.next();
        } else if (c.peekWord("NO") && c.peekWord(1, "SQL")) {
          c.next();
          c.next();
        } else if ((c.peekWord("READS") || c.peekWord("MODIFIES")) && c.peekWord(1, "SQL")) {
          c.next();
          c.next();
          c.expectWord("DATA");
        } else if (c.peekWord("SQL") && c.peekWord(1, "SECURITY")) {
          c.next();
          c.next();
          c.word("DEFINER or INVOKER");
        } else {
          break;
        }
      }
      new Body(c, "the routine").check();
    } else if (what.is("EVENT")) {
      ifNotExists(c);
      c.name("the event to create");
      c.expectWord("ON");
      c.expectWord("SCHEDULE");
      int depth = 0;
      while (true) {
        Token t = c.next();
        if (t.isSymbol('(')) {
          depth++;
        } else if (t.isSymbol(')')) {
          depth--;
        } else if (t.isSymbol(';')) {
          throw c.refuse("a ';' in the event's schedule");
        } else if (depth == 0 && t.is("DO")) {
          break;
        }
      }
      new Body(c, "the event").check();
    } else {
      throw c.refuse("CREATE " + shown(what) + " is not a statement of a backup script");
    }
  }

  private static void ifNotExists(Cursor c) throws IOException {
    if (c.optionalWord("IF")) {
      c.expectWord("NOT");
      c.expectWord("EXISTS");
    }
  }

  private static void definer(Cursor c) throws IOException {
    Token user = c.next();
    if (user.is("CURRENT_USER")) {
      if (c.optionalSymbol('(')) {
        c.expectSymbol(')');
      }
      return;
    }
    if (!user.isName() && user.kind() != Kind.STRING) {
      throw c.refuse("expected the definer's user name");
    }
    if (c.optionalSymbol('@')) {
      Token host = c.next();
      if (!host.isName() && host.kind() != Kind.STRING && host.kind() != Kind.NUMBER) {
        throw c.refuse("expected the definer's host");
      }
      // host names such as 10.0.0.1 or example.com come as several tokens
      while (c.peekSymbol('.') || c.peekSymbol('%') || c.peekSymbol('-')) {
        c.next();
        if (!c.atEnd() && (c.peek().isName() || c.peek().kind() == Kind.NUMBER)) {
          c.next();
        }
      }
    }
  }

  /** A table or sequence definition: no other schema, no files or servers outside the database. */
  private void checkTableBody(Cursor c) throws IOException {
    while (!c.atEnd()) {
      Token t = c.next();
      if (t.isSymbol(';')) {
        throw c.refuse("a second statement after the table's definition");
      }
      if (t.kind() == Kind.WORD) {
        String w = t.text().toUpperCase(Locale.ROOT);
        if (TABLE_REFUSED.contains(w)) {
          throw c.refuse(w + " in a table definition reaches outside the restored database");
        }
        if ((w.equals("ENGINE") || w.equals("TYPE")) && (c.peekSymbol('=') || c.peek().isName())) {
          c.optionalSymbol('=');
          Token engine = c.next();
          if (!ENGINES.contains(engine.text().toLowerCase(Locale.ROOT))) {
            throw c.refuse(
                "ENGINE=" + engine.text() + " keeps data outside the database's own files");
          }
        }
      }
      if (t.isName() && c.peekSymbol('.') && !c.atEnd(1) && c.peek(1).isName()) {
        qualifier(c, t);
      }
    }
  }

  private void qualifier(Cursor c, Token t) throws IOException {
    if (!t.text().equals(staging)) {
      throw c.refuse("names " + t.shown() + "." + c.peek(1).shown() + " in another database");
    }
  }

  // ---- INSERT ----

  private void checkInsertHead(Cursor c) throws IOException {
    Token first = c.next();
    if (first.is("INSERT")) {
      c.optionalWord("IGNORE");
      c.expectWord("INTO");
    } else {
      c.optionalWord("INTO");
    }
    c.name("the table to insert into");
    if (c.peekSymbol('(')) {
      c.next();
      do {
        Token column = c.next();
        if (!column.isName()) {
          throw c.refuse("expected a column name");
        }
      } while (c.optionalSymbol(','));
      c.expectSymbol(')');
    }
    c.expectWord("VALUES");
    c.expectSymbol('(');
    c.expectEnd();
  }

  /** The values of an INSERT, checked as they stream: rows of literals, nothing else. */
  private final class InsertValues {
    private int
        expect; // 0: '(' of a row, 1: a value, 2: ',' or ')' in a row, 3: ',' or end after a row
    private boolean signed;
    private boolean introduced;

    void accept(Token t) throws IOException {
      switch (expect) {
        case 0 -> {
          if (!t.isSymbol('(')) {
            throw refusedValues(t, "expected '(' of a row");
          }
          expect = 1;
        }
        case 1 -> value(t);
        case 2 -> {
          if (t.isSymbol(',')) {
            expect = 1;
          } else if (t.isSymbol(')')) {
            expect = 3;
          } else {
            throw refusedValues(t, "expected ',' or ')' after a value");
          }
        }
        default -> {
          if (!t.isSymbol(',')) {
            throw refusedValues(t, "expected ',' between rows");
          }
          expect = 0;
        }
      }
    }

    private void value(Token t) throws IOException {
      if (introduced) {
        introduced = false;
        if (t.kind() == Kind.STRING
            || (t.kind() == Kind.NUMBER && t.text().regionMatches(true, 0, "0x", 0, 2))) {
          expect = 2;
          return;
        }
        throw refusedValues(t, "expected a string after a character set introducer");
      }
      if (signed) {
        signed = false;
        if (t.kind() == Kind.NUMBER && NUMBER.matcher(t.text()).matches()) {
          expect = 2;
          return;
        }
        throw refusedValues(t, "expected a number after a sign");
      }
      switch (t.kind()) {
        case STRING -> expect = 2;
        case NUMBER -> {
          if (!t.truncated() && !NUMBER.matcher(t.text()).matches()
              || t.truncated() && !t.text().regionMatches(true, 0, "0x", 0, 2)) {
            throw refusedValues(t, "not a number");
          }
          expect = 2;
        }
        case WORD -> {
          String w = t.text();
          if (w.equalsIgnoreCase("NULL")) {
            expect = 2;
          } else if (w.startsWith("_") || w.equalsIgnoreCase("b") || w.equalsIgnoreCase("x")) {
            introduced = true;
          } else {
            throw refusedValues(t, "only literal values may be inserted");
          }
        }
        case SYMBOL -> {
          if (t.isSymbol('-') || t.isSymbol('+')) {
            signed = true;
          } else {
            throw refusedValues(t, "only literal values may be inserted");
          }
        }
        default -> throw refusedValues(t, "only literal values may be inserted");
      }
    }

    void end() throws IOException {
      if (expect != 3) {
        throw refused(line, "the INSERT starting on line " + statementLine + " ends inside a row");
      }
    }

    private IOException refusedValues(Token t, String why) {
      return refused(
          t.line(),
          "INSERT starting on line "
              + statementLine
              + ": "
              + why
              + ", not "
              + shortened(t.shown()));
    }
  }

  // ---- bodies of stored programs ----

  /**
   * The body of a trigger, routine or event. It runs later, not during the restore, and may read
   * other databases, but a ';' outside a compound statement would make the client send a second
   * statement, so every ';' must be inside BEGIN ... END (or IF, CASE, LOOP ... of a compound).
   */
  private final class Body {
    private final Cursor c;
    private final String what;

    Body(Cursor c, String what) {
      this.c = c;
      this.what = what;
    }

    void check() throws IOException {
      if (c.atEnd()) {
        throw c.refuse(what + " has no body");
      }
      List<String> open = new ArrayList<>();
      boolean statementStart = true;
      while (!c.atEnd()) {
        Token t = c.next();
        if (t.isSymbol(';')) {
          if (open.isEmpty()) {
            throw c.refuse(
                "a second statement after the body of " + what + " (';' outside BEGIN ... END)");
          }
          statementStart = true;
          continue;
        }
        if (t.kind() != Kind.WORD) {
          if (statementStart
              && t.kind() == Kind.IDENT
              && c.peekSymbol(':')
              && !(c.peekAt(1, '='))) {
            c.next(); // a label
            continue;
          }
          statementStart = false;
          continue;
        }
        String w = t.text().toUpperCase(Locale.ROOT);
        if (statementStart && c.peekSymbol(':') && !c.peekAt(1, '=')) {
          c.next(); // a label
          continue;
        }
        if (w.equals("END")) {
          if (open.isEmpty()) {
            throw c.refuse("END without its BEGIN in the body of " + what);
          }
          open.remove(open.size() - 1);
          if (c.peekWord("IF")
              || c.peekWord("CASE")
              || c.peekWord("LOOP")
              || c.peekWord("WHILE")
              || c.peekWord("REPEAT")
              || c.peekWord("FOR")) {
            c.next();
          }
          statementStart = false;
          continue;
        }
        if (statementStart && (w.equals("BEGIN") || w.equals("LOOP") || w.equals("REPEAT"))) {
          open.add(w);
          if (w.equals("BEGIN") && c.peekWord("NOT")) {
            c.next();
            c.expectWord("ATOMIC");
          }
          statementStart = true;
          continue;
        }
        if (statementStart && (w.equals("IF") || w.equals("WHILE") || w.equals("FOR"))) {
          open.add(w);
          statementStart = false;
          continue;
        }
        if (w.equals("CASE")) {
          open.add(statementStart ? "CASE" : "CASE_EXPRESSION");
          statementStart = false;
          continue;
        }
        if (w.equals("HANDLER") && c.peekWord("FOR")) {
          // DECLARE ... HANDLER FOR condition [, condition] ... statement: the statement may be
          // BEGIN ... END
          c.next();
          do {
            if (c.optionalWord("SQLSTATE")) {
              c.optionalWord("VALUE");
              c.string("an SQLSTATE");
            } else if (c.optionalWord("NOT")) {
              c.expectWord("FOUND");
            } else {
              Token condition = c.next();
              if (!condition.isName() && condition.kind() != Kind.NUMBER) {
                throw c.refuse(
                    "expected a handler's condition, not " + shortened(condition.shown()));
              }
            }
          } while (c.optionalSymbol(','));
          statementStart = true;
          continue;
        }
        String top = open.isEmpty() ? "" : open.get(open.size() - 1);
        if ((w.equals("THEN") || w.equals("ELSE")) && (top.equals("IF") || top.equals("CASE"))) {
          statementStart = true;
          continue;
        }
        if (w.equals("DO") && (top.equals("WHILE") || top.equals("FOR"))) {
          statementStart = true;
          continue;
        }
        statementStart = false;
      }
      if (!open.isEmpty()) {
        throw c.refuse("the body of " + what + " ends inside " + open.get(open.size() - 1));
      }
    }
  }

  // ---- reading a held statement ----

  /** Reads a held statement's tokens. */
  private final class Cursor {
    private final List<Token> t;
    private int i;
    private final long startLine;

    Cursor(List<Token> tokens, int from, long startLine) {
      this.t = tokens;
      this.i = from;
      this.startLine = startLine;
    }

    boolean atEnd() {
      return i >= t.size();
    }

    boolean atEnd(int ahead) {
      return i + ahead >= t.size();
    }

    Token peek() {
      return t.get(i);
    }

    Token peek(int ahead) {
      return t.get(i + ahead);
    }

    boolean peekWord(String w) {
      return !atEnd() && t.get(i).is(w);
    }

    boolean peekWord(int ahead, String w) {
      return i + ahead < t.size() && t.get(i + ahead).is(w);
    }

    boolean peekSymbol(char s) {
      return !atEnd() && t.get(i).isSymbol(s);
    }

    boolean peekAt(int ahead, char s) {
      return i + ahead < t.size() && t.get(i + ahead).isSymbol(s);
    }

    Token next() throws IOException {
      if (atEnd()) {
        throw refuse("the statement ends too early");
      }
      return t.get(i++);
    }

    boolean optionalWord(String w) {
      if (peekWord(w)) {
        i++;
        return true;
      }
      return false;
    }

    boolean optionalSymbol(char s) {
      if (peekSymbol(s)) {
        i++;
        return true;
      }
      return false;
    }

    void expectWord(String w) throws IOException {
      Token n = atEnd() ? null : t.get(i);
      if (n == null || !n.is(w)) {
        throw refuse(
            "expected " + w + (n == null ? " before the end" : ", not " + shortened(n.shown())));
      }
      i++;
    }

    void expectSymbol(char s) throws IOException {
      Token n = atEnd() ? null : t.get(i);
      if (n == null || !n.isSymbol(s)) {
        throw refuse(
            "expected '"
                + s
                + "'"
                + (n == null ? " before the end" : ", not " + shortened(n.shown())));
      }
      i++;
    }

    void expectEnd() throws IOException {
      if (!atEnd()) {
        throw refuse(
            "unexpected " + shortened(t.get(i).shown()) + " (a second statement or clause)");
      }
    }

    Token word(String what) throws IOException {
      Token n = next();
      if (n.kind() != Kind.WORD) {
        throw refuse("expected " + what + ", not " + shortened(n.shown()));
      }
      return n;
    }

    Token wordOrString(String what) throws IOException {
      Token n = next();
      if (n.kind() != Kind.WORD && n.kind() != Kind.STRING && n.kind() != Kind.IDENT) {
        throw refuse("expected " + what + ", not " + shortened(n.shown()));
      }
      return n;
    }

    void string(String what) throws IOException {
      if (next().kind() != Kind.STRING) {
        throw refuse("expected " + what + " as a string");
      }
    }

    void number() throws IOException {
      Token n = next();
      if (n.isSymbol('-')) {
        n = next();
      }
      if (n.kind() != Kind.NUMBER || !NUMBER.matcher(n.text()).matches()) {
        throw refuse("expected a number, not " + shortened(n.shown()));
      }
    }

    /** A name, unqualified or qualified by the staging schema. */
    void name(String what) throws IOException {
      Token n = next();
      if (!n.isName()) {
        throw refuse("expected " + what + ", not " + shortened(n.shown()));
      }
      if (peekSymbol('.')) {
        i++;
        Token second = next();
        if (!second.isName()) {
          throw refuse("expected a name after " + n.shown() + ".");
        }
        if (!n.text().equals(staging)) {
          throw refuse("names " + n.shown() + "." + second.shown() + " in another database");
        }
      }
    }

    void skipParentheses() throws IOException {
      expectSymbol('(');
      int depth = 1;
      while (depth > 0) {
        Token n = next();
        if (n.isSymbol('(')) {
          depth++;
        } else if (n.isSymbol(')')) {
          depth--;
        } else if (n.isSymbol(';')) {
          throw refuse("a ';' inside parentheses");
        }
      }
    }

    /** The rest holds no ';' (a view's SELECT). */
    void noSecondStatement(String what) throws IOException {
      while (!atEnd()) {
        if (next().isSymbol(';')) {
          throw refuse("a second statement after the definition of " + what);
        }
      }
    }

    IOException refuse(String why) {
      return refused(startLine, why + " in: " + statementText(t));
    }
  }

  // ---- messages ----

  private static String statementText(List<Token> tokens) {
    StringBuilder b = new StringBuilder();
    for (Token t : tokens) {
      if (b.length() > 160) {
        b.append(" ...");
        break;
      }
      if (b.length() > 0
          && !(t.isSymbol(',') || t.isSymbol(')') || t.isSymbol('.'))
          && !(b.charAt(b.length() - 1) == '('
              || b.charAt(b.length() - 1) == '.'
              || b.charAt(b.length() - 1) == '@')) {
        b.append(' ');
      }
      b.append(t.shown());
    }
    return utf8(b.toString());
  }

  private static String shortened(String latin1) {
    String s = utf8(latin1);
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }

  private static String utf8(String latin1) {
    return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  private static ScriptFormatException refused(long line, String why) {
    return new ScriptFormatException("line " + line + " refused: " + why);
  }
}
