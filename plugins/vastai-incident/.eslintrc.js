module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // Production code never imports the test support folder.
  restrictedImportPatterns: ['**/testing/**'],
  overrides: [
    {
      // Test support, used by test files only: its imports are dev dependencies, as theirs are.
      files: ['src/testing/**'],
      rules: { '@backstage/no-undeclared-imports': 'off' },
    },
  ],
});
