import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

/** The plugin's dated migrations (actions' and incidents' tables), shipped in the package. */
export const MIGRATIONS_DIR = resolvePackagePath(
  '@vastai-incident/backstage-plugin-backend',
  'migrations',
);

/** Brings the plugin's tables to the latest schema. The plugin runs it once, at start. */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({ directory: MIGRATIONS_DIR });
}

export interface DatabaseClientOptions {
  database: DatabaseService;
  /** The caller migrated the database already. */
  skipMigrations?: boolean;
}

/**
 * The plugin's database client, migrated unless the deployment manages the schema itself
 * (`database.migrations.skip`) or the caller already migrated it.
 */
export async function databaseClient(
  options: DatabaseClientOptions,
): Promise<Knex> {
  const knex = await options.database.getClient();
  if (!options.database.migrations?.skip && !options.skipMigrations) {
    await applyDatabaseMigrations(knex);
  }
  return knex;
}

/** A store on the plugin's database: built on a migrated client, or by `create` on its own. */
export class DatabaseStore {
  /** Migrates first, for callers that build one store alone (the plugin migrates once). */
  static async create<T>(
    this: new (knex: Knex) => T,
    options: DatabaseClientOptions,
  ): Promise<T> {
    return new this(await databaseClient(options));
  }

  constructor(readonly knex: Knex) {}
}

/** Whether an insert broke a unique index, on PostgreSQL or SQLite (a replay or a lost race). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  const code = String(e?.code ?? '');
  return (
    code === '23505' ||
    code.startsWith('SQLITE_CONSTRAINT') ||
    /unique constraint|duplicate key/i.test(String(e?.message ?? ''))
  );
}
