package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/**
 * TLS to a database server: required, with the server's CA checked, or with its host name checked
 * too.
 */
@Data
@ValidationRule(
    value = "self.mode == 'required' || has(self.caSecret)",
    message =
        "tls.mode verify-ca and verify-full need tls.caSecret: the CA that signed the server's certificate")
public class DatabaseTls {

  @Required
  @Pattern("^(required|verify-ca|verify-full)$")
  @JsonPropertyDescription(
      "required: encrypt, without checking the server's certificate; verify-ca: the certificate must be signed by"
          + " caSecret; verify-full: and must name the host.")
  private String mode;

  @JsonPropertyDescription(
      "Secret key holding the PEM certificate(s) of the CA that signed the server's certificate; mounted read-only"
          + " into the agent pods, never put in the environment or on a command line.")
  private KeyRef caSecret;

  /** {@code required}, {@code verify-ca} or {@code verify-full}. */
  public static DatabaseTls of(String mode, KeyRef caSecret) {
    DatabaseTls tls = new DatabaseTls();
    tls.setMode(mode);
    tls.setCaSecret(caSecret);
    return tls;
  }
}
