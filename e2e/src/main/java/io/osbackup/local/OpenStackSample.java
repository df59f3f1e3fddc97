package io.osbackup.local;

import io.osbackup.testbed.MariaDbServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A small OpenStack control plane to back up in local mode: service databases with a few realistic
 * tables, and the configuration each kind of node holds ({@code /etc/nova}, {@code /etc/keystone},
 * Swift rings and builders, ...).
 */
public final class OpenStackSample {

  /** The service databases {@link #seed} creates. */
  public static final List<String> DATABASES =
      List.of(
          "keystone", "nova", "nova_api", "nova_cell0", "placement", "glance", "cinder", "neutron");

  /** Simulated nodes and their labels. */
  public static final Map<String, Map<String, String>> NODES =
      Map.of(
          "controller-1", Map.of("openstack-role", "controller"),
          "compute-1", Map.of("openstack-role", "compute"),
          "compute-2", Map.of("openstack-role", "compute"),
          "network-1", Map.of("openstack-role", "network"));

  private OpenStackSample() {}

  /** Creates the service databases with a few tables and rows each. */
  public static void seed(MariaDbServer db) {
    List<String> sql = new ArrayList<>();
    for (String name : DATABASES) {
      sql.add("CREATE DATABASE IF NOT EXISTS `" + name + "` CHARACTER SET utf8mb4");
    }
    sql.add(
        "CREATE TABLE keystone.project (id VARCHAR(64) PRIMARY KEY, name VARCHAR(64), description TEXT)");
    sql.add(
        "INSERT INTO keystone.project VALUES ('admin', 'admin', 'Bootstrap project'),"
            + " ('service', 'service', NULL), ('tokyo', 'tokyo-team', '東京チームのプロジェクト')");
    sql.add(
        "CREATE TABLE keystone.user (id VARCHAR(64) PRIMARY KEY, name VARCHAR(255), enabled BOOLEAN)");
    sql.add(
        "INSERT INTO keystone.user VALUES ('u1', 'admin', 1), ('u2', 'nova', 1), ('u3', 'glance', 1)");
    sql.add(
        "CREATE TABLE nova.instances (id INT AUTO_INCREMENT PRIMARY KEY, uuid CHAR(36), hostname VARCHAR(255),"
            + " host VARCHAR(255), vm_state VARCHAR(32), user_data MEDIUMTEXT)");
    StringBuilder instances =
        new StringBuilder("INSERT INTO nova.instances (uuid, hostname, host, vm_state) VALUES ");
    for (int i = 0; i < 200; i++) {
      instances
          .append(i == 0 ? "" : ", ")
          .append(
              String.format(
                  "(UUID(), 'vm-%03d', 'compute-%d', '%s')",
                  i, 1 + i % 2, i % 7 == 0 ? "stopped" : "active"));
    }
    sql.add(instances.toString());
    sql.add(
        "CREATE TABLE nova_api.cell_mappings (id INT PRIMARY KEY, uuid CHAR(36), name VARCHAR(255), database_connection TEXT)");
    sql.add(
        "INSERT INTO nova_api.cell_mappings VALUES (1, UUID(), 'cell0', 'mysql+pymysql://nova@galera/nova_cell0'),"
            + " (2, UUID(), 'cell1', 'mysql+pymysql://nova@galera/nova')");
    sql.add("CREATE TABLE nova_cell0.instances (id INT PRIMARY KEY, uuid CHAR(36))");
    sql.add(
        "CREATE TABLE placement.resource_providers (id INT PRIMARY KEY, uuid CHAR(36), name VARCHAR(200), generation INT)");
    sql.add(
        "INSERT INTO placement.resource_providers VALUES (1, UUID(), 'compute-1', 12), (2, UUID(), 'compute-2', 9)");
    sql.add(
        "CREATE TABLE glance.images (id CHAR(36) PRIMARY KEY, name VARCHAR(255), size BIGINT, checksum VARBINARY(64))");
    sql.add(
        "INSERT INTO glance.images VALUES (UUID(), 'cirros-0.6.2', 21430272, UNHEX(MD5('cirros')))");
    sql.add(
        "CREATE TABLE cinder.volumes (id CHAR(36) PRIMARY KEY, display_name VARCHAR(255), size INT, status VARCHAR(32))");
    sql.add(
        "INSERT INTO cinder.volumes VALUES (UUID(), 'db-data', 100, 'in-use'), (UUID(), 'scratch', 10, 'available')");
    sql.add(
        "CREATE TABLE neutron.ports (id CHAR(36) PRIMARY KEY, network_id CHAR(36), mac_address VARCHAR(32), device_owner VARCHAR(255))");
    sql.add(
        "INSERT INTO neutron.ports VALUES (UUID(), UUID(), 'fa:16:3e:00:00:01', 'network:dhcp')");
    db.execute(sql.toArray(String[]::new));
  }

  /** Writes the configuration a node of {@code role} holds into its folder. */
  public static void writeNodeFiles(Path root, String node, String role) throws IOException {
    switch (role) {
      case "controller" -> {
        write(
            root,
            "etc/keystone/keystone.conf",
            "[database]\nconnection = mysql+pymysql://keystone:secret@galera/keystone\n",
            "rw-r-----");
        write(root, "etc/keystone/fernet-keys/0", "fernet-key-0\n", "rw-------");
        write(
            root,
            "etc/glance/glance-api.conf",
            "[DEFAULT]\nbind_host = " + node + "\n",
            "rw-r-----");
        write(
            root,
            "etc/neutron/neutron.conf",
            "[DEFAULT]\ncore_plugin = ml2\nservice_plugins = router\n",
            "rw-r-----");
        write(
            root,
            "etc/neutron/plugins/ml2/ml2_conf.ini",
            "[ml2]\nmechanism_drivers = openvswitch\n",
            "rw-r-----");
        write(
            root,
            "etc/nova/nova.conf",
            "[DEFAULT]\nhost = "
                + node
                + "\n[api_database]\nconnection = mysql+pymysql://nova@galera/nova_api\n",
            "rw-r-----");
        for (String ring : List.of("account", "container", "object")) {
          writeGzip(
              root.resolve("etc/swift/" + ring + ".ring.gz"),
              "R1NG{\"devs\": [], \"part_shift\": 24}");
          write(
              root,
              "etc/swift/" + ring + ".builder",
              "builder of the " + ring + " ring\n",
              "rw-r--r--");
        }
        write(
            root,
            "etc/swift/swift.conf",
            "[swift-hash]\nswift_hash_path_suffix = changeme\n",
            "rw-r-----");
      }
      case "compute" -> {
        write(
            root,
            "etc/nova/nova.conf",
            "[DEFAULT]\nhost = " + node + "\ncompute_driver = libvirt.LibvirtDriver\n",
            "rw-r-----");
        write(root, "etc/nova/nova-compute.conf", "[libvirt]\nvirt_type = kvm\n", "rw-r-----");
        write(
            root, "var/lib/nova/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n", "rw-------");
        write(
            root,
            "var/lib/nova/instances/0d9c1b2e/disk",
            "instance disk, never backed up\n",
            "rw-r--r--");
        Files.createDirectories(root.resolve("var/lib/nova/buckets"));
      }
      case "network" -> {
        write(root, "etc/neutron/neutron.conf", "[DEFAULT]\ncore_plugin = ml2\n", "rw-r-----");
        write(
            root,
            "etc/neutron/plugins/ml2/ml2_conf.ini",
            "[ml2]\ntype_drivers = flat,vlan,vxlan\n",
            "rw-r-----");
      }
      default -> throw new IllegalArgumentException("unknown role " + role);
    }
  }

  private static void write(Path root, String path, String content, String mode)
      throws IOException {
    Path file = root.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
  }

  private static void writeGzip(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    try (var out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }
}
