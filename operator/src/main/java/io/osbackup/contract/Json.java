package io.osbackup.contract;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON mapping of osbackup's own documents: agent plans, mount tables, Job reports and
 * manifests. ISO-8601 times, unknown fields ignored; null and empty fields are left out where a
 * record says so with {@code @JsonInclude}.
 */
public final class Json {

  /** Shared, thread-safe once configured; never reconfigure it. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private Json() {}
}
