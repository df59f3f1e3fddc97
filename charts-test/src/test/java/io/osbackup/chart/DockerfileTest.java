package io.osbackup.chart;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.osbackup.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The Dockerfile cannot be built here (no Docker), so this checks what must agree: the jar the
 * build stage produces is the one the runtime stage copies and the {@code osbackup} wrapper runs;
 * the entry point is that wrapper, so the Jobs' {@code args: [agent]} and the Deployment's {@code
 * args: [operator, ...]} name subcommands of the jar; the image's user is the uid the non-root Jobs
 * and the chart's pod run as.
 */
class DockerfileTest {

  static final Path DOCKERFILE = Chart.ROOT.resolve("Dockerfile");
  static final Path GOLDEN_JOBS = Chart.ROOT.resolve("operator/src/test/resources/golden");
  static final String JAR = "/opt/osbackup/osbackup.jar";
  static final long UID = 65532;

  static List<String> instructions;
  static List<String> runtime;

  @BeforeAll
  static void read() throws IOException {
    instructions = instructions(Files.readString(DOCKERFILE));
    int lastFrom = 0;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).startsWith("FROM ")) {
        lastFrom = i;
      }
    }
    runtime = instructions.subList(lastFrom, instructions.size());
  }

  @Test
  void buildStageMakesTheShadedJar() throws IOException {
    assertThat(instructions.get(0))
        .startsWith("FROM maven:")
        .contains("eclipse-temurin-17")
        .endsWith(" AS build");
    assertThat(instructions)
        .anyMatch(
            i ->
                i.startsWith("RUN ")
                    && i.contains("mvn ")
                    && i.contains("-DskipTests")
                    && i.contains("package"));
    // The shade plugin names an attached jar <artifactId>-<version>-<classifier>.jar whatever the
    // finalName; only
    // its outputFile gives the one stable name the README, docs/restore.md and this Dockerfile use.
    String pom = Files.readString(Chart.ROOT.resolve("operator/pom.xml"));
    assertThat(pom).doesNotContain("<shadedArtifactAttached>true");
    String jar = tag(pom, "outputFile").replace("${project.build.directory}/", "");
    assertThat(jar).isEqualTo("osbackup-all.jar");
    assertThat(runtime).contains("COPY --from=build /src/operator/target/" + jar + " " + JAR);
  }

  @Test
  void runtimeIsTemurin17JreWithTheMariaDbClient() {
    assertThat(runtime.get(0)).isEqualTo("FROM eclipse-temurin:17-jre");
    assertThat(runtime)
        .anyMatch(
            i ->
                i.startsWith("RUN ")
                    && i.contains("apt-get install")
                    && i.contains(" mariadb-client"));
    assertThat(runtime)
        .anyMatch(i -> i.startsWith("LABEL ") && i.contains("org.opencontainers.image.source="));
  }

  @Test
  void entryPointIsTheWrapperRunningTheJar() {
    assertThat(runtime).contains("ENTRYPOINT [\"osbackup\"]");
    String wrapper =
        runtime.stream()
            .filter(i -> i.contains("> /usr/local/bin/osbackup"))
            .findFirst()
            .orElseThrow();
    assertThat(wrapper)
        .contains("exec java -jar " + JAR + " \"$@\"")
        .contains("chmod 0755 /usr/local/bin/osbackup");
  }

  @Test
  void runsAsTheNonRootUidOfTheJobsAndTheChart() throws IOException {
    assertThat(runtime).contains("USER " + UID + ":" + UID);
    assertThat(runtime).anyMatch(i -> i.contains("useradd") && i.contains("--uid " + UID));
    // Every non-root container the operator creates runs as the image's user.
    int nonRoot = 0;
    for (Container c : goldenJobContainers()) {
      if (Boolean.TRUE.equals(c.getSecurityContext().getRunAsNonRoot())) {
        assertThat(c.getSecurityContext().getRunAsUser()).as(c.getName()).isEqualTo(UID);
        nonRoot++;
      }
    }
    assertThat(nonRoot).isPositive();
    assertThat(
            Chart.render()
                .one(Deployment.class)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getSecurityContext()
                .getRunAsUser())
        .isEqualTo(UID);
  }

  @Test
  void jobsAndTheDeploymentNameCommandsOfTheEntryPoint() throws IOException {
    var commands = new CommandLine(new Main()).getSubcommands().keySet();
    List<Container> containers = new ArrayList<>(goldenJobContainers());
    assertThat(containers).hasSizeGreaterThanOrEqualTo(5);
    for (Container c : containers) {
      assertThat(c.getCommand()).as("a Job that sets command bypasses the entry point").isEmpty();
      assertThat(c.getArgs()).containsExactly("agent");
      // The root filesystem is read-only: the JVM and the agent write under /tmp.
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getVolumeMounts()).anyMatch(m -> "/tmp".equals(m.getMountPath()));
    }
    Container operator =
        Chart.render()
            .one(Deployment.class)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(operator.getCommand()).isEmpty();
    assertThat(commands).contains("agent", operator.getArgs().get(0));
  }

  @Test
  void dockerignoreLetsInWhatTheBuildCopies() throws IOException {
    List<String> allowed =
        Files.readAllLines(Chart.ROOT.resolve(".dockerignore")).stream()
            .filter(l -> l.startsWith("!"))
            .map(l -> l.substring(1))
            .toList();
    List<String> copied =
        instructions.stream()
            .filter(i -> i.startsWith("COPY ") && !i.contains("--from="))
            .map(i -> i.split(" "))
            .flatMap(parts -> Stream.of(parts).skip(1).limit(parts.length - 2))
            .toList();
    assertThat(copied).contains("pom.xml", "operator/pom.xml", "operator/src/main");
    for (String source : copied) {
      assertThat(allowed)
          .as(".dockerignore must let in %s", source)
          .anyMatch(a -> (source + "/").startsWith(a) || source.equals(a));
      assertThat(Chart.ROOT.resolve(source)).exists();
    }
  }

  private static List<Container> goldenJobContainers() throws IOException {
    KubernetesSerialization serialization = new KubernetesSerialization();
    List<Container> containers = new ArrayList<>();
    try (Stream<Path> files = Files.list(GOLDEN_JOBS)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        Object parsed = serialization.unmarshal(Files.readString(file));
        if (parsed instanceof Job job) {
          containers.addAll(job.getSpec().getTemplate().getSpec().getContainers());
        }
      }
    }
    return containers;
  }

  /**
   * Dockerfile instructions, continuation lines joined and comments dropped, whitespace collapsed.
   */
  static List<String> instructions(String dockerfile) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : dockerfile.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      out.add(current.toString().replaceAll("\\s+", " ").strip());
      current.setLength(0);
    }
    return out;
  }

  private static String tag(String xml, String name) {
    Matcher m = Pattern.compile("<" + name + ">([^<]+)</" + name + ">").matcher(xml);
    assertThat(m.find()).as("<%s> in operator/pom.xml", name).isTrue();
    return m.group(1).strip();
  }
}
