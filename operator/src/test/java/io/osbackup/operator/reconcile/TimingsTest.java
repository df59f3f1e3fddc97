package io.osbackup.operator.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimingsTest {

  private final Timings timings = Timings.defaults();

  @Test
  void aFailingReconciliationBacksOffExponentiallyUpToTheMaximum() {
    assertThat(timings.retryAfter(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(timings.retryAfter(2)).isEqualTo(Duration.ofSeconds(10));
    assertThat(timings.retryAfter(3)).isEqualTo(Duration.ofSeconds(20));
    assertThat(timings.retryAfter(4)).isEqualTo(Duration.ofSeconds(40));
    assertThat(timings.retryAfter(7)).isEqualTo(Duration.ofMinutes(5));
    assertThat(timings.retryAfter(1_000)).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void theRetryOfEveryControllerUsesTheSameBackoff() {
    var retry = Failures.retry(timings).initExecution();
    for (int failure = 1; failure <= 8; failure++) {
      assertThat(retry.nextDelay())
          .as("after failure %d", failure)
          .contains(timings.retryAfter(failure).toMillis());
    }
    for (int i = 0; i < 100; i++) {
      assertThat(retry.nextDelay()).as("never gives up").isPresent();
    }
    assertThat(retry.nextDelay()).contains(timings.retryMax().toMillis());
  }

  @Test
  void settingsChangeOneTimingAndKeepTheOthers() {
    OperatorSettings settings = OperatorSettings.defaults().withPollInterval(Duration.ofMillis(50));
    assertThat(settings.timings().poll()).isEqualTo(Duration.ofMillis(50));
    assertThat(settings.timings().toBuilder().poll(timings.poll()).build()).isEqualTo(timings);
  }
}
