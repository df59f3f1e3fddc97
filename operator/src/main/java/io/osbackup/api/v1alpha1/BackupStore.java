package io.osbackup.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Where backups go: an S3 endpoint, bucket and prefix, with credentials from a Secret. */
@Group(Api.GROUP)
@Version(Api.VERSION)
@ShortNames("bstore")
@AdditionalPrinterColumn(
    name = "Endpoint",
    jsonPath = ".spec.s3.endpoint",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Bucket",
    jsonPath = ".spec.s3.bucket",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Available",
    jsonPath = ".status.conditions[?(@.type==\"Available\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Available\")].reason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Backups",
    jsonPath = ".status.backups",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class BackupStore extends CustomResource<BackupStoreSpec, BackupStoreStatus>
    implements Namespaced {

  @Override
  @JsonPropertyDescription(
      "Where backups go: an S3 endpoint, bucket and prefix with the Secrets that log in and sign, "
          + "and how to reach it.")
  public BackupStoreSpec getSpec() {
    return super.getSpec();
  }

  @Override
  @JsonPropertyDescription(
      "What the operator found: whether the store answers (condition Available, with a reason), "
          + "and what it holds.")
  public BackupStoreStatus getStatus() {
    return super.getStatus();
  }
}
