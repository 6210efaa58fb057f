// @ts-check

/**
 * Messages are sent once: a send carries an Idempotency-Key, unique per incident, and a retry
 * records its own key and user; an incident's status-page incident is created by one message at
 * a time (the claim), so two first sends never create two public incidents.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('incident_messages', table => {
    table
      .string('idempotency_key', 200)
      .nullable()
      .comment('the Idempotency-Key of the send that created the message');
    table
      .string('retry_key', 200)
      .nullable()
      .comment('the Idempotency-Key of the latest retry');
    table
      .string('retry_by', 255)
      .nullable()
      .comment('user entity ref of the latest retry');
    table.unique(['incident_id', 'idempotency_key'], {
      indexName: 'incident_messages_idempotency_uq',
    });
  });
  await knex.schema.alterTable('incident_records', table => {
    table
      .string('statuspage_claim', 36)
      .nullable()
      .comment('the message creating the status-page incident, while it does');
    table.bigInteger('statuspage_claimed_at').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('incident_records', table => {
    table.dropColumn('statuspage_claimed_at');
    table.dropColumn('statuspage_claim');
  });
  await knex.schema.alterTable('incident_messages', table => {
    table.dropUnique(
      ['incident_id', 'idempotency_key'],
      'incident_messages_idempotency_uq',
    );
    table.dropColumn('retry_by');
    table.dropColumn('retry_key');
    table.dropColumn('idempotency_key');
  });
};
