package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** One stored artifact. */
@Data
public class ArtifactStatus {

  @JsonPropertyDescription("The policy target.")
  private String target;

  @JsonPropertyDescription("The database, for a database artifact.")
  private String database;

  @JsonPropertyDescription("The node (or pvc-<claim>), for a files artifact.")
  private String node;

  @JsonPropertyDescription("Object key in the bucket.")
  private String key;

  @JsonPropertyDescription("Bytes stored.")
  private Long size;

  @JsonPropertyDescription(
      "SHA-256 of the stored bytes (hex); sha256sum of the downloaded object matches it.")
  private String sha256;

  @JsonPropertyDescription("Entries in the archive, for a files artifact.")
  private Long files;

  @JsonPropertyDescription(
      "Accounts and roles stored, for the accounts artifact of a database target (accounts/<target>.sql.<ext>).")
  private Long accounts;
}
