package io.osbackup.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pipe between an artifact's writer and its upload. */
class BoundedPipeTest {

  @Test
  void carriesEveryByteThroughASmallRing() throws Exception {
    BoundedPipe pipe = new BoundedPipe(1000);
    byte[] data = new byte[100_000];
    new Random(1).nextBytes(data);
    CompletableFuture<byte[]> read =
        CompletableFuture.supplyAsync(
            () -> {
              try (InputStream in = pipe.source()) {
                return in.readAllBytes();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });

    try (OutputStream out = pipe.sink()) {
      for (int i = 0; i < data.length; i += 777) {
        out.write(data, i, Math.min(777, data.length - i));
      }
    }

    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(data);
  }

  @Test
  void aFailedReaderStopsABlockedWriterWithItsMessage() throws Exception {
    BoundedPipe pipe = new BoundedPipe(10);
    CompletableFuture<Void> write =
        CompletableFuture.runAsync(
            () -> {
              try {
                pipe.sink().write(new byte[100]); // blocks: nobody reads
              } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
              }
            });
    Thread.sleep(100);

    pipe.failReader(new StoreException(StoreErrors.ACCESS_DENIED, "access denied by x", null));

    assertThatThrownBy(() -> write.get(10, TimeUnit.SECONDS))
        .hasMessageContaining("access denied by x");
  }

  @Test
  void aFailedWriterNeverLooksLikeACleanEnd() throws IOException {
    BoundedPipe pipe = new BoundedPipe(10);
    pipe.sink().write(new byte[5]);

    pipe.failWriter(new IOException("mysqldump exited with 2"));
    pipe.sink().close();

    assertThatThrownBy(() -> pipe.source().readAllBytes()).hasMessage("mysqldump exited with 2");
  }
}
