package io.osbackup.agent.db;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A SQL script read line by line as bytes, for the dump splitter and the restore's staging rewrite:
 * only the first bytes of a line (up to {@code lineStart}) are held for matching; the rest of a
 * longer line — a multi-megabyte {@code INSERT} — is copied through in chunks, so memory stays
 * bounded whatever the size of the script.
 */
public final class ScriptLines {

  /** {@link #next()}: the script has ended. */
  public static final int EOF = 0;

  /** {@link #next()}: a whole line, newline included, is held. */
  public static final int COMPLETE = 1;

  /**
   * {@link #next()}: the line is longer than {@code lineStart}; its start is held, the rest still
   * to be read.
   */
  public static final int LONG = 2;

  /** {@link #next()}: the script ended in the middle of this line (no newline). */
  public static final int PARTIAL = 3;

  private final InputStream in;
  private final byte[] buf;
  private int pos;
  private int limit;
  private final byte[] line;
  private int length;

  public ScriptLines(InputStream in, int chunk, int lineStart) {
    this.in = in;
    this.buf = new byte[chunk];
    this.line = new byte[lineStart];
  }

  /**
   * Reads the start of the next line into {@link #bytes()}; one of {@link #EOF}, {@link #COMPLETE},
   * ...
   */
  public int next() throws IOException {
    length = 0;
    while (true) {
      if (pos == limit && !fill()) {
        return length == 0 ? EOF : PARTIAL;
      }
      int end = Math.min(limit, pos + (line.length - length));
      int newline = indexOfNewline(pos, end);
      int stop = newline < 0 ? end : newline + 1;
      System.arraycopy(buf, pos, line, length, stop - pos);
      length += stop - pos;
      pos = stop;
      if (newline >= 0) {
        return COMPLETE;
      }
      if (length == line.length) {
        return LONG;
      }
    }
  }

  /** The held start of the current line: its first {@link #length()} bytes. */
  public byte[] bytes() {
    return line;
  }

  public int length() {
    return length;
  }

  /**
   * Copies the rest of a long line, newline included, to {@code out}; false when the script ends
   * first.
   */
  public boolean copyRest(OutputStream out) throws IOException {
    while (true) {
      if (pos == limit && !fill()) {
        return false;
      }
      int newline = indexOfNewline(pos, limit);
      int stop = newline < 0 ? limit : newline + 1;
      out.write(buf, pos, stop - pos);
      pos = stop;
      if (newline >= 0) {
        return true;
      }
    }
  }

  /**
   * Appends the rest of a long line, newline included, to {@code to} while it holds at most {@code
   * max} bytes; false when the line is longer than that. The script ending first is not an error
   * here.
   */
  public boolean appendRest(ByteArrayOutputStream to, int max) throws IOException {
    while (true) {
      if (pos == limit && !fill()) {
        return true;
      }
      int newline = indexOfNewline(pos, limit);
      int stop = newline < 0 ? limit : newline + 1;
      to.write(buf, pos, stop - pos);
      pos = stop;
      if (to.size() > max) {
        return false;
      }
      if (newline >= 0) {
        return true;
      }
    }
  }

  private int indexOfNewline(int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private boolean fill() throws IOException {
    int n = in.read(buf, 0, buf.length);
    while (n == 0) {
      n = in.read(buf, 0, buf.length);
    }
    if (n < 0) {
      return false;
    }
    pos = 0;
    limit = n;
    return true;
  }
}
