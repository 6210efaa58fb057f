// @ts-check

/**
 * Incidents: the incident records, their timeline, the messages sent about them (Slack and the
 * status page), evidence bundles and postmortems. Times are epoch milliseconds.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('incident_records', table => {
    table.comment('One row per declared incident');
    table.string('id', 36).primary();
    table.string('entity_ref', 255).notNullable();
    table.string('integration', 255).nullable();
    table.text('title').notNullable();
    table.string('severity', 2).notNullable().comment('P1..P4');
    table
      .string('status', 16)
      .notNullable()
      .comment('investigating, identified, monitoring, resolved');
    table.text('impact').notNullable();
    table.string('commander', 255).notNullable().comment('user entity ref');
    table.string('declared_by', 255).notNullable();
    table.bigInteger('declared_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('resolved_at').nullable();
    table
      .bigInteger('responded_at')
      .nullable()
      .comment('first message sent or first status change');
    // Equal to entity_ref while open, null once resolved: the unique index makes "one open
    // incident per entity" hold in the database, across backend replicas.
    table.string('open_entity_ref', 255).nullable();
    table.unique(['open_entity_ref'], {
      indexName: 'incident_records_one_open_uq',
    });
    table
      .string('last_triage_severity', 8)
      .nullable()
      .comment('last severity triage reported while open');
    table.string('statuspage_incident_id', 64).nullable();
    table.index(['entity_ref'], 'incident_records_entity_idx');
    table.index(['status', 'severity'], 'incident_records_status_idx');
  });

  await knex.schema.createTable('incident_timeline', table => {
    table.bigIncrements('id').primary();
    table.string('incident_id', 36).notNullable();
    table.bigInteger('at').notNullable();
    table.string('kind', 32).notNullable();
    table.string('actor', 255).nullable();
    table.text('summary').notNullable();
    table.text('detail').nullable().comment('JSON; no secret values');
    table.index(['incident_id', 'id'], 'incident_timeline_incident_idx');
  });

  await knex.schema.createTable('incident_messages', table => {
    table.string('id', 36).primary();
    table.string('incident_id', 36).notNullable();
    table.string('channel', 16).notNullable().comment('slack or statuspage');
    table.text('text').notNullable();
    table
      .text('payload')
      .notNullable()
      .comment('JSON snapshot of what is sent; no secret values');
    table.string('status', 16).notNullable().comment('sending, sent, failed');
    table.integer('attempts').notNullable();
    table.text('reason').nullable();
    table.boolean('retryable').notNullable();
    table
      .bigInteger('retry_after')
      .nullable()
      .comment('epoch ms before which a retry is refused');
    table.integer('upstream_status').nullable();
    table.string('created_by', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.index(
      ['incident_id', 'created_at'],
      'incident_messages_incident_idx',
    );
  });

  await knex.schema.createTable('incident_evidence', table => {
    table.string('id', 36).primary();
    table.string('incident_id', 36).notNullable();
    table.string('status', 16).notNullable().comment('building, ready, failed');
    table.integer('progress').notNullable();
    table.integer('size_bytes').nullable();
    table
      .binary('content')
      .nullable()
      .comment('the .tar.gz; secrets redacted before packing');
    table.text('reason').nullable();
    table.string('created_by', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.index(['incident_id'], 'incident_evidence_incident_idx');
  });

  await knex.schema.createTable('incident_postmortems', table => {
    table.string('incident_id', 36).primary();
    table.text('markdown').notNullable();
    table.string('updated_by', 255).notNullable();
    table.bigInteger('updated_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('incident_postmortems');
  await knex.schema.dropTable('incident_evidence');
  await knex.schema.dropTable('incident_messages');
  await knex.schema.dropTable('incident_timeline');
  await knex.schema.dropTable('incident_records');
};
