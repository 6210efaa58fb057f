// @ts-check

/**
 * A timeline event may carry a key chosen before it is first written: a write that lost its
 * database connection is tried again with the same key, and the unique index keeps the event
 * once even when the lost attempt had been saved. Events written without a key (NULL) are not
 * constrained.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('incident_timeline', table => {
    table
      .string('event_key', 64)
      .nullable()
      .comment('chosen before the first write attempt; one event per key');
    table.unique(['event_key'], {
      indexName: 'incident_timeline_event_key_uq',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('incident_timeline', table => {
    table.dropUnique(['event_key'], 'incident_timeline_event_key_uq');
    table.dropColumn('event_key');
  });
};
