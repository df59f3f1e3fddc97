package io.osbackup.agent.files;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * A tar writer whose PAX extended headers are built here rather than by commons-compress, which
 * cuts a PAX {@code mtime} to 100 ns: times keep their nanoseconds, and sparse entries carry their
 * {@code GNU.sparse.*} keys in the same header, as GNU tar and bsdtar expect.
 */
final class PaxTar {

  /** The largest value of an 11-digit octal ustar field (size, mtime). */
  private static final long MAX_OCTAL_11 = 077777777777L;

  /** The largest value of a 7-digit octal ustar field (uid, gid). */
  private static final long MAX_OCTAL_7 = 07777777L;

  private static final int NAME_LENGTH = 100;
  private static final int OWNER_NAME_LENGTH = 32;

  private final TarArchiveOutputStream tar;

  PaxTar(OutputStream out) {
    tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
    // Every name, id, size or time a ustar header cannot hold goes into the PAX header written by
    // put(); the ustar fields then only need to be harmless, so commons-compress never writes a
    // PAX header of its own (a second one would replace ours in GNU tar).
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_TRUNCATE);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
    tar.setAddPaxHeadersForNonAsciiNames(false);
  }

  /**
   * Writes the header of {@code entry}, preceded by a PAX header when one of its fields does not
   * fit ustar or its mtime has a fraction of a second; {@code extra} keys (sparse maps) go into
   * that PAX header too. Data follows with {@link #write} and {@link #closeEntry}.
   */
  void put(TarArchiveEntry entry, Map<String, String> extra) throws IOException {
    Map<String, String> pax = new LinkedHashMap<>();
    if (!fits(entry.getName(), NAME_LENGTH)) {
      pax.put("path", entry.getName());
    }
    String link = entry.getLinkName();
    if (link != null && !link.isEmpty() && !fits(link, NAME_LENGTH)) {
      pax.put("linkpath", link);
    }
    Instant mtime = entry.getLastModifiedTime().toInstant();
    long seconds = mtime.getEpochSecond();
    if (mtime.getNano() != 0 || seconds < 0 || seconds > MAX_OCTAL_11) {
      pax.put("mtime", decimalSeconds(mtime));
      entry.setLastModifiedTime(
          FileTime.from(Math.max(0, Math.min(seconds, MAX_OCTAL_11)), TimeUnit.SECONDS));
    }
    if (entry.getSize() > MAX_OCTAL_11) {
      pax.put("size", Long.toString(entry.getSize()));
    }
    if (entry.getLongUserId() > MAX_OCTAL_7) {
      pax.put("uid", Long.toString(entry.getLongUserId()));
    }
    if (entry.getLongGroupId() > MAX_OCTAL_7) {
      pax.put("gid", Long.toString(entry.getLongGroupId()));
    }
    if (!fits(entry.getUserName(), OWNER_NAME_LENGTH)) {
      pax.put("uname", entry.getUserName());
    }
    if (!fits(entry.getGroupName(), OWNER_NAME_LENGTH)) {
      pax.put("gname", entry.getGroupName());
    }
    pax.putAll(extra);
    if (!pax.isEmpty()) {
      byte[] records = records(pax);
      TarArchiveEntry header =
          new TarArchiveEntry(
              headerName(entry.getName()), TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
      header.setLastModifiedTime(entry.getLastModifiedTime());
      header.setMode(0644);
      header.setSize(records.length);
      tar.putArchiveEntry(header);
      tar.write(records);
      tar.closeArchiveEntry();
    }
    tar.putArchiveEntry(entry);
  }

  void write(byte[] bytes, int offset, int length) throws IOException {
    tar.write(bytes, offset, length);
  }

  void closeEntry() throws IOException {
    tar.closeArchiveEntry();
  }

  /** Writes the end of the archive and flushes; the underlying stream stays open. */
  void finish() throws IOException {
    tar.finish();
    tar.flush();
  }

  /** Seconds since the epoch with every nanosecond, as PAX wants: {@code 1709258400.123456789}. */
  static String decimalSeconds(Instant time) {
    return BigDecimal.valueOf(time.getEpochSecond())
        .add(BigDecimal.valueOf(time.getNano(), 9))
        .stripTrailingZeros()
        .toPlainString();
  }

  /** Whether {@code value} fits a ustar field of {@code length} bytes as plain ASCII. */
  private static boolean fits(String value, int length) {
    return value == null
        || (value.length() < length && StandardCharsets.US_ASCII.newEncoder().canEncode(value));
  }

  /** Records {@code "<length> <key>=<value>\n"}, the length counting the whole record in bytes. */
  private static byte[] records(Map<String, String> headers) {
    StringBuilder all = new StringBuilder();
    headers.forEach(
        (key, value) -> {
          int rest = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
          int length = rest + Integer.toString(rest).length();
          if (Integer.toString(length).length() != Integer.toString(rest).length()) {
            length = rest + Integer.toString(length).length();
          }
          all.append(length).append(' ').append(key).append('=').append(value).append('\n');
        });
    return all.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The name of the PAX header of {@code name}, in 7-bit ASCII as ustar wants. */
  private static String headerName(String name) {
    String base = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    base = base.substring(base.lastIndexOf('/') + 1);
    StringBuilder ascii = new StringBuilder("PaxHeaders/");
    for (char c : base.toCharArray()) {
      ascii.append(c < 0x20 || c > 0x7e ? '_' : c);
    }
    return ascii.length() < NAME_LENGTH ? ascii.toString() : ascii.substring(0, NAME_LENGTH - 1);
  }
}
