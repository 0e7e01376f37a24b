"""Tiny BPMN writer with explicit layout: every element gets a BPMNShape, every flow/association a BPMNEdge.

Used by tools/gen_release_bpmn.py. The generated files under processes/ are the source of truth afterwards and can
be edited in Camunda Modeler; re-running the generator overwrites them.
"""
from xml.sax.saxutils import escape, quoteattr

SIZES = {
    'task': (100, 80), 'event': (36, 36), 'gateway': (50, 50),
}


def a(v):
    return quoteattr(str(v))


class Node:
    def __init__(self, kind, id, name, cx=None, cy=None, parent=None, bounds=None, **kw):
        self.kind, self.id, self.name, self.parent = kind, id, name, parent
        self.kw = kw
        self.children = []
        if bounds:
            self.x, self.y, self.w, self.h = bounds
        else:
            size = SIZES['event'] if kind in ('start', 'end', 'boundary', 'throw', 'catch') else \
                SIZES['gateway'] if kind == 'gateway' else SIZES['task']
            self.w, self.h = size
            self.x, self.y = cx - self.w / 2, cy - self.h / 2

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2

    def point(self, side):
        return {'r': (self.x + self.w, self.cy), 'l': (self.x, self.cy), 't': (self.cx, self.y),
                'b': (self.cx, self.y + self.h)}[side]


class Diagram:
    def __init__(self, process_id, name):
        self.process_id, self.name = process_id, name
        self.nodes = {}
        self.order = []
        self.flows = []
        self.assocs = []
        self.errors = []

    def error(self, id, name, code):
        self.errors.append((id, name, code))

    def add(self, kind, id, name, cx=None, cy=None, parent=None, **kw):
        n = Node(kind, id, name, cx, cy, parent, **kw)
        assert id not in self.nodes, id
        self.nodes[id] = n
        if parent:
            self.nodes[parent].children.append(n)
        else:
            self.order.append(n)
        return n

    def boundary(self, id, name, attached, side, offset, **kw):
        host = self.nodes[attached]
        if side == 'b':
            cx, cy = host.x + offset, host.y + host.h
        elif side == 't':
            cx, cy = host.x + offset, host.y
        else:
            cx, cy = host.x + host.w, host.y + offset
        return self.add('boundary', id, name, cx, cy, parent=host.parent, attached=attached, side=side, **kw)

    def flow(self, id, src, tgt, name=None, cond=None, exit=None, entry=None, via=None, default=False,
             parent=None):
        s, t = self.nodes[src], self.nodes[tgt]
        if exit is None:
            exit = s.kw.get('side', 'r') if s.kind == 'boundary' else 'r'
        if entry is None:
            entry = 'l'
        p0, p1 = s.point(exit), t.point(entry)
        if via is not None:
            pts = [p0] + via + [p1]
        elif exit == 'r' and entry == 'l':
            if abs(p0[1] - p1[1]) < 1:
                pts = [p0, p1]
            else:
                mx = (p0[0] + p1[0]) / 2
                pts = [p0, (mx, p0[1]), (mx, p1[1]), p1]
        elif exit in ('t', 'b') and entry == 'l':
            pts = [p0, (p0[0], p1[1]), p1]
        elif exit == 'r' and entry in ('t', 'b'):
            pts = [p0, (p1[0], p0[1]), p1]
        elif exit in ('t', 'b') and entry in ('t', 'b'):
            if abs(p0[0] - p1[0]) < 1:
                pts = [p0, p1]
            else:
                my = (p0[1] + p1[1]) / 2
                pts = [p0, (p0[0], my), (p1[0], my), p1]
        else:
            pts = [p0, p1]
        scope = parent if parent is not None else s.parent
        self.flows.append(dict(id=id, src=src, tgt=tgt, name=name, cond=cond, pts=pts, scope=scope))
        if default:
            s.kw['default'] = id

    def association(self, id, src, tgt):
        s, t = self.nodes[src], self.nodes[tgt]
        side = s.kw.get('side', 'b')
        p0 = s.point(side)
        p1 = t.point('t' if side == 'b' else 'b')
        pts = [p0, (p0[0], p1[1])] if abs(p0[0] - p1[0]) < 1 else [p0, (p0[0], (p0[1] + p1[1]) / 2),
                                                                   (p1[0], (p0[1] + p1[1]) / 2), p1]
        self.assocs.append(dict(id=id, src=src, tgt=tgt, pts=pts, scope=s.parent))

    # ---------------------------------------------------------------- XML
    def xml(self):
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
               ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
               ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
               ' xmlns:di="http://www.omg.org/spec/DD/20100524/DI"'
               ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
               ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
               ' xmlns:modeler="http://camunda.org/schema/modeler/1.0"'
               f' id="Definitions_{self.process_id.replace("-", "_")}" targetNamespace="http://opsflow.io/bpmn"'
               ' exporter="opsflow tools/gen_release_bpmn.py" exporterVersion="1"'
               ' modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.24.0">']
        for (id, name, code) in self.errors:
            out.append(f'  <bpmn:error id={a(id)} name={a(name)} errorCode={a(code)} />')
        out.append(f'  <bpmn:process id={a(self.process_id)} name={a(self.name)} isExecutable="true"'
                   f' camunda:historyTimeToLive="P30D">')
        self._scope(out, None, self.order, '    ')
        out.append('  </bpmn:process>')
        out.append('  <bpmndi:BPMNDiagram id="BPMNDiagram_1">')
        out.append(f'    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement={a(self.process_id)}>')
        for n in self._all_nodes():
            extra = ' isExpanded="true"' if n.kind == 'subprocess' else ''
            extra += ' isMarkerVisible="true"' if n.kind == 'gateway' else ''
            out.append(f'      <bpmndi:BPMNShape id="{n.id}_di" bpmnElement="{n.id}"{extra}>')
            out.append(f'        <dc:Bounds x="{n.x:g}" y="{n.y:g}" width="{n.w:g}" height="{n.h:g}" />')
            if n.name and n.kind in ('start', 'end', 'boundary', 'throw', 'catch', 'gateway'):
                lx, ly = n.cx - 50, n.y + n.h + 4
                if n.kw.get('label'):
                    lx, ly = n.cx + n.kw['label'][0], n.cy + n.kw['label'][1]
                elif n.kind == 'boundary' and n.kw.get('side') == 't':
                    lx, ly = n.cx + 4, n.y - 30
                out.append(f'        <bpmndi:BPMNLabel><dc:Bounds x="{lx:g}" y="{ly:g}" width="100" height="27" />'
                           f'</bpmndi:BPMNLabel>')
            out.append('      </bpmndi:BPMNShape>')
        for f in self.flows + self.assocs:
            out.append(f'      <bpmndi:BPMNEdge id="{f["id"]}_di" bpmnElement="{f["id"]}">')
            for (x, y) in f['pts']:
                out.append(f'        <di:waypoint x="{x:g}" y="{y:g}" />')
            if f.get('name'):
                (x0, y0), (x1, y1) = f['pts'][0], f['pts'][1]
                out.append(f'        <bpmndi:BPMNLabel><dc:Bounds x="{(x0 + x1) / 2 + 4:g}" y="{(y0 + y1) / 2 - 20:g}"'
                           f' width="80" height="14" /></bpmndi:BPMNLabel>')
            out.append('      </bpmndi:BPMNEdge>')
        out.append('    </bpmndi:BPMNPlane>')
        out.append('  </bpmndi:BPMNDiagram>')
        out.append('</bpmn:definitions>')
        return '\n'.join(out) + '\n'

    def _all_nodes(self):
        res = []

        def walk(ns):
            for n in ns:
                res.append(n)
                walk(n.children)
        walk(self.order)
        return res

    def _scope(self, out, scope, nodes, ind):
        for n in nodes:
            self._node(out, n, ind)
        for f in self.flows:
            if f['scope'] == scope:
                attrs = f'id={a(f["id"])} sourceRef={a(f["src"])} targetRef={a(f["tgt"])}'
                if f['name']:
                    attrs += f' name={a(f["name"])}'
                if f['cond']:
                    out.append(f'{ind}<bpmn:sequenceFlow {attrs}>')
                    out.append(f'{ind}  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                               f'{escape(f["cond"])}</bpmn:conditionExpression>')
                    out.append(f'{ind}</bpmn:sequenceFlow>')
                else:
                    out.append(f'{ind}<bpmn:sequenceFlow {attrs} />')
        for s in self.assocs:
            if s['scope'] == scope:
                out.append(f'{ind}<bpmn:association id={a(s["id"])} associationDirection="One"'
                           f' sourceRef={a(s["src"])} targetRef={a(s["tgt"])} />')

    def _ext(self, n):
        parts = []
        for (event, expr) in n.kw.get('listeners', []):
            parts.append(f'<camunda:executionListener event="{event}" expression={a(expr)} />')
        if n.kw.get('retry'):
            parts.append(f'<camunda:failedJobRetryTimeCycle>{n.kw["retry"]}</camunda:failedJobRetryTimeCycle>')
        if n.kw.get('inputs'):
            parts.append('<camunda:inputOutput>' + ''.join(
                f'<camunda:inputParameter name={a(k)}>{escape(v)}</camunda:inputParameter>'
                for k, v in n.kw['inputs']) + '</camunda:inputOutput>')
        return parts

    def _node(self, out, n, ind):
        k = n.kw
        common = f'id={a(n.id)}' + (f' name={a(n.name)}' if n.name else '')
        ext = self._ext(n)
        doc = k.get('doc')
        body = []
        if doc:
            body.append(f'<bpmn:documentation>{escape(doc)}</bpmn:documentation>')
        if ext:
            body.append('<bpmn:extensionElements>' + ''.join(ext) + '</bpmn:extensionElements>')
        attrs = ''
        if k.get('asyncb'):
            attrs += ' camunda:asyncBefore="true"'
        if n.kind == 'start':
            if k.get('form'):
                attrs += f' camunda:formRef={a(k["form"])} camunda:formRefBinding="deployment"'
            if k.get('initiator'):
                attrs += ' camunda:initiator="initiator"'
            tag = 'startEvent'
        elif n.kind == 'end':
            tag = 'endEvent'
            if k.get('error'):
                body.append(f'<bpmn:errorEventDefinition errorRef={a(k["error"])} />')
        elif n.kind == 'service':
            tag = 'serviceTask'
            attrs += f' camunda:delegateExpression="${{{k["bean"]}}}"'
            if k.get('compensation'):
                attrs += ' isForCompensation="true"'
        elif n.kind == 'user':
            tag = 'userTask'
            attrs += f' camunda:candidateGroups={a(k["groups"])}'
            if k.get('form'):
                attrs += f' camunda:formRef={a(k["form"])} camunda:formRefBinding="deployment"'
        elif n.kind == 'gateway':
            tag = 'exclusiveGateway'
            if k.get('default'):
                attrs += f' default={a(k["default"])}'
        elif n.kind == 'boundary':
            tag = 'boundaryEvent'
            attrs += f' attachedToRef={a(k["attached"])}'
            if k.get('interrupting') is False:
                attrs += ' cancelActivity="false"'
            body.append(self._eventdef(k['event']))
        elif n.kind == 'throw':
            tag = 'intermediateThrowEvent'
            body.append(self._eventdef(k['event']))
        elif n.kind == 'catch':
            tag = 'intermediateCatchEvent'
            body.append(self._eventdef(k['event']))
        elif n.kind == 'subprocess':
            tag = 'subProcess'
        else:
            raise ValueError(n.kind)
        if n.kind == 'subprocess':
            out.append(f'{ind}<bpmn:{tag} {common}{attrs}>')
            for b in body:
                out.append(f'{ind}  {b}')
            if k.get('mi'):
                mi = k['mi']
                out.append(f'{ind}  <bpmn:multiInstanceLoopCharacteristics isSequential="true">')
                out.append(f'{ind}    <bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">{escape(mi["cardinality"])}'
                           f'</bpmn:loopCardinality>')
                if mi.get('completion'):
                    out.append(f'{ind}    <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">'
                               f'{escape(mi["completion"])}</bpmn:completionCondition>')
                out.append(f'{ind}  </bpmn:multiInstanceLoopCharacteristics>')
            self._scope(out, n.id, n.children, ind + '  ')
            out.append(f'{ind}</bpmn:{tag}>')
        elif body:
            out.append(f'{ind}<bpmn:{tag} {common}{attrs}>')
            for b in body:
                out.append(f'{ind}  {b}')
            out.append(f'{ind}</bpmn:{tag}>')
        else:
            out.append(f'{ind}<bpmn:{tag} {common}{attrs} />')

    @staticmethod
    def _eventdef(e):
        kind = e[0]
        if kind == 'error':
            return f'<bpmn:errorEventDefinition errorRef={a(e[1])} />'
        if kind == 'compensate':
            return '<bpmn:compensateEventDefinition waitForCompletion="true" />'
        if kind == 'timer':
            return (f'<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(e[1])}'
                    f'</bpmn:timeDuration></bpmn:timerEventDefinition>')
        raise ValueError(e)
