/** What the three mesh roles (coordinator, agent, submitter) share: the port, membership and the mesh run. */
export {
  createMemoryMembership,
  type MembershipEvents,
  type MembershipSource,
  type MemoryMembership,
  type MeshMember,
  nodeCapabilities,
} from './membership.js';
export {
  lostResultError,
  MeshRun,
  type MeshRunEvents,
  type MeshRunOptions,
  type ResultLocation,
} from './mesh-run.js';
export { type MeshPort, portOf } from './port.js';
