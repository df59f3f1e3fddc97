package io.osbackup.api.v1alpha1;

/**
 * Names shared by every resource of the API: group, version, and the labels osbackup puts on what
 * it creates.
 */
public final class Api {
  public static final String GROUP = "osbackup.io";
  public static final String VERSION = "v1alpha1";

  /** Label on every object osbackup creates. */
  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

  public static final String MANAGED_BY = "osbackup";

  /** Label naming the BackupRun a Job belongs to. */
  public static final String RUN_LABEL = GROUP + "/run";

  /** Label naming the BackupPolicy a BackupRun or Job belongs to. */
  public static final String POLICY_LABEL = GROUP + "/policy";

  /** Label naming the RestoreRequest a Job belongs to. */
  public static final String RESTORE_LABEL = GROUP + "/restore";

  /** Label naming the target a Job backs up. */
  public static final String TARGET_LABEL = GROUP + "/target";

  /** Label naming the node a files Job reads from. */
  public static final String NODE_LABEL = GROUP + "/node";

  /**
   * Annotation by which the operator cancels a BackupRun that {@code concurrencyPolicy: Replace}
   * replaces; its value says why. The operator never writes a run's spec ({@code spec.cancel} is
   * the user's), so it asks through this.
   */
  public static final String CANCEL_ANNOTATION = GROUP + "/cancel";

  private Api() {}
}
