package io.osbackup.agent.db;

import io.osbackup.store.Credentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The user name and password the agent logs in to the database server with, and where they were
 * read from (the credentials Secret, or what the break-glass CLI read), so a refused login names
 * what to check. Its {@link #toString()} never shows the password.
 */
public record DatabaseLogin(String username, String password, String source) {

  /**
   * Where the agent's login comes from: the Secret of the policy's (or the request's) database
   * target.
   */
  public static final String SECRET = "the database credentials Secret";

  public DatabaseLogin {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    source = source == null ? SECRET : source;
  }

  /** A login read from the credentials Secret. */
  public DatabaseLogin(String username, String password) {
    this(username, password, SECRET);
  }

  /**
   * Reads the keys {@code username} and {@code password} of the Secret mounted at {@code
   * credentialsDir} ({@code BackupPlan.DATABASE_CREDENTIALS_DIR}) by the rule of {@link
   * Credentials#secretValue}: one trailing newline dropped, an empty value refused.
   */
  public static DatabaseLogin read(Path credentialsDir) throws IOException {
    return read(credentialsDir, SECRET);
  }

  /**
   * {@link #read(Path)} from a directory that {@code source} describes to the user (e.g. a
   * command's option).
   */
  public static DatabaseLogin read(Path credentialsDir, String source) throws IOException {
    try {
      return new DatabaseLogin(
          Credentials.readSecretKey(credentialsDir, "username"),
          Credentials.readSecretKey(credentialsDir, "password"),
          source);
    } catch (IOException e) {
      String message =
          SECRET.equals(source)
              ? e.getMessage()
                  + ": the database credentials Secret must have the keys username and password"
              : e.getMessage().replace("the Secret mounted at", "the directory")
                  + ": "
                  + source
                  + " must hold the files username and password";
      throw new IOException(message, e);
    }
  }

  @Override
  public String toString() {
    return "DatabaseLogin[username=" + username + ", password=***]";
  }
}
