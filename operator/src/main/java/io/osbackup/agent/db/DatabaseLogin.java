package io.osbackup.agent.db;

import io.osbackup.store.Credentials;
import java.io.IOException;
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
   * Reads the keys {@code username} and {@code password} of the Secret mounted at {@code
   * credentialsDir} ({@code AgentPlan.DATABASE_CREDENTIALS_DIR}) by the rule of {@link
   * Credentials#secretValue}: one trailing newline dropped, an empty value refused.
   */
  public static DatabaseLogin read(Path credentialsDir) throws IOException {
    try {
      return new DatabaseLogin(
          Credentials.readSecretKey(credentialsDir, "username"),
          Credentials.readSecretKey(credentialsDir, "password"));
    } catch (IOException e) {
      throw new IOException(
          e.getMessage()
              + ": the database credentials Secret must have the keys username and password",
          e);
    }
  }

  @Override
  public String toString() {
    return "DatabaseLogin[username=" + username + ", password=***]";
  }
}
