package com.amazonaws.services.lambda.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A handler that reads the raw event bytes and writes the raw result bytes itself. */
public interface RequestStreamHandler {

    /** Handles one event: reads it from {@code input}, writes the result to {@code output}. */
    void handleRequest(InputStream input, OutputStream output, Context context) throws IOException;
}
