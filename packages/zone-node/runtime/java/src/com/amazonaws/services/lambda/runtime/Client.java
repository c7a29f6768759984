package com.amazonaws.services.lambda.runtime;

/** The client application of a {@link ClientContext}. */
public interface Client {

    /** The installation id. */
    String getInstallationId();

    /** The application title. */
    String getAppTitle();

    /** The application version name. */
    String getAppVersionName();

    /** The application version code. */
    String getAppVersionCode();

    /** The application package name. */
    String getAppPackageName();
}
