package io.osbackup.agent;

/** The S3 access key pair read from the store credentials Secret; never printed. */
public record StoreCredentials(String accessKey, String secretKey) {

  @Override
  public String toString() {
    return "StoreCredentials[accessKey=***, secretKey=***]";
  }
}
