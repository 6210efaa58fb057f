// @ts-check

/**
 * Actions are keyed by the deployment they write to, not by the entity or the button:
 * - the run lock and the values a forward action replaced are keyed by (cluster, namespace,
 *   deployment), so two entities sharing a deployment, or two actions on it, never run at once
 *   and a revert restores what any forward action on that deployment replaced;
 * - runs record their deployment, so the cooldown counts every action on it;
 * - an Idempotency-Key names one request of one user: unique on its own, stored with a salted
 *   digest of the request (never the request itself, which may carry a pasted key).
 *
 * Lock rows are transient and dropped. Replaced values recorded per entity cannot be mapped to a
 * deployment without the config, so they are dropped too: a revert then sets the runbook's value.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vastai_action_runs', table => {
    table.string('cluster', 255).nullable();
    table.string('namespace', 255).nullable();
    table.string('deployment', 255).nullable();
    table
      .string('request_hash', 64)
      .nullable()
      .comment(
        'sha256 of the run id and the request; never the request itself',
      );
  });

  // A key used for two requests before keys became unique: every later use gets a suffix.
  const reused = await knex('vastai_action_runs')
    .select('idempotency_key')
    .groupBy('idempotency_key')
    .havingRaw('count(*) > 1');
  for (const { idempotency_key: key } of reused) {
    const rows = await knex('vastai_action_runs')
      .where({ idempotency_key: key })
      .orderBy([{ column: 'created_at' }, { column: 'run_id' }])
      .select('run_id');
    for (const { run_id: runId } of rows.slice(1)) {
      await knex('vastai_action_runs')
        .where({ run_id: runId })
        .update({ idempotency_key: `${key}~${runId}`.slice(0, 255) });
    }
  }

  await knex.schema.alterTable('vastai_action_runs', table => {
    table.dropUnique(
      ['entity_ref', 'action_id', 'idempotency_key'],
      'vastai_action_runs_idempotency_uq',
    );
    table.dropIndex(
      ['entity_ref', 'action_id', 'finished_at'],
      'vastai_action_runs_recent_idx',
    );
    table.unique(['idempotency_key'], {
      indexName: 'vastai_action_runs_key_uq',
    });
    table.index(
      ['cluster', 'namespace', 'deployment', 'finished_at'],
      'vastai_action_runs_target_recent_idx',
    );
  });

  await knex.schema.dropTable('vastai_action_locks');
  await knex.schema.createTable('vastai_action_locks', table => {
    table.comment('One live run per deployment, across backend replicas');
    table.string('cluster', 255).notNullable();
    table.string('namespace', 255).notNullable();
    table.string('deployment', 255).notNullable();
    table.string('run_id', 64).notNullable();
    table
      .bigInteger('expires_at')
      .notNullable()
      .comment('epoch ms; an expired lock may be taken');
    table.primary(['cluster', 'namespace', 'deployment']);
  });

  await knex.schema.dropTable('vastai_action_previous');
  await knex.schema.createTable('vastai_action_previous', table => {
    table.string('cluster', 255).notNullable();
    table.string('namespace', 255).notNullable();
    table.string('deployment', 255).notNullable();
    table.string('env_name', 255).notNullable();
    table
      .text('previous')
      .nullable()
      .comment('JSON env entry the forward action replaced; null = absent');
    table.string('run_id', 64).notNullable();
    table.bigInteger('recorded_at').notNullable();
    table.primary(['cluster', 'namespace', 'deployment', 'env_name']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vastai_action_previous');
  await knex.schema.createTable('vastai_action_previous', table => {
    table.string('entity_ref', 255).notNullable();
    table.string('env_name', 255).notNullable();
    table.text('previous').nullable();
    table.string('run_id', 64).notNullable();
    table.bigInteger('recorded_at').notNullable();
    table.primary(['entity_ref', 'env_name']);
  });

  await knex.schema.dropTable('vastai_action_locks');
  await knex.schema.createTable('vastai_action_locks', table => {
    table.string('entity_ref', 255).notNullable();
    table.string('action_id', 64).notNullable();
    table.string('run_id', 64).notNullable();
    table.bigInteger('expires_at').notNullable();
    table.primary(['entity_ref', 'action_id']);
  });

  await knex.schema.alterTable('vastai_action_runs', table => {
    table.dropIndex(
      ['cluster', 'namespace', 'deployment', 'finished_at'],
      'vastai_action_runs_target_recent_idx',
    );
    table.dropUnique(['idempotency_key'], 'vastai_action_runs_key_uq');
    table.unique(['entity_ref', 'action_id', 'idempotency_key'], {
      indexName: 'vastai_action_runs_idempotency_uq',
    });
    table.index(
      ['entity_ref', 'action_id', 'finished_at'],
      'vastai_action_runs_recent_idx',
    );
  });
  await knex.schema.alterTable('vastai_action_runs', table => {
    table.dropColumns('cluster', 'namespace', 'deployment', 'request_hash');
  });
};
