package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** An S3-compatible bucket (MinIO, Ceph RGW, AWS S3, or OpenStack Swift through its S3 API). */
public class S3Location {

  /** The signing region when spec.s3.region is not set; most non-AWS servers accept it. */
  public static final String DEFAULT_REGION = "us-east-1";

  @Required
  @Pattern("^https?://[^\\s/]+(/.*)?$")
  @JsonPropertyDescription(
      "URL of the S3 API, for example http://swift-proxy.openstack.svc:8080 or https://s3.eu-west-1.amazonaws.com.")
  private String endpoint;

  @Required
  @Size(min = 3, max = 63)
  @Pattern("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
  @JsonPropertyDescription(
      "Bucket name (3-63 characters: lower-case letters, digits, dots and hyphens). The bucket must exist.")
  private String bucket;

  @Default(DEFAULT_REGION)
  @JsonPropertyDescription("Region sent with every request. Most non-AWS servers accept us-east-1.")
  private String region = DEFAULT_REGION;

  @Pattern("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")
  @JsonPropertyDescription(
      "Key prefix under which backups are stored, without leading or trailing slash, for example prod. Backups go to"
          + " <prefix>/<namespace>/<policy>/<backupId>/.")
  private String prefix;

  @Default("true")
  @JsonPropertyDescription(
      "Address the bucket in the path (http://host/bucket/key) instead of a virtual host (http://bucket.host/key)."
          + " Needed by Swift, MinIO and most self-hosted servers.")
  private Boolean forcePathStyle = true;

  @Required
  @JsonPropertyDescription(
      "Secret in the same namespace with the keys accessKey and secretKey. For Swift's S3 API with keystone, use"
          + " EC2 credentials (openstack ec2 credentials create).")
  private LocalRef credentialsSecret;

  @JsonPropertyDescription(
      "Secret with the keys accessKey and secretKey that agent Jobs use instead of credentialsSecret. Give it a key"
          + " pair that may read, list and write objects (and abort its multipart uploads) but not delete them; the"
          + " operator keeps credentialsSecret, which deletes for retention. Unset: agents use credentialsSecret, and"
          + " the store's AgentCredentials condition says so.")
  private LocalRef agentCredentialsSecret;

  public LocalRef getAgentCredentialsSecret() {
    return agentCredentialsSecret;
  }

  public void setAgentCredentialsSecret(LocalRef agentCredentialsSecret) {
    this.agentCredentialsSecret = agentCredentialsSecret;
  }

  /** The Secret agent Jobs mount: agentCredentialsSecret when set, else credentialsSecret. */
  @JsonIgnore
  public String agentSecretName() {
    return agentCredentialsSecret != null && agentCredentialsSecret.getName() != null
        ? agentCredentialsSecret.getName()
        : credentialsSecret.getName();
  }

  @JsonPropertyDescription(
      "CAs to trust for an https endpoint instead of the system's, for a store with a private CA. Used by the"
          + " operator, mounted read-only into the agent pods, and given to the break-glass CLI as --ca-bundle.")
  private CaBundle caBundle;

  @Default("1000")
  @Min(1)
  @Max(10000)
  @JsonPropertyDescription(
      "The most parts the store accepts in one multipart upload: it caps an artifact's size at parts x part size"
          + " (parts of 32 MiB growing to 128 MiB). 1000 works everywhere (Swift's s3api default"
          + " max_upload_part_num); AWS S3, MinIO and Ceph RGW accept 10000.")
  private Integer maxUploadParts = 1000;

  public CaBundle getCaBundle() {
    return caBundle;
  }

  public void setCaBundle(CaBundle caBundle) {
    this.caBundle = caBundle;
  }

  public Integer getMaxUploadParts() {
    return maxUploadParts;
  }

  public void setMaxUploadParts(Integer maxUploadParts) {
    this.maxUploadParts = maxUploadParts;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getBucket() {
    return bucket;
  }

  public void setBucket(String bucket) {
    this.bucket = bucket;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getPrefix() {
    return prefix;
  }

  public void setPrefix(String prefix) {
    this.prefix = prefix;
  }

  public Boolean getForcePathStyle() {
    return forcePathStyle;
  }

  public void setForcePathStyle(Boolean forcePathStyle) {
    this.forcePathStyle = forcePathStyle;
  }

  public LocalRef getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(LocalRef credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }
}
