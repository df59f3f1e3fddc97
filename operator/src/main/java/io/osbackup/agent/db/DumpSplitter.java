package io.osbackup.agent.db;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits the output of one {@code mariadb-dump --databases a b c} into one script per database,
 * each restorable alone with the stock client: the dump's header (session settings), the database's
 * section ({@code CREATE DATABASE}, {@code USE}, tables, data, triggers, events, routines), an
 * optional epilogue (its views) and a footer restoring the session settings.
 *
 * <p>Byte-oriented and streaming: only the first {@value #LINE_START} bytes of a line are ever
 * looked at; longer lines (multi-megabyte {@code INSERT}s) are copied through in chunks, so memory
 * stays bounded whatever the dump size.
 */
public final class DumpSplitter {

  /**
   * Lines up to this length (newline included) are matched; longer lines are content and copied
   * through.
   */
  static final int LINE_START = 8 * 1024;

  private static final int CHUNK = 64 * 1024;
  private static final int MAX_HEADER = 1024 * 1024;
  private static final int MAX_HELD = 256 * 1024;
  private static final byte[] DASHES = "--\n".getBytes(StandardCharsets.US_ASCII);
  private static final String MARKER = "-- Current Database: ";
  private static final String COMPLETED = "-- Dump completed";
  private static final Pattern HEADER_SETTING =
      Pattern.compile("^/\\*!(\\d+) SET @OLD_(\\w+)=@@(\\w+)(, .*)? \\*/;$");
  private static final Pattern HOST_COMMENT = Pattern.compile("(?m)^(-- Host: .*Database: ).*$");
  private static final Pattern FOOTER_SETTING =
      Pattern.compile("^/\\*!\\d+ SET \\w+=@OLD_\\w+ \\*/;$");

  /**
   * Receives the per-database scripts, one at a time: every {@code open} is followed by its {@code
   * finish}.
   */
  public interface Target {

    /** Starts the script of {@code database}; its bytes are written to the returned stream. */
    OutputStream open(String database) throws IOException;

    /**
     * Completes the script of {@code database}. For the last database this is called only after the
     * whole dump was read, its trailer included.
     */
    void finish(String database, boolean last) throws IOException;
  }

  /**
   * The dump did not have the expected shape: cut short, or sections not matching the databases
   * asked for.
   */
  public static final class DumpFormatException extends IOException {
    DumpFormatException(String message) {
      super(message);
    }
  }

  private final List<String> databases;
  private final Map<String, byte[]> epilogues;

  private ScriptLines lines;

  private final ByteArrayOutputStream header = new ByteArrayOutputStream();
  private byte[] footer;
  private final List<byte[]> held = new ArrayList<>();
  private int heldBytes;
  private int next;
  private String current;
  private OutputStream out;
  private boolean inDelimiterBlock;
  private boolean completed;

  /**
   * @param databases the databases given to {@code --databases}, in that order
   * @param epilogues per database, bytes to append to its section (its views); may be empty
   */
  public DumpSplitter(List<String> databases, Map<String, byte[]> epilogues) {
    this.databases = List.copyOf(databases);
    this.epilogues = Map.copyOf(epilogues);
  }

  /**
   * Reads the whole dump and writes one script per database to {@code target}. Throws {@link
   * DumpFormatException} when the dump is cut short (no {@code -- Dump completed} trailer) or its
   * sections do not match the databases; errors of the target propagate. On any exception the
   * script being written is left unfinished.
   */
  public void split(InputStream dump, Target target) throws IOException {
    this.lines = new ScriptLines(dump, CHUNK, LINE_START);
    int kind;
    while ((kind = lines.next()) != ScriptLines.EOF) {
      if (completed) {
        throw new DumpFormatException("unexpected output after the '-- Dump completed' trailer");
      }
      if (kind == ScriptLines.PARTIAL) {
        throw cutShort();
      }
      if (kind == ScriptLines.LONG) {
        if (current == null) {
          throw new DumpFormatException("unexpected long line before the first database section");
        }
        flushHeld();
        out.write(lines.bytes(), 0, lines.length());
        if (!lines.copyRest(out)) {
          throw cutShort();
        }
        continue;
      }
      String text = new String(lines.bytes(), 0, lines.length() - 1, StandardCharsets.ISO_8859_1);
      if (current == null) {
        headerLine(text, target);
      } else {
        sectionLine(text, target);
      }
    }
    if (!completed) {
      throw cutShort();
    }
    if (next < databases.size()) {
      throw new DumpFormatException(
          "the dump ended without a section for database " + quote(databases.get(next)));
    }
    if (current != null) {
      endSection(target, true);
    }
  }

  private void headerLine(String text, Target target) throws IOException {
    if (isMarkerOfNext(text)) {
      byte[] bytes = header.toByteArray();
      // The "--" opening the marker block belongs to the section, not the header.
      if (endsWith(bytes, "\n--\n")) {
        bytes = Arrays.copyOf(bytes, bytes.length - 3);
      }
      header.reset();
      header.write(bytes, 0, bytes.length);
      footer = footerFor(bytes);
      startSection(text, target);
      return;
    }
    if (text.startsWith(MARKER)) {
      throw unexpectedSection(text);
    }
    if (text.startsWith(COMPLETED)) {
      throw new DumpFormatException("the dump holds no database section");
    }
    header.write(lines.bytes(), 0, lines.length());
    if (header.size() > MAX_HEADER) {
      throw new DumpFormatException("no database section in the first MiB of the dump");
    }
  }

  private void sectionLine(String text, Target target) throws IOException {
    if (inDelimiterBlock) {
      flushHeld();
      out.write(lines.bytes(), 0, lines.length());
      if (text.equals("DELIMITER ;")) {
        inDelimiterBlock = false;
      }
      return;
    }
    if (isMarkerOfNext(text)
        && !held.isEmpty()
        && Arrays.equals(held.get(held.size() - 1), DASHES)) {
      held.remove(held.size() - 1);
      flushHeld();
      endSection(target, false);
      startSection(text, target);
      return;
    }
    if (text.startsWith(MARKER)) {
      throw unexpectedSection(text);
    }
    if (text.startsWith(COMPLETED)) {
      held.clear(); // the dump's own footer; every script gets the footer derived from the header
      heldBytes = 0;
      completed = true;
      return;
    }
    if (text.isEmpty() || text.equals("--") || FOOTER_SETTING.matcher(text).matches()) {
      held.add(Arrays.copyOf(lines.bytes(), lines.length()));
      heldBytes += lines.length();
      if (heldBytes > MAX_HELD) {
        flushHeld();
      }
      return;
    }
    flushHeld();
    out.write(lines.bytes(), 0, lines.length());
    if (text.equals("DELIMITER ;;")) {
      inDelimiterBlock = true;
    }
  }

  private void startSection(String markerLine, Target target) throws IOException {
    current = databases.get(next++);
    out = target.open(current);
    out.write(headerFor(current));
    out.write(DASHES);
    out.write((markerLine + "\n").getBytes(StandardCharsets.ISO_8859_1));
  }

  private void endSection(Target target, boolean last) throws IOException {
    flushHeld();
    byte[] epilogue = epilogues.get(current);
    if (epilogue != null) {
      out.write(epilogue);
    }
    out.write(footer);
    out.write(
        ("\n" + COMPLETED + " for database " + quote(current) + "\n")
            .getBytes(StandardCharsets.UTF_8));
    out.flush();
    String finished = current;
    current = null;
    out = null;
    target.finish(finished, last);
  }

  private void flushHeld() throws IOException {
    for (byte[] bytes : held) {
      out.write(bytes);
    }
    held.clear();
    heldBytes = 0;
  }

  private boolean isMarkerOfNext(String text) {
    return next < databases.size()
        && text.equals(
            MARKER + new String(quoteBytes(databases.get(next)), StandardCharsets.ISO_8859_1));
  }

  private DumpFormatException unexpectedSection(String text) {
    for (int i = 0; i < next; i++) {
      if (text.equals(MARKER + quote(databases.get(i)))) {
        return new DumpFormatException(
            "mariadb-dump wrote a second section for database "
                + quote(databases.get(i))
                + ", as it does for views; a view was probably created during the backup: run it"
                + " again");
      }
    }
    String expected = next < databases.size() ? quote(databases.get(next)) : "none";
    return new DumpFormatException(
        "unexpected section '" + text + "' in the dump (next expected: " + expected + ")");
  }

  private DumpFormatException cutShort() {
    String where =
        current != null
            ? "while writing database " + quote(current)
            : "before its first database section";
    return new DumpFormatException(
        "the dump was cut short " + where + " (no '-- Dump completed' trailer)");
  }

  /** The header with its {@code -- Host: ... Database: x} comment naming {@code database}. */
  private byte[] headerFor(String database) {
    String text = new String(header.toByteArray(), StandardCharsets.ISO_8859_1);
    Matcher m = HOST_COMMENT.matcher(text);
    if (m.find()) {
      String name =
          new String(database.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
      text = text.substring(0, m.start()) + m.group(1) + name + text.substring(m.end());
    }
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * The footer restoring what the header saved: {@code /*!40101 SET @OLD_X=@@X, X=...} becomes
   * {@code /*!40101 SET X=@OLD_X}, in reverse order. The dump's own footer arrives only at its very
   * end, after earlier scripts are done.
   */
  static byte[] footerFor(byte[] header) {
    List<String> lines = new ArrayList<>();
    for (String text : new String(header, StandardCharsets.ISO_8859_1).split("\n")) {
      Matcher m = HEADER_SETTING.matcher(text);
      if (m.matches()) {
        lines.add(0, "/*!" + m.group(1) + " SET " + m.group(3) + "=@OLD_" + m.group(2) + " */;\n");
      }
    }
    return String.join("", lines).getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * The body of a small dump of some views of one database ({@code mariadb-dump db v1 v2}): the
   * lines between the header's session settings and the footer's. Throws when the dump lacks its
   * trailer.
   */
  public static byte[] viewsBody(byte[] viewsDump) throws DumpFormatException {
    String text = new String(viewsDump, StandardCharsets.ISO_8859_1);
    if (!text.contains("\n" + COMPLETED)) {
      throw new DumpFormatException(
          "the dump of views was cut short (no '-- Dump completed' trailer)");
    }
    String[] lines = text.split("\n", -1);
    int start = 0;
    int end = lines.length;
    for (int i = 0; i < lines.length; i++) {
      if (HEADER_SETTING.matcher(lines[i]).matches()) {
        start = i + 1;
      } else if (FOOTER_SETTING.matcher(lines[i]).matches()) {
        end = i;
        break;
      }
    }
    StringBuilder body = new StringBuilder();
    for (int i = start; i < end; i++) {
      body.append(lines[i]).append('\n');
    }
    return body.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@code `name`} with backticks doubled, as mariadb-dump quotes identifiers. */
  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  private static byte[] quoteBytes(String name) {
    return quote(name).getBytes(StandardCharsets.UTF_8);
  }

  private static boolean endsWith(byte[] bytes, String suffix) {
    byte[] s = suffix.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length < s.length) {
      return false;
    }
    return Arrays.equals(bytes, bytes.length - s.length, bytes.length, s, 0, s.length);
  }
}
