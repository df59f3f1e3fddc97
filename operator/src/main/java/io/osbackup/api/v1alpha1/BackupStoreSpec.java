package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What a BackupStore points at. */
@ValidationRule(
    value =
        "!has(self.signingKeySecret) || (self.signingKeySecret.name != self.s3.credentialsSecret.name"
            + " && (!has(self.s3.agentCredentialsSecret)"
            + " || self.signingKeySecret.name != self.s3.agentCredentialsSecret.name))",
    message =
        "spec.signingKeySecret must not be a Secret agent Jobs mount (s3.credentialsSecret or"
            + " s3.agentCredentialsSecret): give the signing keys a Secret of their own")
public class BackupStoreSpec {

  /** Seconds between two probes when spec.probeIntervalSeconds is not set. */
  public static final int DEFAULT_PROBE_INTERVAL_SECONDS = 300;

  @Required
  @JsonPropertyDescription("The S3-compatible bucket backups are written to.")
  private S3Location s3;

  @Default("" + DEFAULT_PROBE_INTERVAL_SECONDS)
  @Min(30)
  @JsonPropertyDescription(
      "Seconds between two checks that the bucket is reachable and writable (a small object is written, read and"
          + " deleted). At least 30.")
  private Integer probeIntervalSeconds = DEFAULT_PROBE_INTERVAL_SECONDS;

  @JsonPropertyDescription(
      "Secret holding the keys that sign every backup's manifest.json (HMAC-SHA-256, read only by the operator, never"
          + " mounted into agent Jobs). Each data key is a key id whose value is the key (at least 32 bytes, e.g."
          + " openssl rand -base64 32); the data key 'primary' names the id that signs, every key verifies. Default:"
          + " <store>-manifest-signing, created by the operator with one random key when missing and kept when the"
          + " store is deleted. Keep a copy off-site with the S3 credentials: a rebuilt cluster needs it to verify"
          + " its backups.")
  private LocalRef signingKeySecret;

  public LocalRef getSigningKeySecret() {
    return signingKeySecret;
  }

  public void setSigningKeySecret(LocalRef signingKeySecret) {
    this.signingKeySecret = signingKeySecret;
  }

  @Default("Ignore")
  @JsonPropertyDescription(
      "Backups under this store's prefix and namespace that another cluster or store wrote (their owner.json or"
          + " manifest names another cluster id or store): Ignore counts them in status.foreignBackups and leaves"
          + " them alone; ImportReadOnly also brings each back as a BackupRun labelled osbackup.io/foreign=true, which"
          + " can be restored but is never counted as this policy's backup, never pruned and never deleted from the"
          + " bucket.")
  private ForeignBackups foreignBackups = ForeignBackups.Ignore;

  public ForeignBackups getForeignBackups() {
    return foreignBackups;
  }

  public void setForeignBackups(ForeignBackups foreignBackups) {
    this.foreignBackups = foreignBackups;
  }

  public S3Location getS3() {
    return s3;
  }

  public void setS3(S3Location s3) {
    this.s3 = s3;
  }

  public Integer getProbeIntervalSeconds() {
    return probeIntervalSeconds;
  }

  public void setProbeIntervalSeconds(Integer probeIntervalSeconds) {
    this.probeIntervalSeconds = probeIntervalSeconds;
  }
}
