package io.osbackup.agent.restore.files;

import java.io.IOException;
import java.util.List;

/**
 * A files restore stopped while switching units over: some units were already restored, the message
 * says which, where their previous versions are kept, and what became of the rest.
 */
public final class PartialRestoreException extends IOException {

  private final transient List<FilesRestorer.Unit> switched;

  PartialRestoreException(String message, List<FilesRestorer.Unit> switched, Throwable cause) {
    super(message, cause);
    this.switched = List.copyOf(switched);
  }

  /** The units that were switched over before the failure, with where their previous copy is. */
  public List<FilesRestorer.Unit> switched() {
    return switched;
  }
}
