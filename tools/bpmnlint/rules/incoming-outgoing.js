'use strict';

/**
 * Every flow node lists its sequence flows in <bpmn:incoming>/<bpmn:outgoing>, exactly as Camunda Modeler writes
 * them. The engine reads only sourceRef/targetRef, but bpmnlint's connection rules (no-disconnected,
 * no-implicit-start, no-implicit-end, fake-join) and Modeler read the lists: a flow added or removed by hand
 * without them would go unnoticed.
 */
module.exports = function() {

  function check(node, reporter) {
    if (!node.$instanceOf('bpmn:FlowNode')) {
      return;
    }

    const flows = (node.$parent.flowElements || []).filter(e => e.$instanceOf('bpmn:SequenceFlow'));

    compare('incoming', node.incoming || [], flows.filter(f => f.targetRef === node), 'ends', node, reporter);
    compare('outgoing', node.outgoing || [], flows.filter(f => f.sourceRef === node), 'starts', node, reporter);
  }

  function compare(list, listed, actual, verb, node, reporter) {
    for (const flow of actual) {
      if (!listed.includes(flow)) {
        reporter.report(node.id, `sequence flow ${flow.id} ${verb} here but is missing from <bpmn:${list}>`);
      }
    }
    for (const flow of listed) {
      if (!actual.includes(flow)) {
        reporter.report(node.id, `<bpmn:${list}> lists ${flow && flow.id || flow}, which does not ${verb.slice(0, -1)} here`);
      }
    }
  }

  return {
    check,
    meta: {
      docs: {
        description: 'incoming/outgoing of every flow node match its sequence flows (as Camunda Modeler writes them)'
      }
    }
  };
};
