// @ts-check

/**
 * Remediation actions: an append-only audit log, runs (by idempotency key), a lock row per
 * (entity, action) shared by every backend replica, the values a forward action replaced (so its
 * revert restores them exactly), and the vendor id of the key each integration runs with.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('vastai_action_audit', table => {
    table.comment(
      'Append-only record of every remediation attempt; never updated or deleted',
    );
    table.bigIncrements('id').primary();
    table.string('run_id', 64).nullable();
    table.string('actor', 255).notNullable().comment('user entity ref');
    table.string('entity_ref', 255).notNullable();
    table.string('integration', 255).nullable();
    table.string('action_id', 64).notNullable();
    table.boolean('dry_run').notNullable();
    table
      .string('outcome', 32)
      .notNullable()
      .comment('denied, rejected, dry-run, succeeded, unverified, failed');
    table.text('reason').nullable();
    table.text('diff').nullable().comment('JSON; secret values masked');
    table
      .text('previous')
      .nullable()
      .comment('JSON: the values the action replaced');
    table.text('verification').nullable().comment('JSON');
    table.string('idempotency_key', 255).nullable();
    table.bigInteger('started_at').notNullable().comment('epoch ms');
    table.bigInteger('finished_at').notNullable().comment('epoch ms');
    table.integer('duration_ms').notNullable();
    table.index(['entity_ref', 'id'], 'vastai_action_audit_entity_idx');
  });

  await knex.schema.createTable('vastai_action_runs', table => {
    table.string('run_id', 64).primary();
    table.string('entity_ref', 255).notNullable();
    table.string('action_id', 64).notNullable();
    table.string('idempotency_key', 255).notNullable();
    table.string('actor', 255).notNullable();
    table.string('status', 32).notNullable();
    table
      .text('result')
      .notNullable()
      .comment('JSON of the run as answered; no secret values');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('finished_at').nullable();
    table.unique(['entity_ref', 'action_id', 'idempotency_key'], {
      indexName: 'vastai_action_runs_idempotency_uq',
    });
    table.index(
      ['entity_ref', 'action_id', 'finished_at'],
      'vastai_action_runs_recent_idx',
    );
  });

  await knex.schema.createTable('vastai_action_locks', table => {
    table.string('entity_ref', 255).notNullable();
    table.string('action_id', 64).notNullable();
    table.string('run_id', 64).notNullable();
    table
      .bigInteger('expires_at')
      .notNullable()
      .comment('epoch ms; an expired lock may be taken');
    table.primary(['entity_ref', 'action_id']);
  });

  await knex.schema.createTable('vastai_action_previous', table => {
    table.string('entity_ref', 255).notNullable();
    table.string('env_name', 255).notNullable();
    table
      .text('previous')
      .nullable()
      .comment('JSON env entry the forward action replaced; null = absent');
    table.string('run_id', 64).notNullable();
    table.bigInteger('recorded_at').notNullable();
    table.primary(['entity_ref', 'env_name']);
  });

  await knex.schema.createTable('vastai_action_keys', table => {
    table.string('integration', 255).primary();
    table
      .integer('key_id')
      .notNullable()
      .comment('Vast.ai id of the key in the Secret; never the value');
    table.bigInteger('recorded_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vastai_action_keys');
  await knex.schema.dropTable('vastai_action_previous');
  await knex.schema.dropTable('vastai_action_locks');
  await knex.schema.dropTable('vastai_action_runs');
  await knex.schema.dropTable('vastai_action_audit');
};
