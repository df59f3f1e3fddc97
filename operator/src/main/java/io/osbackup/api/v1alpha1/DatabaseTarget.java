package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

/** A MariaDB/MySQL server whose databases are dumped together as one consistent snapshot. */
@Data
@ValidationRule(
    value = "!has(self.include) || !has(self.exclude) || self.include.all(i, !(i in self.exclude))",
    message = "a database is listed in both include and exclude; remove it from one of them")
public class DatabaseTarget {

  // The database names carry maxLength as well as the pattern, and the lists maxItems: the API
  // server estimates the
  // cost of the include/exclude rule from maxItems and maxLength only (times the 50 targets a
  // policy may have), and
  // refuses the CRD over its budget: 500 names each was 1.27 times too many (ControlPlaneIT), 200
  // is within it.

  @Required
  @Size(min = 1, max = 40)
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
  @JsonPropertyDescription(
      "Name of the target, unique in the policy: a DNS label of at most 40 characters (lower-case letters, digits,"
          + " hyphens). Artifacts go to db/<name>/<database>.sql.gz.")
  private String name;

  @Required
  @Pattern("^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$")
  @JsonPropertyDescription(
      "Host name or IP address of the server, for example openstack-galera.openstack.svc.")
  private String host;

  @Default("3306")
  @Min(1)
  @Max(65535)
  @JsonPropertyDescription("TCP port of the server.")
  private Integer port = 3306;

  @Required
  @JsonPropertyDescription(
      "Secret in the same namespace with the keys username and password of a user allowed to dump (SELECT, SHOW"
          + " VIEW, TRIGGER, EVENT, LOCK TABLES, PROCESS on the dumped databases).")
  private LocalRef credentialsSecret;

  @JsonPropertyDescription(
      "Databases to dump, for example [keystone, nova, nova_api, nova_cell0, placement]. Empty: every user database"
          + " on the server but osbackup_restore (the restore's switch journal). A listed database that does not exist"
          + " fails the run.")
  @Size(max = 200)
  private List<@Size(max = 64) @Pattern("^[A-Za-z0-9_$-]{1,64}$") String> include =
      new ArrayList<>();

  @JsonPropertyDescription("Databases not to dump, applied after include.")
  @Size(max = 200)
  private List<@Size(max = 64) @Pattern("^[A-Za-z0-9_$-]{1,64}$") String> exclude =
      new ArrayList<>();

  @JsonPropertyDescription(
      "TLS to the server, for the backup's pre-flight check and mariadb-dump and for restores into this server:"
          + " {mode: required|verify-ca|verify-full, caSecret: {name, key}}. Without it, TLS is used when the server"
          + " offers it, checking no certificate.")
  private DatabaseTls tls;

  @Default("false")
  @JsonPropertyDescription(
      "Also dump the system databases mysql and sys (information_schema and performance_schema are never dumped)."
          + " Only when include is empty.")
  private Boolean includeSystemDatabases = false;

  @Default("Relevant")
  @JsonPropertyDescription(
      "MariaDB accounts, roles and grants stored with the databases, as their own artifact"
          + " accounts/<name>.sql.<ext> (CREATE USER/ROLE IF NOT EXISTS with password hashes, GRANT, SET DEFAULT"
          + " ROLE). Relevant (default): every account or role holding a privilege on a dumped database or a table"
          + " in it, the accounts granted such a role, and the roles those accounts are granted. All: every account"
          + " and role. None: no accounts. The server's own accounts (root, mariadb.sys, mysql) and the backup's"
          + " login are never stored. Needs SELECT on mysql.* for the backup login (see docs/privileges.md).")
  private AccountsCapture accounts = AccountsCapture.Relevant;
}
