package io.osbackup.api.v1alpha1.schema;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;

/**
 * The schema of a container's resources ({@code
 * io.fabric8.kubernetes.api.model.ResourceRequirements}).
 */
public final class ResourcesSchema {

  @JsonPropertyDescription(
      "What the scheduler reserves for the container, per resource name (cpu, memory,"
          + " ephemeral-storage), for example cpu: 100m.")
  public Map<String, Quantity> requests;

  @JsonPropertyDescription(
      "The most the container may use, per resource name; memory above it ends the agent with"
          + " OOMKilled, for example memory: 1Gi.")
  public Map<String, Quantity> limits;

  @JsonPropertyDescription(
      "Dynamic resource claims of the pod this container uses; an agent needs none.")
  public List<Claim> claims;

  private ResourcesSchema() {}

  /** One claim. */
  public static final class Claim {

    @JsonPropertyDescription("Name of one of the pod's resource claims.")
    public String name;

    @JsonPropertyDescription("Which request of the claim; empty: all of it.")
    public String request;

    private Claim() {}
  }
}
