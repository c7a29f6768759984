/**
 * The wire protocol version. A zone node whose `hello` carries another version is refused with
 * {@link CloseCode.VersionMismatch}: both ends of a cluster must run the same contract.
 */
export const PROTOCOL_VERSION = 2;
