'use strict';

/**
 * opsflow's own bpmnlint rules. The repository's package.json is this plugin (name bpmnlint-plugin-opsflow), so
 * .bpmnlintrc refers to the rules as opsflow/<rule> without installing anything besides bpmnlint.
 */
module.exports = {
  rules: {
    'incoming-outgoing': './rules/incoming-outgoing.js',
    'no-implicit-end': './rules/no-implicit-end.js'
  }
};
