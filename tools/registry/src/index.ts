// Test helpers for registries: docker-registry itself lives in @orel/sandbox
// (mock mode runs it too); the fault and auth proxies are for tests only.
export { registryBinary, registryMissing, startRegistry, type RunningRegistry } from '@orel/sandbox';
export { startFaultProxy, type FaultProxy } from './fault-proxy.js';
export { startAuthProxy, type AuthProxy } from './auth-proxy.js';
