package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How artifacts are compressed in the bucket. */
public enum CompressionType {
  @JsonProperty("gzip")
  GZIP,
  @JsonProperty("zstd")
  ZSTD,
  @JsonProperty("none")
  NONE
}
