package io.osbackup.agent.restore.db;

import static io.osbackup.agent.db.ScriptLines.EOF;
import static io.osbackup.agent.db.ScriptLines.LONG;
import static io.osbackup.agent.db.ScriptLines.PARTIAL;

import io.osbackup.agent.db.ScriptLines;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One database's backup script on its way to the stock client, rewritten line by line so that all
 * of it lands in the staging schema: the {@code CREATE DATABASE} line of the backed-up database
 * becomes {@code USE `staging`}, its {@code USE} lines are left out, trigger headers lose the
 * database name they may be qualified with ({@code TRIGGER nova.t ... ON nova.instances}), and view
 * definitions that name the backed-up database name the staging schema instead. Anything that would
 * reach another database ({@code USE other}, {@code DROP DATABASE other}) stops the load.
 *
 * <p>Streaming and byte-oriented like {@code DumpSplitter}: only the first {@value #LINE_START}
 * bytes of a line are looked at and longer lines (multi-megabyte {@code INSERT}s) are copied
 * through in chunks. Left-out lines become comment lines, so the client's "at line N" still points
 * at the line of the backup script.
 */
final class StagingScript {

  /** Lines up to this length (newline included) are examined; longer lines are content. */
  static final int LINE_START = 8 * 1024;

  static final int MAX_HEADER = 1024 * 1024;
  static final int MAX_TRIGGER_HEADER = 64 * 1024;
  static final int MAX_VIEW_LINE = 16 * 1024 * 1024;

  private static final int CHUNK = 64 * 1024;
  private static final String COMPLETED = "-- Dump completed";
  private static final String TRIGGER_START = "/*!50003 CREATE";
  private static final String VIEW_START = "/*!50001 VIEW ";
  private static final Pattern CREATE_DATABASE =
      Pattern.compile(
          "^CREATE DATABASE (?:/\\*!32312 IF NOT EXISTS\\*/ )?(`(?:[^`]|``)*`)"
              + "(?: /\\*!40100 DEFAULT CHARACTER SET (\\w+)(?: COLLATE (\\w+))? \\*/)?;\\s*$");
  private static final Pattern DROP_DATABASE =
      Pattern.compile("^(?:/\\*!\\d+ )?DROP (?:DATABASE|SCHEMA)\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern DELIMITER = Pattern.compile("^DELIMITER\\s+(\\S+)\\s*$");

  /**
   * The default character set and collation the backed-up database was created with; {@code
   * collation} may be null.
   */
  record CharacterSet(String name, String collation) {}

  /** The script is not a one-database backup script this restore can load safely. */
  static final class ScriptFormatException extends IOException {
    ScriptFormatException(String message) {
      super(message);
    }
  }

  private final String source;
  private final String quotedSource;
  private final String quotedStaging;
  private final String viewQualifierFrom;
  private final String viewQualifierTo;

  private final ScriptLines lines;
  private long lineNumber;

  private OutputStream out;
  private ByteArrayOutputStream header = new ByteArrayOutputStream();
  private boolean headerRead;
  private CharacterSet characterSet;
  private boolean inDelimiterBlock;
  private boolean completed;
  private ByteArrayOutputStream triggerHeader;
  private long triggerLine;
  private int triggersRetargeted;
  private int viewsRetargeted;

  /**
   * @param script the decompressed backup script of {@code sourceDatabase}
   * @param sourceDatabase the database the script was dumped from
   * @param stagingDatabase the schema the client loads it into
   */
  StagingScript(InputStream script, String sourceDatabase, String stagingDatabase) {
    this.lines = new ScriptLines(script, CHUNK, LINE_START);
    this.source = sourceDatabase;
    this.quotedSource = latin1(quote(sourceDatabase));
    this.viewQualifierFrom = quotedSource + ".`";
    this.quotedStaging = latin1(quote(stagingDatabase));
    this.viewQualifierTo = quotedStaging + ".`";
  }

  /**
   * Reads the script up to its {@code CREATE DATABASE} line (or first {@code USE} line) and returns
   * the character set it names, or null when it names none. Nothing is written anywhere yet.
   */
  CharacterSet readHeader() throws IOException {
    if (headerRead) {
      return characterSet;
    }
    out = header;
    while (!headerRead) {
      if (!step()) {
        throw new ScriptFormatException(
            "the script ended before its CREATE DATABASE line: it is empty or cut short");
      }
      if (header.size() > MAX_HEADER) {
        throw new ScriptFormatException(
            "no CREATE DATABASE or USE line in the first MiB: not a backup script of one database");
      }
    }
    return characterSet;
  }

  /**
   * Writes the rewritten script to {@code target}: the part read by {@link #readHeader()}, then the
   * rest. Fails when the script ends without its {@code -- Dump completed} line.
   */
  void copyTo(OutputStream target) throws IOException {
    readHeader();
    target.write(header.toByteArray());
    header = null;
    out = target;
    while (step()) {
      // one line at a time
    }
    if (triggerHeader != null || inDelimiterBlock || !completed) {
      throw new ScriptFormatException(
          "the script was cut short after line "
              + lineNumber
              + " (no '"
              + COMPLETED
              + "' line at its end)");
    }
    target.flush();
  }

  /** Trigger headers that named the backed-up database and were rewritten. */
  int triggersRetargeted() {
    return triggersRetargeted;
  }

  /** View definitions that named the backed-up database and were rewritten. */
  int viewsRetargeted() {
    return viewsRetargeted;
  }

  // ---- one line ----

  /** Handles the next line; false at the end of the script. */
  private boolean step() throws IOException {
    int kind = lines.next();
    if (kind == EOF) {
      return false;
    }
    lineNumber++;
    if (triggerHeader != null) {
      continueTrigger(kind);
      return true;
    }
    if (kind == LONG) {
      if (!headerRead) {
        throw new ScriptFormatException(
            "line " + lineNumber + " is longer than " + LINE_START + " bytes in the script header");
      }
      if (inDelimiterBlock && startsWith(TRIGGER_START)) {
        startTrigger(kind);
      } else if (!inDelimiterBlock && startsWith(VIEW_START)) {
        viewLine();
      } else {
        out.write(lines.bytes(), 0, lines.length());
        lines.copyRest(out);
      }
      return true;
    }
    String text = text();
    if (inDelimiterBlock) {
      if (text.equals("DELIMITER ;")) {
        inDelimiterBlock = false;
      } else if (text.startsWith(TRIGGER_START)) {
        startTrigger(kind);
        return true;
      }
      out.write(lines.bytes(), 0, lines.length());
      return true;
    }
    Matcher delimiter = DELIMITER.matcher(text);
    if (delimiter.matches()) {
      inDelimiterBlock = !delimiter.group(1).equals(";");
      out.write(lines.bytes(), 0, lines.length());
    } else if (text.regionMatches(true, 0, "CREATE DATABASE ", 0, 16)) {
      createDatabaseLine(text);
    } else if (text.regionMatches(true, 0, "USE ", 0, 4)) {
      useLine(text);
    } else if (DROP_DATABASE.matcher(text).find()) {
      dropDatabaseLine(text);
    } else if (text.startsWith(VIEW_START)) {
      viewLine();
    } else {
      if (text.startsWith(COMPLETED)) {
        completed = true;
      }
      out.write(lines.bytes(), 0, lines.length());
    }
    return true;
  }

  private void createDatabaseLine(String text) throws IOException {
    Matcher m = CREATE_DATABASE.matcher(text);
    if (!m.matches()) {
      throw new ScriptFormatException(
          "cannot read the CREATE DATABASE statement on line " + lineNumber + ": " + shown(text));
    }
    if (!m.group(1).equals(quotedSource)) {
      throw new ScriptFormatException(
          "the script creates database "
              + utf8(m.group(1))
              + " on line "
              + lineNumber
              + ", but it should hold the backup of "
              + quote(source));
    }
    if (!headerRead && m.group(2) != null) {
      characterSet = new CharacterSet(m.group(2), m.group(3));
    }
    selectStagingOrLeaveOut("CREATE DATABASE");
  }

  private void useLine(String text) throws IOException {
    if (!text.equals("USE " + quotedSource + ";")) {
      throw new ScriptFormatException(
          "line "
              + lineNumber
              + " switches to another database ("
              + shown(text)
              + "); the script should only hold "
              + quote(source));
    }
    selectStagingOrLeaveOut("USE");
  }

  private void dropDatabaseLine(String text) throws IOException {
    if (!text.contains(quotedSource)) {
      throw new ScriptFormatException(
          "line "
              + lineNumber
              + " drops another database ("
              + shown(text)
              + "); the script should only hold "
              + quote(source));
    }
    leaveOut("DROP DATABASE");
  }

  /**
   * Puts {@code USE `staging`;} in place of the first {@code CREATE DATABASE} or {@code USE} line,
   * a comment in place of later ones. The staging schema is chosen in the script rather than on the
   * client's command line, where a name outside ASCII depends on the JVM's locale.
   */
  private void selectStagingOrLeaveOut(String what) throws IOException {
    if (headerRead) {
      leaveOut(what);
      return;
    }
    out.write(("USE " + quotedStaging + ";").getBytes(StandardCharsets.ISO_8859_1));
    if (lines.bytes()[lines.length() - 1] == '\n') {
      out.write('\n');
    }
    headerRead = true;
  }

  /** Writes a comment in place of the current line, keeping the line count. */
  private void leaveOut(String what) throws IOException {
    String replacement = "-- osbackup restore: " + what + " left out, loading into staging";
    out.write(replacement.getBytes(StandardCharsets.US_ASCII));
    if (lines.bytes()[lines.length() - 1] == '\n') {
      out.write('\n');
    }
  }

  /** A view definition, read whole (they are bounded), with the database name retargeted. */
  private void viewLine() throws IOException {
    ByteArrayOutputStream whole = new ByteArrayOutputStream(lines.length());
    whole.write(lines.bytes(), 0, lines.length());
    if (lines.bytes()[lines.length() - 1] != '\n') {
      if (!lines.appendRest(whole, MAX_VIEW_LINE)) {
        throw new ScriptFormatException(
            "the view definition on line "
                + lineNumber
                + " is longer than "
                + MAX_VIEW_LINE
                + " bytes");
      }
    }
    String text = latin1(whole.toByteArray());
    if (text.contains(viewQualifierFrom)) {
      text = text.replace(viewQualifierFrom, viewQualifierTo);
      viewsRetargeted++;
    }
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  // ---- trigger headers ----

  private void startTrigger(int kind) throws IOException {
    triggerHeader = new ByteArrayOutputStream();
    triggerLine = lineNumber;
    continueTrigger(kind);
  }

  private void continueTrigger(int kind) throws IOException {
    triggerHeader.write(lines.bytes(), 0, lines.length());
    String text = latin1(triggerHeader.toByteArray());
    String rewritten = unqualifiedTrigger(text, triggerLine);
    if (rewritten == null) {
      if (kind == LONG || kind == PARTIAL || triggerHeader.size() > MAX_TRIGGER_HEADER) {
        throw new ScriptFormatException(
            "cannot read the header of the trigger on line "
                + triggerLine
                + " (CREATE TRIGGER name BEFORE|AFTER event ON table)");
      }
      return;
    }
    if (!rewritten.equals(text)) {
      triggersRetargeted++;
    }
    out.write(rewritten.getBytes(StandardCharsets.ISO_8859_1));
    triggerHeader = null;
    if (kind == LONG) {
      lines.copyRest(out);
    }
  }

  /**
   * The trigger statement {@code statement} (bytes as ISO-8859-1) with the database qualifier
   * removed from the trigger's name and from its table, so it is created in the current database;
   * null when the text ends before the table name is complete.
   *
   * @throws ScriptFormatException when the header does not have the expected shape
   */
  static String unqualifiedTrigger(String statement, long lineNumber) throws ScriptFormatException {
    Tokens t = new Tokens(statement);
    if (!t.skipToWord("TRIGGER")) {
      return t.exhausted ? null : fail(lineNumber, "no TRIGGER keyword");
    }
    Token next = t.next();
    if (next != null && next.isWord("IF")) {
      if (!t.word("NOT") || !t.word("EXISTS")) {
        return t.exhausted ? null : fail(lineNumber, "IF not followed by NOT EXISTS");
      }
      next = t.next();
    }
    List<int[]> cuts = new ArrayList<>();
    next = qualifiedName(t, next, cuts, lineNumber);
    if (next == null) {
      return null;
    }
    if (!next.isWord("BEFORE") && !next.isWord("AFTER")) {
      return fail(lineNumber, "expected BEFORE or AFTER after the trigger name");
    }
    do {
      next = t.next();
      if (next == null) {
        return null;
      }
      if (!next.isWord("ON") && next.kind != Token.WORD && next.kind != Token.OTHER) {
        return fail(lineNumber, "expected the trigger event (INSERT, UPDATE or DELETE)");
      }
    } while (!next.isWord("ON"));
    next = qualifiedName(t, t.next(), cuts, lineNumber);
    if (next == null) {
      return null;
    }
    if (!next.isWord("FOR") && !next.isWord("FOLLOWS") && !next.isWord("PRECEDES")) {
      return fail(lineNumber, "expected FOR EACH ROW after the table name");
    }
    StringBuilder out = new StringBuilder(statement.length());
    int from = 0;
    for (int[] cut : cuts) {
      out.append(statement, from, cut[0]);
      from = cut[1];
    }
    return out.append(statement, from, statement.length()).toString();
  }

  /**
   * Reads {@code name} or {@code db.name} starting at {@code first}, noting the {@code db.} part to
   * cut; returns the token after it, or null when the text ends first.
   */
  private static Token qualifiedName(Tokens t, Token first, List<int[]> cuts, long lineNumber)
      throws ScriptFormatException {
    if (first == null) {
      return null;
    }
    if (!first.isName()) {
      fail(lineNumber, "expected a name at '" + first.text + "'");
    }
    Token after = t.next();
    if (after == null) {
      return null;
    }
    if (after.kind != Token.DOT) {
      return after;
    }
    Token name = t.next();
    if (name == null) {
      return null;
    }
    if (!name.isName()) {
      fail(lineNumber, "expected a name after '.'");
    }
    cuts.add(new int[] {first.start, name.start});
    return t.next();
  }

  private static String fail(long lineNumber, String why) throws ScriptFormatException {
    throw new ScriptFormatException(
        "cannot read the header of the trigger on line "
            + lineNumber
            + " ("
            + why
            + "); restoring it could reach another database");
  }

  /** A token of a trigger header: a word, a quoted name, a string, a dot, or another symbol. */
  private record Token(int kind, int start, String text) {
    static final int WORD = 1;
    static final int QUOTED = 2;
    static final int STRING = 3;
    static final int DOT = 4;
    static final int OTHER = 5;

    boolean isWord(String word) {
      return kind == WORD && text.equalsIgnoreCase(word);
    }

    boolean isName() {
      return kind == WORD || kind == QUOTED;
    }
  }

  /**
   * Splits a trigger header into tokens, skipping white space, comments and the {@code /*!50003}
   * version-comment markers mariadb-dump wraps it in.
   */
  private static final class Tokens {
    private final String s;
    private int i;
    boolean exhausted;

    Tokens(String s) {
      this.s = s;
    }

    boolean skipToWord(String word) {
      Token token;
      while ((token = next()) != null) {
        if (token.isWord(word)) {
          return true;
        }
      }
      return false;
    }

    boolean word(String word) {
      Token token = next();
      return token != null && token.isWord(word);
    }

    /** The next token, or null at the end of the text (or inside an unfinished token). */
    Token next() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (s.startsWith("/*!", i)) {
          i += 3;
          while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
          }
        } else if (s.startsWith("*/", i)) {
          i += 2;
        } else if (s.startsWith("/*", i)) {
          int end = s.indexOf("*/", i + 2);
          if (end < 0) {
            return end();
          }
          i = end + 2;
        } else if (s.startsWith("-- ", i) || c == '#') {
          int end = s.indexOf('\n', i);
          if (end < 0) {
            return end();
          }
          i = end + 1;
        } else {
          break;
        }
      }
      if (i >= s.length()) {
        return end();
      }
      int start = i;
      char c = s.charAt(i);
      if (c == '`' || c == '\'' || c == '"') {
        int j = i + 1;
        while (true) {
          if (j >= s.length()) {
            return end();
          }
          char d = s.charAt(j);
          if (d == '\\' && c != '`') {
            j += 2;
          } else if (d == c) {
            if (j + 1 < s.length() && s.charAt(j + 1) == c) {
              j += 2;
            } else {
              break;
            }
          } else {
            j++;
          }
        }
        i = j + 1;
        return new Token(c == '`' ? Token.QUOTED : Token.STRING, start, s.substring(start, i));
      }
      if (isWordChar(c)) {
        int j = i;
        while (j < s.length() && isWordChar(s.charAt(j))) {
          j++;
        }
        if (j == s.length()) {
          return end(); // the word may go on in the next line
        }
        i = j;
        return new Token(Token.WORD, start, s.substring(start, j));
      }
      i++;
      return new Token(c == '.' ? Token.DOT : Token.OTHER, start, String.valueOf(c));
    }

    private Token end() {
      exhausted = true;
      i = s.length();
      return null;
    }

    private static boolean isWordChar(char c) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '$'
          || c >= 0x80;
    }
  }

  // ---- helpers ----

  private boolean startsWith(String prefix) {
    if (lines.length() < prefix.length()) {
      return false;
    }
    for (int k = 0; k < prefix.length(); k++) {
      if (lines.bytes()[k] != prefix.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** The current line without its newline, bytes as ISO-8859-1. */
  private String text() {
    int end =
        lines.length() > 0 && lines.bytes()[lines.length() - 1] == '\n'
            ? lines.length() - 1
            : lines.length();
    return new String(lines.bytes(), 0, end, StandardCharsets.ISO_8859_1);
  }

  /** {@code `name`} with backticks doubled, as mariadb-dump quotes names. */
  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  private static String latin1(String utf16) {
    return new String(utf16.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  private static String latin1(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static String utf8(String latin1) {
    return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  private static String shown(String latin1) {
    String text = utf8(latin1).strip();
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }

  @Override
  public String toString() {
    return "StagingScript[" + quote(source) + ", line " + lineNumber + "]";
  }
}
