package io.osbackup.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.osbackup.contract.Compression;
import io.osbackup.store.ArtifactUpload;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Only uploads still open are aborted when the agent is stopped. */
class OpenUploadsTest {

  private final MemoryBucket bucket = new MemoryBucket();
  private final OpenUploads uploads = new OpenUploads(bucket);

  @Test
  void abortsOnlyTheUploadsStillOpen() throws Exception {
    ArtifactUpload done = uploads.open("done", Compression.NONE);
    done.stream().write("whole".getBytes(StandardCharsets.UTF_8));
    done.finish();
    ArtifactUpload failed = uploads.open("failed", Compression.NONE);
    failed.abort("dump failed");
    ArtifactUpload closed = uploads.open("closed", Compression.NONE);
    closed.close();
    ArtifactUpload running = uploads.open("running", Compression.NONE);
    running.stream().write("half".getBytes(StandardCharsets.UTF_8));
    assertThat(uploads.size()).isEqualTo(1);

    assertThat(uploads.abortAll("stopped")).isEqualTo(1);

    assertThat(bucket.objects).containsOnlyKeys("done");
    assertThat(bucket.aborted)
        .containsEntry("failed", "dump failed")
        .containsEntry("closed", "closed before finish")
        .containsEntry("running", "stopped");
    assertThat(uploads.size()).isZero();
    assertThatThrownBy(running::finish).hasMessageContaining("already ended");
  }

  @Test
  void noUploadStartsOnceStopped() {
    uploads.abortAll("the agent was stopped (SIGTERM)");

    assertThatThrownBy(() -> uploads.open("late", Compression.NONE))
        .hasMessage("artifact late not started: the agent was stopped (SIGTERM)");
    assertThat(bucket.aborted).isEmpty();
  }

  @Test
  void runtimeHooksCanBeAddedAndRemoved() {
    Runnable remove = ShutdownHooks.runtime().add(() -> {});

    remove.run();
    remove.run(); // removing twice is harmless
  }
}
