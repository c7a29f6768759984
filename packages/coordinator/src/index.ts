/**
 * @zonesim/coordinator: the region's front door and control plane.
 *
 * A {@link Coordinator} serves the Lambda REST API on HTTP, keeps the registry of deployed functions
 * (code stored content-addressed by SHA-256), accepts zone-node WebSocket sessions (membership and
 * failure detection), and routes each invocation to a zone node with room, preferring a warm
 * environment of the same function.
 */
export { Coordinator, type CoordinatorComponents } from './coordinator.js';
export { DEFAULT_COORDINATOR, isLoopbackHost, resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './options.js';
export { LambdaApiError } from './errors.js';
export { signRequest, presignUrl, type SignRequestInput } from './auth/sigv4-signer.js';
export { SigV4Verifier, DEFAULT_MAX_CLOCK_SKEW_MS, type SigV4VerifierSettings } from './auth/sigv4-verifier.js';
export type { SigV4Credentials } from './auth/signing-key.js';
export { ZONE_LINK_PATH } from './membership/zone-link-server.js';
export type { NodeView, NodeHealth } from './membership/node-session.js';
export type { ZoneView } from './membership/membership.js';
export {
  PLACEMENT_POLICIES,
  WarmFirstPackPolicy,
  WarmFirstSpreadPolicy,
  type PlacementPolicy,
  type PlacementPolicyName,
  type PlacementRequest,
} from './router/placement.js';
export { DEFAULT_DASHBOARD, type DashboardOptions } from './dashboard/dashboard-options.js';
export { DEFAULT_UPLOAD_POOL, DEFAULT_UPLOAD_WORKERS, type UploadPoolOptions } from './uploads/upload-pool-options.js';
export type { UploadPoolStats } from './uploads/upload-pool.js';
export type { EventLoopDelaySnapshot, EventLoopDelayWindow } from './event-loop-delay.js';
export { DASHBOARD_EVENTS_PATH } from './dashboard/dashboard-routes.js';
export {
  MAX_CONTROL_LATENCY_MS,
  SUPERVISOR_PROTOCOL_VERSION,
  SupervisorErrorCode,
  ZoneFaultAction,
  parseSupervisorMessage,
  parseSupervisorRequest,
  type SupervisorChannel,
  type SupervisorMessage,
  type SupervisorRequest,
  type SupervisorScenario,
  type SupervisorState,
  type SupervisorZoneFault,
} from './supervisor/supervisor-messages.js';
export { CoordinatorCore, type CoordinatorCoreComponents } from './coordinator-core.js';
export { createFrontDoor, frontDoorSettings, type FrontDoorParts } from './front-door.js';
export { PackageJobs, type JobRunner } from './uploads/package-jobs.js';
export { InlineJobRunner } from './uploads/inline-job-runner.js';
export { ImageBuilder } from './images/image-builder.js';
export type { ApiServer } from './http/api-server.js';
