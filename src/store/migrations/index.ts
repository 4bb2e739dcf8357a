/** Every migration, in order. Append new files here; never edit a shipped one. */
import type { MigrationModule } from '../migrate.js';
import * as m20261123T1900 from './20261123T1900_initial_schema.js';

export const migrations: Record<string, MigrationModule> = {
  '20261123T1900_initial_schema': m20261123T1900,
};
