'use strict';

/**
 * Lints every diagram in processes/ with bpmnlint (.bpmnlintrc) and says what to do when that fails.
 * Run from the repository root: `node tools/bpmnlint/lint.js` (what ./mvnw verify runs) or `npm run lint`.
 */
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');

const diagrams = readdirSync('processes').filter(f => f.endsWith('.bpmn'));

let cli;
try {
  cli = require.resolve('bpmnlint/bin/bpmnlint.js', { paths: [ process.cwd() ] });
} catch (e) {
  console.error('bpmnlint is not installed: run `npm ci` in the repository root first');
  process.exit(2);
}

const result = spawnSync(process.execPath, [ cli, ...diagrams.map(f => `processes/${f}`) ], { stdio: 'inherit' });

if (result.status === 0) {
  console.log(`bpmnlint: ${diagrams.length} diagrams in processes/, no errors (rules and exceptions: .bpmnlintrc)`);
} else {
  console.error([
    '',
    'bpmnlint: the diagrams in processes/ have errors, listed above per file as: element id, severity, message, rule.',
    'Fix the element in Camunda Modeler (or the XML), then run `npm run lint` for a quick check. Rules are',
    'bpmnlint:recommended plus opsflow/* (tools/bpmnlint/rules/); a rule that does not fit Camunda 7 is switched off',
    'in .bpmnlintrc with its reason. ./mvnw verify -Dbpmnlint.skip=true skips this check.'
  ].join('\n'));
}
process.exit(result.status === null ? 1 : result.status);
