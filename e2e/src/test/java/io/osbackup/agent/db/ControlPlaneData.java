package io.osbackup.agent.db;

import io.osbackup.testbed.MariaDbServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Random;

/**
 * A small OpenStack-like data set: three databases with awkward text, binary data, NULLs and every
 * object kind.
 */
final class ControlPlaneData {

  static final List<String> DATABASES = List.of("cell-1", "keystone", "nova_api");

  private ControlPlaneData() {}

  static void load(MariaDbServer server) throws Exception {
    server.execute(
        "CREATE DATABASE keystone CHARACTER SET utf8mb4",
        "CREATE TABLE keystone.project (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL,"
            + " description TEXT NULL, enabled BOOL, created DATETIME(6)) ENGINE=InnoDB",
        "INSERT INTO keystone.project VALUES"
            + " (1, 'admin', NULL, 1, '2026-11-21 02:00:00.123456'),"
            + " (2, '日本語のプロジェクト', 'テスト — émoji 🚀 and ''quotes'' \\\\ back\\nslash', 0, NULL),"
            + " (3, 'tab\\there', '', NULL, '1970-01-01 00:00:01')",
        "CREATE TABLE keystone.blobs (id INT PRIMARY KEY, data LONGBLOB NULL, small"
            + " VARBINARY(300))",
        "CREATE TABLE keystone.audit (id INT AUTO_INCREMENT PRIMARY KEY, project_id INT, note"
            + " VARCHAR(64))",
        "CREATE TRIGGER keystone.project_audit AFTER INSERT ON keystone.project FOR EACH ROW INSERT"
            + " INTO keystone.audit (project_id, note) VALUES (NEW.id, CONCAT('created ',"
            + " NEW.name))",
        "INSERT INTO keystone.project VALUES (4, 'サービス', 'via trigger', 1, NULL)",
        "CREATE VIEW keystone.enabled_projects AS SELECT id, name FROM keystone.project WHERE"
            + " enabled",
        "CREATE VIEW keystone.enabled_names AS SELECT name FROM keystone.enabled_projects",
        "CREATE PROCEDURE keystone.count_projects(OUT n INT) BEGIN SELECT COUNT(*) INTO n FROM"
            + " project; END",
        "CREATE EVENT keystone.purge_audit ON SCHEDULE EVERY 1 DAY DO DELETE FROM keystone.audit"
            + " WHERE id < 0",
        "CREATE DATABASE nova_api CHARACTER SET utf8mb4",
        "CREATE TABLE nova_api.cell_mappings (id INT PRIMARY KEY, uuid CHAR(36), name VARCHAR(255)"
            + " NULL, transport_url TEXT, ratio DOUBLE, weight DECIMAL(10,3), flags BIT(8), seen"
            + " DATE)",
        "INSERT INTO nova_api.cell_mappings VALUES (0, '00000000-0000-0000-0000-000000000000',"
            + " 'cell0', 'none:///', 1.5, 2.250, b'10100101', '2026-01-31'), (1,"
            + " 'c0ffee00-0000-4000-8000-000000000001', NULL, 'rabbit://u:p@h:5672/', NULL, NULL,"
            + " NULL, NULL)",
        "CREATE FUNCTION nova_api.cell_count() RETURNS INT READS SQL DATA"
            + " RETURN (SELECT COUNT(*) FROM nova_api.cell_mappings)",
        "CREATE DATABASE `cell-1` CHARACTER SET utf8mb4",
        "CREATE TABLE `cell-1`.instances (id BIGINT AUTO_INCREMENT PRIMARY KEY, uuid CHAR(36),"
            + " hostname VARCHAR(255) NULL, vcpus INT, deleted_at DATETIME NULL, metadata"
            + " LONGTEXT)",
        "USE `cell-1`", // the seq_1_to_N tables need a selected database
        "INSERT INTO `cell-1`.instances (uuid, hostname, vcpus, metadata) SELECT"
            + " UUID(), CONCAT('vm-', seq, '.例え.jp'), seq % 16, REPEAT('{\"k\": \"値\"}', seq % 50)"
            + " FROM seq_1_to_5000",
        "UPDATE `cell-1`.instances SET hostname = NULL, deleted_at = NOW() WHERE id % 7 = 0",
        "CREATE DATABASE scratch",
        "CREATE TABLE scratch.junk (id INT)");
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    byte[] big = new byte[3 * 1024 * 1024];
    new Random(42).nextBytes(big);
    try (Connection c = server.connect("keystone");
        PreparedStatement ps = c.prepareStatement("INSERT INTO blobs VALUES (?, ?, ?)")) {
      Object[][] rows = {{1, all, all}, {2, null, new byte[0]}, {3, big, null}};
      for (Object[] row : rows) {
        ps.setInt(1, (Integer) row[0]);
        ps.setBytes(2, (byte[]) row[1]);
        ps.setBytes(3, (byte[]) row[2]);
        ps.executeUpdate();
      }
    }
  }
}
