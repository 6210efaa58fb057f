// @ts-check

/**
 * Runs survive the replica that runs them:
 * - a running run holds a lease (`lease_owner`, `lease_expires_at`) that its replica renews while
 *   it works; once the lease runs out any replica ends the run `interrupted` and frees its lock;
 * - audit rows keep the steps a run took and what an interrupted run left to clean up (vendor
 *   key ids, never keys), so a crash in the middle of a rotation loses nothing.
 *
 * A run still `running` from before this migration has no replica renewing it: it gets a lease
 * that ends one hour after its last update, so it is ended as interrupted then at the latest.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('vastai_action_runs', table => {
    table
      .string('lease_owner', 64)
      .nullable()
      .comment('the backend replica running the run (a random id per process)');
    table
      .bigInteger('lease_expires_at')
      .nullable()
      .comment('epoch ms; a running run past it is interrupted');
    table.index(['status', 'lease_expires_at'], 'vastai_action_runs_lease_idx');
  });
  await knex('vastai_action_runs')
    .where({ status: 'running' })
    .update({ lease_expires_at: knex.raw('updated_at + 3600000') });

  await knex.schema.alterTable('vastai_action_audit', table => {
    table
      .text('steps')
      .nullable()
      .comment('JSON: the steps the run took; no secret values');
    table
      .text('cleanup')
      .nullable()
      .comment('JSON: what an interrupted run left to clean up; key ids only');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('vastai_action_audit', table => {
    table.dropColumn('cleanup');
    table.dropColumn('steps');
  });
  await knex.schema.alterTable('vastai_action_runs', table => {
    table.dropIndex(
      ['status', 'lease_expires_at'],
      'vastai_action_runs_lease_idx',
    );
    table.dropColumn('lease_expires_at');
    table.dropColumn('lease_owner');
  });
};
