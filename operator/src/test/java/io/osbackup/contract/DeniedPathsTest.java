package io.osbackup.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which node paths are denied, lie inside a denied subtree or hold one. */
class DeniedPathsTest {

  private final DeniedPaths denied = DeniedPaths.builtIn();

  private String covering(String path) {
    return denied.covering(path).map(DeniedPaths.Subtree::path).orElse(null);
  }

  @Test
  void aPathIsDeniedWhenItIsOrLiesInsideADeniedSubtree() {
    assertThat(covering("/etc/kubernetes")).isEqualTo("/etc/kubernetes");
    assertThat(covering("/etc/kubernetes/pki/ca.key")).isEqualTo("/etc/kubernetes");
    assertThat(covering("/etc/../var/lib/kubelet/pods")).isEqualTo("/var/lib/kubelet");
    assertThat(covering("/etc/shadow-")).isEqualTo("/etc/shadow-");
    assertThat(covering("/etc/ssh/ssh_host_ed25519_key")).isEqualTo("/etc/ssh/ssh_host_*_key");
    assertThat(covering("/etc/ssh/ssh_host_ed25519_key.pub")).isNull();
    assertThat(covering("/etc/ssh/sshd_config")).isNull();
    assertThat(covering("/etc/kubernetes-extra")).isNull();
    assertThat(covering("/etc/nova")).isNull();
    assertThat(covering("/var/lib")).isNull();
  }

  @Test
  void aPathHoldsTheDeniedSubtreesBelowIt() {
    assertThat(denied.inside("/etc").stream().map(DeniedPaths.Subtree::path))
        .contains("/etc/kubernetes", "/etc/shadow", "/etc/sudoers.d", "/etc/ssh/ssh_host_*_key")
        .doesNotContain("/var/lib/kubelet", "/proc");
    assertThat(denied.inside("/etc/ssh").stream().map(DeniedPaths.Subtree::path))
        .containsExactly("/etc/ssh/ssh_host_*_key");
    assertThat(denied.inside("/var").stream().map(DeniedPaths.Subtree::path))
        .contains("/var/run", "/var/lib/kubelet", "/var/log/pods");
    assertThat(denied.inside("/")).hasSameSizeAs(DeniedPaths.BUILT_IN);
    assertThat(denied.inside("/etc/nova")).isEmpty();
    assertThat(denied.inside("/etc/kubernetes")).isEmpty();
  }

  @Test
  void theOperatorsPathsAddToTheBuiltInOnesAndCannotAllowAnything() {
    DeniedPaths more =
        DeniedPaths.builtInAnd(List.of("/srv/vault", "/", "relative"), "the admin's");
    assertThat(more.covering("/srv/vault/token"))
        .map(DeniedPaths.Subtree::why)
        .isEqualTo(Optional.of("the admin's"));
    assertThat(more.covering("/etc/kubernetes")).isPresent();
    assertThat(more.covering("/srv/other")).isEmpty();
    assertThat(more.subtrees()).hasSize(DeniedPaths.BUILT_IN.size() + 1);
  }

  @Test
  void everyBuiltInSubtreeIsExplainedInTheDocs() throws IOException {
    String docs = Files.readString(Path.of("../docs/backup-runs.md"));
    assertThat(DeniedPaths.BUILT_IN)
        .allSatisfy(s -> assertThat(docs).contains("`" + s.path() + "`"));
  }
}
