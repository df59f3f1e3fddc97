package io.osbackup.agent.files;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a file holds data and where only zeros, block by block, found by scanning its bytes (Java
 * 17 reaches neither {@code SEEK_DATA}/{@code SEEK_HOLE} nor {@code st_blocks}); written as a PAX
 * sparse 1.0 entry, which GNU tar and bsdtar extract with holes.
 */
final class SparseMap {

  /** The unit of holes: a file system block, aligned to the start of the file. */
  static final int BLOCK = 4096;

  private static final byte[] ZEROS = new byte[BLOCK];
  private static final int TAR_RECORD = 512;

  /** A run of data: {@code length} bytes from {@code offset}. */
  record Region(long offset, long length) {}

  private final List<Region> regions = new ArrayList<>();
  private long size;
  private boolean blockHasData;

  /** Scans {@code length} bytes of {@code content}, a whole file. */
  static SparseMap of(byte[] content, int length) {
    SparseMap map = new SparseMap();
    map.add(content, 0, length);
    map.finish();
    return map;
  }

  /** Scans the next {@code length} bytes of the file. */
  void add(byte[] bytes, int offset, int length) {
    int at = offset;
    int end = offset + length;
    while (at < end) {
      int inBlock = (int) (size % BLOCK);
      int n = Math.min(end - at, BLOCK - inBlock);
      if (!blockHasData && Arrays.mismatch(bytes, at, at + n, ZEROS, 0, n) >= 0) {
        blockHasData = true;
      }
      at += n;
      size += n;
      if (size % BLOCK == 0) {
        endBlock(size - BLOCK);
      }
    }
  }

  /** Ends the scan: the last, partial block counts too. */
  void finish() {
    long inBlock = size % BLOCK;
    if (inBlock != 0) {
      endBlock(size - inBlock);
    }
  }

  private void endBlock(long start) {
    if (blockHasData) {
      long end = Math.min(start + BLOCK, size);
      Region last = regions.isEmpty() ? null : regions.get(regions.size() - 1);
      if (last != null && last.offset() + last.length() == start) {
        regions.set(regions.size() - 1, new Region(last.offset(), end - last.offset()));
      } else {
        regions.add(new Region(start, end - start));
      }
    }
    blockHasData = false;
  }

  /** Whether at least one whole block is zeros, so the file is worth storing sparse. */
  boolean hasHoles() {
    return dataBytes() < size;
  }

  /** The file's length. */
  long size() {
    return size;
  }

  /** The data regions, in order; the holes are what lies between them. */
  List<Region> regions() {
    return List.copyOf(regions);
  }

  /** The bytes the entry stores besides the map. */
  long dataBytes() {
    return regions.stream().mapToLong(Region::length).sum();
  }

  /**
   * The sparse 1.0 map that starts the entry's data: the number of regions, then offset and length
   * of each, one decimal number a line, padded with NULs to a whole tar record. A file ending in a
   * hole ends with an empty region at its length, as GNU tar writes it, so the length is restored.
   */
  byte[] header() {
    List<Region> all = new ArrayList<>(regions);
    if (all.isEmpty()
        || all.get(all.size() - 1).offset() + all.get(all.size() - 1).length() < size) {
      all.add(new Region(size, 0));
    }
    StringBuilder text = new StringBuilder().append(all.size()).append('\n');
    for (Region r : all) {
      text.append(r.offset()).append('\n').append(r.length()).append('\n');
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
    int padded = (bytes.length + TAR_RECORD - 1) / TAR_RECORD * TAR_RECORD;
    return Arrays.copyOf(bytes, padded);
  }

  /** The PAX keys of a sparse 1.0 entry for the file {@code name}. */
  Map<String, String> paxKeys(String name) {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put("GNU.sparse.major", "1");
    keys.put("GNU.sparse.minor", "0");
    keys.put("GNU.sparse.name", name);
    keys.put("GNU.sparse.realsize", Long.toString(size));
    return keys;
  }

  /**
   * The ustar name of a sparse entry, which only a tar without sparse support uses: {@code
   * <dir>/GNUSparseFile.0/<name>}, as GNU tar writes it, cut to fit.
   */
  static String placeholderName(String name) {
    int slash = name.lastIndexOf('/');
    String placeholder =
        (slash < 0 ? "" : name.substring(0, slash + 1))
            + "GNUSparseFile.0/"
            + name.substring(slash + 1);
    StringBuilder ascii = new StringBuilder();
    for (char c : placeholder.toCharArray()) {
      ascii.append(c < 0x20 || c > 0x7e ? '_' : c);
    }
    return ascii.length() < 100 ? ascii.toString() : ascii.substring(ascii.length() - 99);
  }
}
