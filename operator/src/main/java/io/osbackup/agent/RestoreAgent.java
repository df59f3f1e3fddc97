package io.osbackup.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.osbackup.agent.db.DatabaseLogin;
import io.osbackup.agent.files.MountTable;
import io.osbackup.agent.restore.RestoreExecution;
import io.osbackup.agent.restore.db.DatabaseRestorer;
import io.osbackup.contract.BackupPlan;
import io.osbackup.contract.Json;
import io.osbackup.contract.RestorePlan;
import io.osbackup.contract.RestoreReport;
import io.osbackup.store.Bucket;
import io.osbackup.store.Credentials;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The restore half of {@code osbackup agent}, chosen when {@value RestorePlan#ENV} is set: verifies
 * or restores the items of its plan ({@link RestoreExecution}) and always writes a {@link
 * RestoreReport} to the bucket.
 */
final class RestoreAgent {

  /** How the agent ends: exit code and, on failure, the message for the termination log. */
  record Result(int code, String message) {}

  private final MountTable mounts;
  private final BucketConnector connector;
  private final DatabaseRestorer databases;
  private final Clock clock;
  private final PrintStream out;
  private final PrintStream err;
  private Secrets secrets = Secrets.none();

  RestoreAgent(
      MountTable mounts,
      BucketConnector connector,
      DatabaseRestorer databases,
      Clock clock,
      PrintStream out,
      PrintStream err) {
    this.mounts = mounts;
    this.connector = connector;
    this.databases = databases;
    this.clock = clock;
    this.out = out;
    this.err = err;
  }

  Secrets secrets() {
    return secrets;
  }

  Result run(String json) {
    Instant startedAt = clock.instant();
    RestorePlan plan;
    try {
      plan = Json.MAPPER.readValue(json, RestorePlan.class);
      check(plan);
    } catch (JsonProcessingException e) {
      return new Result(
          AgentCommand.BAD_PLAN,
          RestorePlan.ENV + " is not a valid plan: " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      return new Result(AgentCommand.BAD_PLAN, e.getMessage());
    }
    Credentials credentials;
    try {
      credentials = Credentials.fromDirectory(mounts.resolve(plan.store().credentialsDir()));
    } catch (IOException e) {
      return new Result(AgentCommand.FAILED, e.getMessage() + " (no report written)");
    }
    secrets = secrets.with(credentials.accessKey(), credentials.secretKey());
    BackupPlan.Store store =
        plan.store().caBundleFile() == null
            ? plan.store()
            : plan.store().withCaBundleFile(mounts.resolve(plan.store().caBundleFile()).toString());
    try (Bucket bucket = connector.connect(store, credentials)) {
      List<String> warnings = new ArrayList<>();
      List<RestoreReport.Item> items = new ArrayList<>();
      RestoreExecution execution =
          new RestoreExecution(
              bucket::download,
              databases,
              mounts,
              this::login,
              line -> out.println(secrets.redact(line)),
              warning -> {
                if (warnings.size() < 50) {
                  warnings.add(secrets.redact(warning));
                }
                err.println("warning: " + secrets.redact(warning));
              });
      RestoreExecution.Outcome outcome = null;
      String reason = null;
      String message = null;
      try {
        outcome =
            RestorePlan.VERIFY.equals(plan.mode())
                ? execution.verify(plan, items)
                : execution.restore(plan, items);
      } catch (RestoreExecution.Failure e) {
        reason = e.reason();
        message = secrets.redact(e.getMessage());
      } catch (RuntimeException e) {
        reason = "RestoreFailed";
        message = secrets.redact(String.valueOf(e));
      }
      RestoreReport report =
          new RestoreReport(
              plan.jobName(),
              reason == null,
              reason,
              message,
              startedAt,
              clock.instant(),
              outcome == null ? items : outcome.items(),
              outcome == null ? List.of() : outcome.servers(),
              warnings);
      try {
        bucket.putJson(plan.reportKey(), report);
      } catch (IOException e) {
        String failure = "cannot write the report " + plan.reportKey() + ": " + e.getMessage();
        return new Result(
            AgentCommand.FAILED, message == null ? failure : message + "; " + failure);
      }
      if (reason != null) {
        return new Result(AgentCommand.FAILED, reason + ": " + message);
      }
      out.println(
          plan.mode()
              + " succeeded: "
              + report.items().size()
              + " item(s), report "
              + plan.reportKey());
      return new Result(AgentCommand.SUCCEEDED, null);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return new Result(
          AgentCommand.FAILED,
          "cannot reach bucket "
              + plan.store().bucket()
              + " at "
              + plan.store().endpoint()
              + ": "
              + e.getMessage()
              + " (no report written)");
    }
  }

  private DatabaseLogin login(String credentialsDir) throws IOException {
    DatabaseLogin login = DatabaseLogin.read(mounts.resolve(credentialsDir));
    secrets = secrets.with(login.password());
    return login;
  }

  private static void check(RestorePlan plan) {
    if (plan == null) {
      throw new IllegalArgumentException(RestorePlan.ENV + " is not a valid plan: it is null");
    }
    for (String[] field :
        new String[][] {
          {"jobName", plan.jobName()},
          {"reportKey", plan.reportKey()},
          {"mode", plan.mode()},
          {"stamp", plan.stamp()}
        }) {
      if (field[1] == null || field[1].isBlank()) {
        throw new IllegalArgumentException(
            RestorePlan.ENV + " is not a valid plan: " + field[0] + " is missing");
      }
    }
    if (plan.store() == null || plan.store().credentialsDir() == null) {
      throw new IllegalArgumentException(
          RestorePlan.ENV + " is not a valid plan: store is missing");
    }
    if (!RestorePlan.VERIFY.equals(plan.mode()) && !RestorePlan.RESTORE.equals(plan.mode())) {
      throw new IllegalArgumentException(
          RestorePlan.ENV
              + " is not a valid plan: mode must be verify or restore, not '"
              + plan.mode()
              + "'");
    }
  }
}
