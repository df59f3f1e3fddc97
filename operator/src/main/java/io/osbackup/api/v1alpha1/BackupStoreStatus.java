package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Whether a store is usable, and what it holds. */
public class BackupStoreStatus extends ResourceStatus {

  /** Condition type: the bucket answered a write, a read and a delete. */
  public static final String AVAILABLE = "Available";

  /**
   * Reason of Available=False: another BackupStore writes to the same bucket under an overlapping
   * prefix.
   */
  public static final String PREFIX_OVERLAP = "PrefixOverlap";

  /**
   * Condition type: the last catalog sync read every manifest under the store's namespace folder.
   */
  public static final String CATALOG_SYNCED = "CatalogSynced";

  /** Condition type: the manifest signing Secret exists and can sign. */
  public static final String MANIFEST_SIGNING = "ManifestSigning";

  /**
   * Condition type: agent Jobs use credentials of their own (True) or the operator's, which can
   * delete (False).
   */
  public static final String AGENT_CREDENTIALS = "AgentCredentials";

  @JsonPropertyDescription(
      "The Secret whose keys sign and verify this store's manifests (spec.signingKeySecret or"
          + " <store>-manifest-signing). Keep a copy off-site with the S3 credentials.")
  private String signingKeySecret;

  @JsonPropertyDescription("When the bucket was last checked (RFC 3339).")
  private String lastProbeTime;

  @JsonPropertyDescription(
      "Number of backups (manifests) found in the store at the last catalog sync.")
  private Long backups;

  @JsonPropertyDescription("Bytes held by those backups.")
  private Long bytes;

  @JsonPropertyDescription(
      "Backups found under the store's namespace folder that another cluster or store wrote (see"
          + " spec.foreignBackups); never counted in backups, never deleted.")
  private Long foreignBackups;

  @JsonPropertyDescription("When the store's catalog was last read (RFC 3339).")
  private String lastSyncTime;

  public String getSigningKeySecret() {
    return signingKeySecret;
  }

  public void setSigningKeySecret(String signingKeySecret) {
    this.signingKeySecret = signingKeySecret;
  }

  public String getLastProbeTime() {
    return lastProbeTime;
  }

  public void setLastProbeTime(String lastProbeTime) {
    this.lastProbeTime = lastProbeTime;
  }

  public Long getBackups() {
    return backups;
  }

  public void setBackups(Long backups) {
    this.backups = backups;
  }

  public Long getForeignBackups() {
    return foreignBackups;
  }

  public void setForeignBackups(Long foreignBackups) {
    this.foreignBackups = foreignBackups;
  }

  public Long getBytes() {
    return bytes;
  }

  public void setBytes(Long bytes) {
    this.bytes = bytes;
  }

  public String getLastSyncTime() {
    return lastSyncTime;
  }

  public void setLastSyncTime(String lastSyncTime) {
    this.lastSyncTime = lastSyncTime;
  }
}
