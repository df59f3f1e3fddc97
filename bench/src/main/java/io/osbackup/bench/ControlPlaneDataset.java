package io.osbackup.bench;

import io.osbackup.contract.BackupPlan;
import io.osbackup.testbed.MariaDbServer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates an OpenStack-like control-plane data set: nova (wide instance rows with JSON text,
 * system metadata), nova_api (request specs), placement (allocations), keystone (role assignments,
 * credentials with binary blobs), neutron (ports, bindings, standard attributes) and glance
 * (images, properties). Rows are written as tab-separated files and bulk loaded with {@code LOAD
 * DATA LOCAL INFILE}. Deterministic for a given number of instances.
 */
final class ControlPlaneDataset {

  /** The databases the benchmark backs up, in dump order. */
  static final List<String> DATABASES =
      List.of("glance", "keystone", "neutron", "nova", "nova_api", "placement");

  /**
   * The plan of a backup Job {@code jobName} that dumps {@link #DATABASES} from the server on
   * {@code 127.0.0.1:port} as database target {@code target} into {@code folder} of {@code store}.
   */
  static BackupPlan backupPlan(
      String jobName,
      String folder,
      BackupPlan.Store store,
      String compression,
      String target,
      int port) {
    return new BackupPlan(
        jobName,
        jobName,
        folder,
        store,
        compression,
        new BackupPlan.Database(
            target,
            "127.0.0.1",
            port,
            BackupPlan.DATABASE_CREDENTIALS_DIR,
            DATABASES,
            List.of(),
            false),
        null);
  }

  /** Bumped whenever the generated content changes, so a stale cache is rebuilt. */
  static final int VERSION = 1;

  private static final String[] VM_STATES = {"active", "active", "active", "stopped", "error"};
  private static final String[] AZS = {"nova", "az-1", "az-2"};
  private static final String[] FLAVORS = {"m1.small", "m1.medium", "m1.large", "c2.xlarge"};
  private static final String[] IMAGE_KEYS = {
    "image_base_image_ref",
    "image_container_format",
    "image_disk_format",
    "image_min_disk",
    "image_min_ram",
    "image_hw_disk_bus",
    "image_hw_vif_model",
    "image_os_distro",
    "image_os_type",
    "clean_attempts"
  };

  private final int instances;
  private final SplittableRandom random;
  private final String[] hosts = new String[200];
  private final String[] projects = new String[2000];
  private final String[] users = new String[5000];
  private final String[] networks = new String[400];
  private final String[] images = new String[2000];
  private final String[] roles = new String[12];

  ControlPlaneDataset(int instances) {
    this.instances = instances;
    this.random = new SplittableRandom(20261121L);
    for (int i = 0; i < hosts.length; i++) {
      hosts[i] = String.format("compute-%03d.cloud.example.org", i);
    }
    fill(projects);
    fill(users);
    fill(networks);
    fill(images);
    fill(roles);
  }

  private void fill(String[] ids) {
    for (int i = 0; i < ids.length; i++) {
      ids[i] = hex(16);
    }
  }

  /** Creates the databases and tables and loads the rows; {@code tmp} holds the load files. */
  void load(MariaDbServer server, Path tmp) throws IOException, SQLException {
    try (Connection c = server.connect("");
        Statement s = c.createStatement()) {
      for (String db : DATABASES) {
        s.execute("DROP DATABASE IF EXISTS " + db);
        s.execute("CREATE DATABASE " + db);
      }
      for (String ddl : SCHEMA) {
        s.execute(ddl);
      }
      s.execute("SET SESSION unique_checks = 0");
      s.execute("SET SESSION foreign_key_checks = 0");
      loadTable(s, tmp, "glance.images", "", this::images);
      loadTable(s, tmp, "glance.image_properties", "", this::imageProperties);
      loadTable(s, tmp, "keystone.assignment", "", this::assignments);
      loadTable(
          s,
          tmp,
          "keystone.credential",
          "(id, user_id, project_id, type, extra, key_hash, @blob)"
              + " SET encrypted_blob = UNHEX(@blob)",
          this::credentials);
      loadTable(s, tmp, "neutron.standardattributes", "", this::standardAttributes);
      loadTable(s, tmp, "neutron.ports", "", this::ports);
      loadTable(s, tmp, "neutron.ml2_port_bindings", "", this::portBindings);
      loadTable(s, tmp, "nova.instances", "", this::instanceRows);
      loadTable(s, tmp, "nova.instance_extra", "", this::instanceExtra);
      loadTable(s, tmp, "nova.instance_system_metadata", "", this::systemMetadata);
      loadTable(s, tmp, "nova_api.request_specs", "", this::requestSpecs);
      loadTable(s, tmp, "placement.allocations", "", this::allocations);
    }
  }

  /** Writes the rows of one table. */
  private interface Rows {
    void write(BufferedWriter out) throws IOException;
  }

  private void loadTable(Statement s, Path tmp, String table, String columns, Rows rows)
      throws IOException, SQLException {
    long started = System.nanoTime();
    Path file = tmp.resolve(table + ".tsv");
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      rows.write(out);
    }
    long size = Files.size(file);
    s.execute(
        "LOAD DATA LOCAL INFILE '"
            + file
            + "' INTO TABLE "
            + table
            + " CHARACTER SET utf8mb4 "
            + columns);
    Files.delete(file);
    System.out.printf(
        "  loaded %-32s %,14d bytes of rows in %5.1f s%n",
        table, size, (System.nanoTime() - started) / 1e9);
  }

  // ---- row writers; columns separated by tabs, \N is NULL ----

  private String instanceUuid(int i) {
    // derived, so every table agrees on an instance's uuid without keeping them in memory
    SplittableRandom r = new SplittableRandom(i * 7919L + 17);
    return uuid(r);
  }

  private String portUuid(int i, int n) {
    SplittableRandom r = new SplittableRandom(i * 7919L + 31 + n);
    return uuid(r);
  }

  private void images(BufferedWriter out) throws IOException {
    for (int i = 0; i < images.length; i++) {
      row(
          out,
          uuidOf(images[i]),
          "ubuntu-22.04-server-cloudimg-amd64-" + i,
          Long.toString(500_000_000L + random.nextLong(3_000_000_000L)),
          "active",
          date(),
          date(),
          "\\N",
          "0",
          "qcow2",
          "bare",
          hex(16),
          "0",
          "0",
          projects[i % projects.length],
          "0",
          "public",
          "0",
          "sha512",
          hex(64));
    }
  }

  private void imageProperties(BufferedWriter out) throws IOException {
    String[] keys = {
      "hw_disk_bus", "hw_vif_model", "os_distro", "os_version", "hw_qemu_guest_agent"
    };
    String[] values = {"virtio", "virtio", "ubuntu", "22.04", "yes"};
    int id = 1;
    for (String image : images) {
      for (int k = 0; k < keys.length; k++) {
        row(out, Integer.toString(id++), uuidOf(image), keys[k], values[k], date(), date(), "0");
      }
    }
  }

  private void assignments(BufferedWriter out) throws IOException {
    // two role assignments per instance's worth of users and projects, unique by primary key
    for (int i = 0; i < instances * 2; i++) {
      row(
          out,
          "UserProject",
          users[i % users.length],
          projects[(i / users.length) % projects.length],
          roles[(i / users.length / projects.length + i) % roles.length],
          "0");
    }
  }

  private void credentials(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances / 10; i++) {
      byte[] blob = new byte[512];
      random.nextBytes(blob);
      row(
          out,
          hex(32),
          users[i % users.length],
          projects[i % projects.length],
          "ec2",
          "{}",
          hex(20),
          HexFormat.of().formatHex(blob));
    }
  }

  private void standardAttributes(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances * 2; i++) {
      row(out, Integer.toString(i + 1), "ports", date(), date(), "", "3");
    }
  }

  private void ports(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances; i++) {
      for (int n = 0; n < 2; n++) {
        row(
            out,
            projects[i % projects.length],
            portUuid(i, n),
            "",
            uuidOf(networks[(i + n) % networks.length]),
            mac(),
            "1",
            "ACTIVE",
            instanceUuid(i),
            "compute:" + AZS[i % AZS.length],
            Integer.toString(i * 2 + n + 1),
            "immediate");
      }
    }
  }

  private void portBindings(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances; i++) {
      String host = hosts[i % hosts.length];
      for (int n = 0; n < 2; n++) {
        row(
            out,
            portUuid(i, n),
            host,
            "ovs",
            "normal",
            "{}",
            "{\"connectivity\": \"l2\", \"port_filter\": true, \"ovs_hybrid_plug\": false,"
                + " \"datapath_type\": \"system\", \"bridge_name\": \"br-int\"}",
            "ACTIVE");
      }
    }
  }

  private void instanceRows(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances; i++) {
      String uuid = instanceUuid(i);
      String host = hosts[i % hosts.length];
      String name = "vm-" + hex(4) + "-" + i;
      String sshKey = sshKey();
      boolean deleted = i % 7 == 0;
      row(
          out,
          Integer.toString(i + 1),
          date(),
          date(),
          deleted ? date() : "\\N",
          deleted ? Integer.toString(i + 1) : "0",
          uuid,
          users[i % users.length],
          projects[i % projects.length],
          images[i % images.length],
          "",
          "",
          name,
          host,
          host,
          "0",
          "key-" + (i % 500),
          sshKey,
          "1",
          VM_STATES[i % VM_STATES.length],
          "\\N",
          Integer.toString(2048 << (i % 4)),
          Integer.toString(1 << (i % 4)),
          Integer.toString(20 << (i % 3)),
          "0",
          Integer.toString(i % 4 + 1),
          userData(name, sshKey),
          "r-" + hex(4),
          date(),
          "\\N",
          AZS[i % AZS.length],
          name,
          name,
          host,
          "0",
          "linux",
          "x86_64",
          "hvm",
          "/dev/vda",
          "",
          "\\N",
          "\\N",
          "0",
          "\\N",
          "0",
          "0",
          "0",
          "\\N",
          "0",
          Integer.toString(i % hosts.length + 1));
    }
  }

  private void instanceExtra(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances; i++) {
      String flavor = FLAVORS[i % FLAVORS.length];
      int vcpus = 1 << (i % 4);
      int ram = 2048 << (i % 4);
      row(
          out,
          Integer.toString(i + 1),
          date(),
          date(),
          "\\N",
          "0",
          instanceUuid(i),
          numaTopology(vcpus, ram),
          "{\"nova_object.name\": \"InstancePCIRequests\", \"nova_object.namespace\": \"nova\","
              + " \"nova_object.version\": \"1.1\", \"nova_object.data\": {\"requests\": []}}",
          flavorJson(flavor, vcpus, ram),
          vcpuModel(),
          "\\N",
          "{\"nova_object.name\": \"KeyPairList\", \"nova_object.namespace\": \"nova\","
              + " \"nova_object.version\": \"1.3\", \"nova_object.data\": {\"objects\":"
              + " [{\"nova_object.name\": \"KeyPair\", \"nova_object.data\": {\"public_key\": \""
              + sshKey()
              + "\", \"name\": \"key-"
              + (i % 500)
              + "\", \"type\": \"ssh\", \"user_id\": \""
              + users[i % users.length]
              + "\"}}]}}",
          "\\N",
          "\\N",
          "\\N",
          "\\N");
    }
  }

  private void systemMetadata(BufferedWriter out) throws IOException {
    long id = 1;
    String[] values = {"", "bare", "qcow2", "20", "0", "virtio", "virtio", "ubuntu", "linux", "0"};
    for (int i = 0; i < instances; i++) {
      String uuid = instanceUuid(i);
      for (int k = 0; k < IMAGE_KEYS.length; k++) {
        String value = k == 0 ? images[i % images.length] : values[k];
        row(out, Long.toString(id++), date(), date(), "\\N", uuid, IMAGE_KEYS[k], value, "0");
      }
    }
  }

  private void requestSpecs(BufferedWriter out) throws IOException {
    for (int i = 0; i < instances; i++) {
      String uuid = instanceUuid(i);
      String flavor = FLAVORS[i % FLAVORS.length];
      int vcpus = 1 << (i % 4);
      int ram = 2048 << (i % 4);
      String spec =
          "{\"nova_object.name\": \"RequestSpec\", \"nova_object.namespace\": \"nova\","
              + " \"nova_object.version\": \"1.14\", \"nova_object.data\": {\"image\":"
              + " {\"nova_object.name\": \"ImageMeta\", \"nova_object.data\": {\"id\": \""
              + uuidOf(images[i % images.length])
              + "\", \"name\": \"ubuntu-22.04\", \"status\": \"active\", \"container_format\":"
              + " \"bare\", \"disk_format\": \"qcow2\", \"min_ram\": 0, \"min_disk\": 0,"
              + " \"size\": 2361393152, \"checksum\": \""
              + hex(16)
              + "\", \"properties\": {\"nova_object.name\": \"ImageMetaProps\","
              + " \"nova_object.data\": {\"hw_disk_bus\": \"virtio\", \"hw_vif_model\":"
              + " \"virtio\", \"os_distro\": \"ubuntu\"}}}}, \"numa_topology\": null,"
              + " \"pci_requests\": {\"nova_object.name\": \"InstancePCIRequests\","
              + " \"nova_object.data\": {\"requests\": []}}, \"project_id\": \""
              + projects[i % projects.length]
              + "\", \"user_id\": \""
              + users[i % users.length]
              + "\", \"availability_zone\": \""
              + AZS[i % AZS.length]
              + "\", \"flavor\": "
              + flavorJson(flavor, vcpus, ram)
              + ", \"num_instances\": 1, \"ignore_hosts\": null, \"force_hosts\": null,"
              + " \"force_nodes\": null, \"retry\": null, \"limits\": {\"nova_object.name\":"
              + " \"SchedulerLimits\", \"nova_object.data\": {\"numa_topology\": null, \"vcpu\":"
              + " null, \"disk_gb\": null, \"memory_mb\": null}}, \"instance_group\": null,"
              + " \"scheduler_hints\": {}, \"instance_uuid\": \""
              + uuid
              + "\", \"security_groups\": {\"nova_object.name\": \"SecurityGroupList\","
              + " \"nova_object.data\": {\"objects\": [{\"nova_object.name\": \"SecurityGroup\","
              + " \"nova_object.data\": {\"name\": \"default\"}}]}}, \"is_bfv\": false,"
              + " \"requested_networks\": {\"nova_object.name\": \"NetworkRequestList\","
              + " \"nova_object.data\": {\"objects\": [{\"nova_object.name\": \"NetworkRequest\","
              + " \"nova_object.data\": {\"network_id\": \""
              + uuidOf(networks[i % networks.length])
              + "\", \"port_id\": \""
              + portUuid(i, 0)
              + "\", \"tag\": null}}]}}}}";
      row(out, Integer.toString(i + 1), date(), date(), uuid, spec);
    }
  }

  private void allocations(BufferedWriter out) throws IOException {
    long id = 1;
    for (int i = 0; i < instances; i++) {
      String uuid = instanceUuid(i);
      int provider = i % hosts.length + 1;
      int[] used = {1 << (i % 4), 2048 << (i % 4), 20 << (i % 3)};
      for (int rc = 0; rc < 3; rc++) {
        row(
            out,
            Long.toString(id++),
            Integer.toString(provider),
            uuid,
            Integer.toString(rc),
            Integer.toString(used[rc]),
            date(),
            date());
      }
    }
  }

  // ---- values ----

  private String numaTopology(int vcpus, int ram) {
    StringBuilder cells = new StringBuilder();
    for (int c = 0; c < Math.max(1, vcpus / 4); c++) {
      if (c > 0) {
        cells.append(", ");
      }
      cells
          .append("{\"nova_object.name\": \"InstanceNUMACell\", \"nova_object.namespace\":")
          .append(" \"nova\", \"nova_object.version\": \"1.6\", \"nova_object.data\": {\"id\": ")
          .append(c)
          .append(", \"cpuset\": [0, 1], \"pcpuset\": [], \"memory\": ")
          .append(ram)
          .append(", \"pagesize\": null, \"cpu_pinning_raw\": null, \"cpu_policy\": null}}");
    }
    return "{\"nova_object.name\": \"InstanceNUMATopology\", \"nova_object.namespace\": \"nova\","
        + " \"nova_object.version\": \"1.3\", \"nova_object.data\": {\"cells\": ["
        + cells
        + "], \"emulator_threads_policy\": null}}";
  }

  private String flavorJson(String flavor, int vcpus, int ram) {
    return "{\"cur\": {\"nova_object.name\": \"Flavor\", \"nova_object.namespace\": \"nova\","
        + " \"nova_object.version\": \"1.2\", \"nova_object.data\": {\"id\": "
        + (vcpus + 1)
        + ", \"name\": \""
        + flavor
        + "\", \"memory_mb\": "
        + ram
        + ", \"vcpus\": "
        + vcpus
        + ", \"root_gb\": 20, \"ephemeral_gb\": 0, \"flavorid\": \""
        + hex(8)
        + "\", \"swap\": 0, \"rxtx_factor\": 1.0, \"vcpu_weight\": 0, \"disabled\": false,"
        + " \"is_public\": true, \"extra_specs\": {\"hw:mem_page_size\": \"any\","
        + " \"hw_rng:allowed\": \"True\"}, \"description\": null, \"created_at\": \""
        + date().replace(' ', 'T')
        + "Z\", \"updated_at\": null, \"deleted_at\": null, \"deleted\": false}}, \"old\":"
        + " null, \"new\": null}";
  }

  private String vcpuModel() {
    return "{\"nova_object.name\": \"VirtCPUModel\", \"nova_object.namespace\": \"nova\","
        + " \"nova_object.version\": \"1.0\", \"nova_object.data\": {\"arch\": null, \"vendor\":"
        + " null, \"topology\": {\"nova_object.name\": \"VirtCPUTopology\","
        + " \"nova_object.data\": {\"sockets\": 1, \"cores\": 1, \"threads\": 1}},"
        + " \"features\": [], \"mode\": \"host-model\", \"model\": null, \"match\": \"exact\"}}";
  }

  private String sshKey() {
    byte[] key = new byte[279];
    random.nextBytes(key);
    return "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"
        + Base64.getEncoder().encodeToString(key)
        + " user@workstation";
  }

  private static String userData(String name, String sshKey) {
    String cloudConfig =
        "#cloud-config\nhostname: "
            + name
            + "\nmanage_etc_hosts: true\nusers:\n  - name: ubuntu\n    sudo: ALL=(ALL)"
            + " NOPASSWD:ALL\n    shell: /bin/bash\n    ssh_authorized_keys:\n      - "
            + sshKey
            + "\npackage_update: true\npackages:\n  - nginx\n  - prometheus-node-exporter\n"
            + "write_files:\n  - path: /etc/nginx/sites-enabled/default\n    content: |\n"
            + "      server { listen 80 default_server; root /var/www/html; }\nruncmd:\n"
            + "  - systemctl enable --now nginx\n  - echo done > /var/log/bootstrap.log\n";
    return Base64.getEncoder().encodeToString(cloudConfig.getBytes(StandardCharsets.UTF_8));
  }

  private String date() {
    return String.format(
        "2026-%02d-%02d %02d:%02d:%02d",
        1 + random.nextInt(11),
        1 + random.nextInt(28),
        random.nextInt(24),
        random.nextInt(60),
        random.nextInt(60));
  }

  private String mac() {
    return String.format(
        "fa:16:3e:%02x:%02x:%02x", random.nextInt(256), random.nextInt(256), random.nextInt(256));
  }

  private String hex(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static String uuid(SplittableRandom r) {
    byte[] b = new byte[16];
    r.nextBytes(b);
    return uuidOf(HexFormat.of().formatHex(b));
  }

  private static String uuidOf(String hex32) {
    return hex32.substring(0, 8)
        + "-"
        + hex32.substring(8, 12)
        + "-"
        + hex32.substring(12, 16)
        + "-"
        + hex32.substring(16, 20)
        + "-"
        + hex32.substring(20, 32);
  }

  private static void row(BufferedWriter out, String... columns) throws IOException {
    for (int i = 0; i < columns.length; i++) {
      if (i > 0) {
        out.write('\t');
      }
      out.write(columns[i]);
    }
    out.write('\n');
  }

  private static final List<String> SCHEMA =
      List.of(
          "CREATE TABLE glance.images (id VARCHAR(36) PRIMARY KEY, name VARCHAR(255), size BIGINT,"
              + " status VARCHAR(30) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME,"
              + " deleted_at DATETIME, deleted TINYINT NOT NULL, disk_format VARCHAR(20),"
              + " container_format VARCHAR(20), checksum VARCHAR(32), min_disk INT NOT NULL,"
              + " min_ram INT NOT NULL, owner VARCHAR(255), protected TINYINT NOT NULL,"
              + " visibility ENUM('private','public','shared','community'), os_hidden TINYINT,"
              + " os_hash_algo VARCHAR(64), os_hash_value VARCHAR(128))",
          "CREATE TABLE glance.image_properties (id INT PRIMARY KEY, image_id VARCHAR(36) NOT"
              + " NULL, name VARCHAR(255) NOT NULL, value TEXT, created_at DATETIME NOT NULL,"
              + " updated_at DATETIME, deleted TINYINT NOT NULL, UNIQUE KEY (image_id, name))",
          "CREATE TABLE keystone.assignment (type ENUM('UserProject','GroupProject','UserDomain',"
              + "'GroupDomain') NOT NULL, actor_id VARCHAR(64) NOT NULL, target_id VARCHAR(64) NOT"
              + " NULL, role_id VARCHAR(64) NOT NULL, inherited TINYINT NOT NULL, PRIMARY KEY"
              + " (type, actor_id, target_id, role_id, inherited), KEY (actor_id))",
          "CREATE TABLE keystone.credential (id VARCHAR(64) PRIMARY KEY, user_id VARCHAR(64) NOT"
              + " NULL, project_id VARCHAR(64), type VARCHAR(255) NOT NULL, extra TEXT, key_hash"
              + " VARCHAR(64) NOT NULL, encrypted_blob BLOB NOT NULL)",
          "CREATE TABLE neutron.standardattributes (id BIGINT PRIMARY KEY, resource_type"
              + " VARCHAR(255) NOT NULL, created_at DATETIME, updated_at DATETIME, description"
              + " VARCHAR(255), revision_number BIGINT NOT NULL)",
          "CREATE TABLE neutron.ports (project_id VARCHAR(255), id VARCHAR(36) PRIMARY KEY, name"
              + " VARCHAR(255), network_id VARCHAR(36) NOT NULL, mac_address VARCHAR(32) NOT NULL,"
              + " admin_state_up TINYINT NOT NULL, status VARCHAR(16) NOT NULL, device_id"
              + " VARCHAR(255) NOT NULL, device_owner VARCHAR(255) NOT NULL, standard_attr_id"
              + " BIGINT NOT NULL, ip_allocation VARCHAR(16), UNIQUE KEY (standard_attr_id), KEY"
              + " (network_id, mac_address), KEY (device_id))",
          "CREATE TABLE neutron.ml2_port_bindings (port_id VARCHAR(36) NOT NULL, host"
              + " VARCHAR(255) NOT NULL, vif_type VARCHAR(64) NOT NULL, vnic_type VARCHAR(64) NOT"
              + " NULL, profile VARCHAR(4095) NOT NULL, vif_details VARCHAR(4095) NOT NULL, status"
              + " VARCHAR(16) NOT NULL, PRIMARY KEY (port_id, host))",
          "CREATE TABLE nova.instances (id INT PRIMARY KEY, created_at DATETIME, updated_at"
              + " DATETIME, deleted_at DATETIME, deleted INT, uuid VARCHAR(36) NOT NULL, user_id"
              + " VARCHAR(255), project_id VARCHAR(255), image_ref VARCHAR(255), kernel_id"
              + " VARCHAR(255), ramdisk_id VARCHAR(255), hostname VARCHAR(255), host"
              + " VARCHAR(255), node VARCHAR(255), launch_index INT, key_name VARCHAR(255),"
              + " key_data MEDIUMTEXT, power_state INT, vm_state VARCHAR(255), task_state"
              + " VARCHAR(255), memory_mb INT, vcpus INT, root_gb INT, ephemeral_gb INT,"
              + " instance_type_id INT, user_data MEDIUMTEXT, reservation_id VARCHAR(255),"
              + " launched_at DATETIME, terminated_at DATETIME, availability_zone VARCHAR(255),"
              + " display_name VARCHAR(255), display_description VARCHAR(255), launched_on"
              + " MEDIUMTEXT, locked TINYINT, os_type VARCHAR(255), architecture VARCHAR(255),"
              + " vm_mode VARCHAR(255), root_device_name VARCHAR(255), config_drive"
              + " VARCHAR(255), access_ip_v4 VARCHAR(39), access_ip_v6 VARCHAR(39), progress INT,"
              + " cell_name VARCHAR(255), shutdown_terminate TINYINT, disable_terminate TINYINT,"
              + " cleaned INT, locked_by ENUM('owner','admin'), hidden TINYINT, compute_id"
              + " BIGINT, UNIQUE KEY (uuid, deleted), KEY (host, node, deleted), KEY (project_id,"
              + " deleted))",
          "CREATE TABLE nova.instance_extra (id INT PRIMARY KEY, created_at DATETIME, updated_at"
              + " DATETIME, deleted_at DATETIME, deleted INT, instance_uuid VARCHAR(36) NOT NULL,"
              + " numa_topology TEXT, pci_requests TEXT, flavor TEXT, vcpu_model TEXT,"
              + " migration_context TEXT, keypairs TEXT, device_metadata TEXT, trusted_certs"
              + " TEXT, vpmems TEXT, resources TEXT, KEY (instance_uuid))",
          "CREATE TABLE nova.instance_system_metadata (id INT PRIMARY KEY, created_at DATETIME,"
              + " updated_at DATETIME, deleted_at DATETIME, instance_uuid VARCHAR(36) NOT NULL,"
              + " `key` VARCHAR(255) NOT NULL, value TEXT, deleted INT, KEY (instance_uuid))",
          "CREATE TABLE nova_api.request_specs (id INT PRIMARY KEY, created_at DATETIME,"
              + " updated_at DATETIME, instance_uuid VARCHAR(36) NOT NULL, spec MEDIUMTEXT NOT"
              + " NULL, UNIQUE KEY (instance_uuid))",
          "CREATE TABLE placement.allocations (id INT PRIMARY KEY, resource_provider_id INT NOT"
              + " NULL, consumer_id VARCHAR(36) NOT NULL, resource_class_id INT NOT NULL, used"
              + " INT NOT NULL, created_at DATETIME, updated_at DATETIME, KEY (consumer_id), KEY"
              + " (resource_provider_id, resource_class_id))");
}
