/**
 * Kubernetes core types as the CRDs describe them: the fields of {@code Toleration}, {@code
 * ResourceRequirements}, {@code LocalObjectReference} and {@code Condition} with a description
 * each, so {@code kubectl explain} is useful at every level. Used only through {@code @SchemaFrom}
 * by the CRD generator; the resources themselves hold the fabric8 model types.
 */
package io.osbackup.api.v1alpha1.schema;
