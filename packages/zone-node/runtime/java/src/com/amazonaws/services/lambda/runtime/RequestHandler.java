package com.amazonaws.services.lambda.runtime;

/**
 * A handler whose event is deserialized from JSON into {@code I} and whose result is serialized
 * from {@code O} back to JSON by the runtime.
 *
 * @param <I> the event type
 * @param <O> the result type
 */
public interface RequestHandler<I, O> {

    /** Handles one event. */
    O handleRequest(I input, Context context);
}
