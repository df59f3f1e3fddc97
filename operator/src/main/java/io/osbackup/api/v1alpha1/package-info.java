/**
 * The osbackup API, group {@code osbackup.io}, version {@code v1alpha1}: BackupStore, BackupPolicy,
 * BackupRun and RestoreRequest. Plain classes with no dependency on controller code; the CRDs in
 * {@code crds/} are generated from them.
 */
package io.osbackup.api.v1alpha1;
