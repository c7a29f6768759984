package com.amazonaws.services.lambda.runtime;

import java.util.Map;

/** The client context a caller passed with a synchronous invocation (AWS Mobile SDK). */
public interface ClientContext {

    /** The client application, or null. */
    Client getClient();

    /** Custom values the client set, or null. */
    Map<String, String> getCustom();

    /** The client's environment (platform, make, model, locale...), or null. */
    Map<String, String> getEnvironment();
}
