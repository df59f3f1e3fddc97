package io.osbackup.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed-size byte pipe between the thread writing an artifact and the thread uploading it. Either
 * side can fail it: the other side then gets an {@link IOException} carrying the cause on its next
 * (or current, blocked) call instead of waiting forever.
 */
final class BoundedPipe {

  private final byte[] ring;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition readable = lock.newCondition();
  private final Condition writable = lock.newCondition();
  private int head; // next byte to read
  private int count; // bytes in the ring
  private boolean writerClosed;
  private boolean readerClosed;
  private IOException writerFailure; // the writer gave up: the reader must not see a clean end
  private IOException readerFailure; // the upload failed: the writer must stop

  BoundedPipe(int capacity) {
    this.ring = new byte[capacity];
  }

  /** The writer side. {@code close()} marks the clean end of the data. */
  OutputStream sink() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        BoundedPipe.this.write(b, off, len);
      }

      @Override
      public void close() {
        closeWriter();
      }
    };
  }

  /** The reader side. */
  InputStream source() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return BoundedPipe.this.read(b, off, len);
      }

      @Override
      public int available() {
        lock.lock();
        try {
          return count;
        } finally {
          lock.unlock();
        }
      }

      @Override
      public void close() {
        lock.lock();
        try {
          readerClosed = true;
          writable.signalAll();
        } finally {
          lock.unlock();
        }
      }
    };
  }

  /**
   * The writer gives up: the reader's next read throws {@code cause} instead of reaching the end.
   */
  void failWriter(IOException cause) {
    lock.lock();
    try {
      if (writerFailure == null) {
        writerFailure = cause;
      }
      readable.signalAll();
      writable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The reader gives up (the upload failed): the writer's next write throws {@code cause}. */
  void failReader(IOException cause) {
    lock.lock();
    try {
      if (readerFailure == null) {
        readerFailure = cause;
      }
      readable.signalAll();
      writable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void closeWriter() {
    lock.lock();
    try {
      writerClosed = true;
      readable.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void write(byte[] b, int off, int len) throws IOException {
    lock.lock();
    try {
      while (len > 0) {
        if (readerFailure != null) {
          // Keep the store's reason (AccessDenied, BucketNotFound, ...) for the writer, whichever
          // side saw it first.
          throw readerFailure instanceof StoreException store
              ? new StoreException(store.reason(), store.getMessage(), store)
              : new IOException(readerFailure.getMessage(), readerFailure);
        }
        if (writerFailure != null) {
          throw new IOException("the artifact was aborted: " + writerFailure.getMessage());
        }
        if (writerClosed) {
          throw new IOException("the artifact stream is already finished");
        }
        if (readerClosed) {
          throw new IOException("the upload stopped reading before the end of the artifact");
        }
        if (count == ring.length) {
          await(writable);
          continue;
        }
        int tail = (head + count) % ring.length;
        int n = Math.min(len, Math.min(ring.length - count, ring.length - tail));
        System.arraycopy(b, off, ring, tail, n);
        count += n;
        off += n;
        len -= n;
        readable.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  private static void await(Condition condition) throws InterruptedIOException {
    try {
      condition.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the artifact pipe");
    }
  }

  private int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    lock.lock();
    try {
      while (true) {
        if (writerFailure != null) {
          throw new IOException(writerFailure.getMessage(), writerFailure);
        }
        if (readerFailure != null) {
          // Keep the store's reason (AccessDenied, BucketNotFound, ...) for the writer, whichever
          // side saw it first.
          throw readerFailure instanceof StoreException store
              ? new StoreException(store.reason(), store.getMessage(), store)
              : new IOException(readerFailure.getMessage(), readerFailure);
        }
        if (count > 0) {
          int n = Math.min(len, Math.min(count, ring.length - head));
          System.arraycopy(ring, head, b, off, n);
          head = (head + n) % ring.length;
          count -= n;
          writable.signalAll();
          return n;
        }
        if (writerClosed) {
          return -1;
        }
        await(readable);
      }
    } finally {
      lock.unlock();
    }
  }
}
