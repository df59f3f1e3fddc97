package io.osbackup.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.osbackup.Main;
import org.junit.jupiter.api.Test;

class OsbackupCommandTest {

  @Test
  void withoutACommandItIsBadUsage() {
    assertThat(Main.execute()).isEqualTo(2);
    assertThat(Main.execute("no-such-command")).isEqualTo(2);
  }

  @Test
  void helpWorksForTheTopAndTheAgent() {
    assertThat(Main.execute("--help")).isZero();
    assertThat(Main.execute("agent", "--help")).isZero();
  }
}
