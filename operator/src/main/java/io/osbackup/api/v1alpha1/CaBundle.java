package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

/** PEM certificates of the CAs trusted for an https endpoint, from a Secret or a ConfigMap. */
@Data
@ValidationRule(
    value = "has(self.secretRef) != has(self.configMapRef)",
    message = "set exactly one of caBundle.secretRef and caBundle.configMapRef")
public class CaBundle {

  @JsonPropertyDescription(
      "Secret key holding the PEM certificates (one or more BEGIN CERTIFICATE blocks).")
  private KeyRef secretRef;

  @JsonPropertyDescription(
      "ConfigMap key holding the PEM certificates (one or more BEGIN CERTIFICATE blocks).")
  private KeyRef configMapRef;

  /** A bundle read from a Secret key. */
  public static CaBundle fromSecret(String name, String key) {
    CaBundle bundle = new CaBundle();
    bundle.setSecretRef(new KeyRef(name, key));
    return bundle;
  }

  /** A bundle read from a ConfigMap key. */
  public static CaBundle fromConfigMap(String name, String key) {
    CaBundle bundle = new CaBundle();
    bundle.setConfigMapRef(new KeyRef(name, key));
    return bundle;
  }
}
