package io.osbackup.agent.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The user name and password the agent logs in to the database server with, as read from the
 * credentials Secret. Its {@link #toString()} never shows the password.
 */
public record DatabaseLogin(String username, String password) {

  public DatabaseLogin {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
  }

  /**
   * Reads the keys {@code username} and {@code password} of a mounted Secret ({@code
   * AgentPlan.DATABASE_CREDENTIALS_DIR}); one trailing newline is dropped, as {@code kubectl create
   * secret --from-file} often keeps it.
   */
  public static DatabaseLogin read(Path credentialsDir) throws IOException {
    return new DatabaseLogin(
        readKey(credentialsDir, "username"), readKey(credentialsDir, "password"));
  }

  private static String readKey(Path dir, String key) throws IOException {
    Path file = dir.resolve(key);
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          "the database credentials Secret has no key '" + key + "' (looked for " + file + ")");
    }
    String value = Files.readString(file, StandardCharsets.UTF_8);
    if (value.endsWith("\r\n")) {
      return value.substring(0, value.length() - 2);
    }
    return value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
  }

  @Override
  public String toString() {
    return "DatabaseLogin[username=" + username + ", password=***]";
  }
}
