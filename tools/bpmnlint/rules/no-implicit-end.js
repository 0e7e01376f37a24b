'use strict';

/**
 * bpmnlint's no-implicit-end, except that a compensation boundary event is fine when its association to the
 * compensation handler is in any enclosing scope.
 *
 * bpmnlint (11.15, and 12.0 alike) looks for that association only among the artifacts of the process. Camunda 7
 * and Camunda Modeler keep it in the sub-process that holds the boundary event and its handler (the engine
 * resolves the handler in the event's scope), so every compensation boundary event inside a sub-process is
 * reported as an implicit end although the diagram is right. Everything else is bpmnlint's own check.
 */
const bpmnlintNoImplicitEnd = require('bpmnlint/rules/no-implicit-end');

module.exports = function() {

  const original = bpmnlintNoImplicitEnd();

  function check(node, reporter) {
    if (isCompensationBoundaryEvent(node) && hasAssociationInScope(node)) {
      return;
    }
    return original.check(node, reporter);
  }

  return {
    check,
    meta: {
      docs: {
        description: 'no-implicit-end, with compensation associations found in sub-processes too'
      }
    }
  };
};

function isCompensationBoundaryEvent(node) {
  const definitions = node.eventDefinitions || [];
  return node.$instanceOf('bpmn:BoundaryEvent') && definitions.length > 0 &&
    definitions.every(d => d.$instanceOf('bpmn:CompensateEventDefinition'));
}

function hasAssociationInScope(node) {
  for (let scope = node.$parent; scope; scope = scope.$parent) {
    const artifacts = scope.artifacts || [];
    if (artifacts.some(a => a.$instanceOf('bpmn:Association') && a.sourceRef && a.sourceRef.id === node.id)) {
      return true;
    }
  }
  return false;
}
