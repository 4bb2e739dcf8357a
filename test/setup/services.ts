/** Test provisioning lives with the product (the benchmark uses it too): re-exported here. */
export { ensureDebianPackage, freePort, startPostgres, type RunningPostgres } from '../../src/lib/services.js';
