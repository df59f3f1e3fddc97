package io.osbackup;

/** Entry point of the one osbackup jar. */
public final class Main {
  public static void main(String[] args) {
    System.out.println("osbackup");
  }
}
