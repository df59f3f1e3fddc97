package io.osbackup.agent;

/** Where the agent registers what must run when its pod is stopped (SIGTERM). */
@FunctionalInterface
interface ShutdownHooks {

  /** Runs {@code hook} when the JVM shuts down; the returned action unregisters it. */
  Runnable add(Runnable hook);

  /** The JVM's shutdown hooks. */
  static ShutdownHooks runtime() {
    return hook -> {
      Thread thread = new Thread(hook, "osbackup-agent-stop");
      Runtime.getRuntime().addShutdownHook(thread);
      return () -> {
        try {
          Runtime.getRuntime().removeShutdownHook(thread);
        } catch (IllegalStateException e) {
          // the JVM is shutting down already: the hook runs or has run
        }
      };
    };
  }
}
