package io.osbackup.bench;

import io.osbackup.testbed.MariaDbServer;
import io.osbackup.testbed.S3Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The store and database Secrets as a benchmarked agent finds them mounted: {@code store/} with the
 * S3 keys and {@code database/} with the MariaDB account, below the run folder.
 */
final class AgentSecrets {
  private AgentSecrets() {}

  /** Writes the keys of {@code s3} and the account of {@code db} below {@code runDir}. */
  static void write(Path runDir, S3Server s3, MariaDbServer db) throws IOException {
    Path storeDir = Files.createDirectories(runDir.resolve("store"));
    Files.writeString(storeDir.resolve("accessKey"), s3.accessKey(), StandardCharsets.UTF_8);
    Files.writeString(storeDir.resolve("secretKey"), s3.secretKey(), StandardCharsets.UTF_8);
    Path dbDir = Files.createDirectories(runDir.resolve("database"));
    Files.writeString(dbDir.resolve("username"), db.user(), StandardCharsets.UTF_8);
    Files.writeString(dbDir.resolve("password"), db.password(), StandardCharsets.UTF_8);
  }
}
