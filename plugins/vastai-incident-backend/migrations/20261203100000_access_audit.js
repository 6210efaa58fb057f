// @ts-check

/**
 * Requests the entity gate refused (a permission denied, an integration the entity is not bound
 * to): an append-only record of who asked what of which entity, and why not. Remediations keep
 * their own refusals in `vastai_action_audit`.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('vastai_access_audit', table => {
    table.comment(
      'Append-only record of every refused request; never updated or deleted',
    );
    table.bigIncrements('id').primary();
    table.string('actor', 255).notNullable().comment('user entity ref');
    table.string('entity_ref', 255).notNullable();
    table.string('integration', 255).nullable();
    table
      .string('outcome', 32)
      .notNullable()
      .comment('denied (a permission), unbound (the integration binding)');
    table.string('permission', 128).nullable();
    table
      .string('request', 255)
      .notNullable()
      .comment('method and path, without the query');
    table.text('reason').notNullable();
    table.bigInteger('at').notNullable().comment('epoch ms');
    table.index(['entity_ref', 'id'], 'vastai_access_audit_entity_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('vastai_access_audit');
};
