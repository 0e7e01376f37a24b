"""Tiny BPMN writer with DI: semantic XML + shapes/edges from explicit centre coordinates.

Spec: elements (dicts) and flows; see the runbook spec files.
"""
from xml.sax.saxutils import escape, quoteattr

SIZES = {
    'startEvent': (36, 36), 'endEvent': (36, 36), 'boundaryEvent': (36, 36),
    'intermediateThrowEvent': (36, 36), 'intermediateCatchEvent': (36, 36),
    'exclusiveGateway': (50, 50), 'parallelGateway': (50, 50),
    'serviceTask': (100, 80), 'userTask': (100, 80), 'task': (100, 80),
}
EVENTS = {'startEvent', 'endEvent', 'boundaryEvent', 'intermediateThrowEvent', 'intermediateCatchEvent'}
GATEWAYS = {'exclusiveGateway', 'parallelGateway'}


class Model:
    def __init__(self, pid, name, attrs=None):
        self.pid, self.name, self.attrs = pid, name, attrs or {}
        self.elements, self.flows, self.assocs = [], [], []
        self.messages, self.errors = [], []
        self.byid = {}

    def el(self, kind, id, name, x, y, parent=None, attrs=None, ext='', tail='', w=None, h=None, **kw):
        e = dict(kind=kind, id=id, name=name, attrs=attrs or {}, ext=ext, tail=tail, parent=parent,
                 incoming=[], outgoing=[], **kw)
        if kind == 'subProcess':
            e.update(x=x, y=y, w=w, h=h)
        else:
            sw, sh = SIZES[kind]
            e.update(x=x - sw / 2, y=y - sh / 2, w=sw, h=sh)
        self.elements.append(e)
        self.byid[id] = e
        return e

    def boundary(self, id, name, attached, dx, tail, cancel=True, side='bottom', parent=None):
        t = self.byid[attached]
        cy = t['y'] + t['h'] if side == 'bottom' else t['y']
        attrs = {'attachedToRef': attached}
        if not cancel:
            attrs['cancelActivity'] = 'false'
        return self.el('boundaryEvent', id, name, t['x'] + dx, cy, parent=parent if parent else t['parent'],
                       attrs=attrs, tail=tail, side=side)

    def flow(self, id, src, tgt, name=None, cond=None, ext='', waypoints=None, label=None):
        f = dict(id=id, src=src, tgt=tgt, name=name, cond=cond, ext=ext, waypoints=waypoints, label=label)
        self.flows.append(f)
        self.byid[src]['outgoing'].append(id)
        self.byid[tgt]['incoming'].append(id)
        return f

    def assoc(self, id, src, tgt, waypoints=None):
        self.assocs.append(dict(id=id, src=src, tgt=tgt, waypoints=waypoints))

    # ---- geometry
    @staticmethod
    def c(e):
        return e['x'] + e['w'] / 2, e['y'] + e['h'] / 2

    def route(self, f):
        if f['waypoints']:
            return f['waypoints']
        s, t = self.byid[f['src']], self.byid[f['tgt']]
        sx, sy = self.c(s)
        tx, ty = self.c(t)
        if s['kind'] == 'boundaryEvent':
            start = (sx, s['y'] + s['h']) if s.get('side') == 'bottom' else (sx, s['y'])
            if abs(ty - sy) < 1:
                return [(s['x'] + s['w'], sy), (t['x'], ty)]
            if t['x'] > sx:
                return [start, (sx, ty), (t['x'], ty)]
            if t['x'] + t['w'] < sx:
                return [start, (sx, ty), (t['x'] + t['w'], ty)]
            return [start, (tx, t['y'] if ty > sy else t['y'] + t['h'])]
        if abs(sy - ty) < 1:
            if t['x'] >= s['x'] + s['w']:
                return [(s['x'] + s['w'], sy), (t['x'], ty)]
            # backwards on the same row: go below
            low = max(s['y'] + s['h'], t['y'] + t['h']) + 30
            return [(sx, s['y'] + s['h']), (sx, low), (tx, low), (tx, t['y'] + t['h'])]
        if s['kind'] in GATEWAYS:
            start = (sx, s['y'] + s['h']) if ty > sy else (sx, s['y'])
            if abs(tx - sx) < 1:
                return [start, (tx, t['y'] if ty > sy else t['y'] + t['h'])]
            if t['x'] > sx:
                return [start, (sx, ty), (t['x'], ty)]
            return [start, (sx, ty), (t['x'] + t['w'], ty)]
        if t['kind'] in GATEWAYS:
            end = (tx, t['y'] + t['h']) if sy > ty else (tx, t['y'])
            if s['x'] + s['w'] < tx:
                return [(s['x'] + s['w'], sy), (tx, sy), end]
            return [(s['x'], sy), (tx, sy), end]
        if t['x'] >= s['x'] + s['w']:
            mx = (s['x'] + s['w'] + t['x']) / 2
            return [(s['x'] + s['w'], sy), (mx, sy), (mx, ty), (t['x'], ty)]
        # target left of / below source: leave at bottom, enter at top
        return [(sx, s['y'] + s['h'] if ty > sy else s['y']), (sx, (sy + ty) / 2), (tx, (sy + ty) / 2),
                (tx, t['y'] if ty > sy else t['y'] + t['h'])]

    # ---- xml
    def xml_el(self, e, ind):
        pad = '  ' * ind
        attrs = ''.join(f' {k}={quoteattr(str(v))}' for k, v in e['attrs'].items())
        name = f' name={quoteattr(e["name"])}' if e['name'] else ''
        out = [f'{pad}<bpmn:{e["kind"]} id="{e["id"]}"{name}{attrs}>']
        if e['ext']:
            out.append(f'{pad}  <bpmn:extensionElements>{e["ext"]}</bpmn:extensionElements>')
        out += [f'{pad}  <bpmn:incoming>{i}</bpmn:incoming>' for i in e['incoming']]
        out += [f'{pad}  <bpmn:outgoing>{o}</bpmn:outgoing>' for o in e['outgoing']]
        if e['tail']:
            out.append(f'{pad}  {e["tail"]}')
        if e['kind'] == 'subProcess':
            out += self.xml_children(e['id'], ind + 1)
        out.append(f'{pad}</bpmn:{e["kind"]}>')
        return out

    def xml_flow(self, f, ind):
        pad = '  ' * ind
        name = f' name={quoteattr(f["name"])}' if f['name'] else ''
        inner = ''
        if f['ext']:
            inner += f'<bpmn:extensionElements>{f["ext"]}</bpmn:extensionElements>'
        if f['cond']:
            inner += f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(f["cond"])}</bpmn:conditionExpression>'
        head = f'{pad}<bpmn:sequenceFlow id="{f["id"]}"{name} sourceRef="{f["src"]}" targetRef="{f["tgt"]}"'
        if inner:
            return [head + '>', f'{pad}  {inner}', f'{pad}</bpmn:sequenceFlow>']
        return [head + ' />']

    def xml_children(self, parent, ind):
        out = []
        for e in self.elements:
            if e['parent'] == parent:
                out += self.xml_el(e, ind)
        for f in self.flows:
            if self.byid[f['src']]['parent'] == parent:
                out += self.xml_flow(f, ind)
        if parent is None:
            for a in self.assocs:
                out.append('  ' * ind + f'<bpmn:association id="{a["id"]}" associationDirection="One" '
                           f'sourceRef="{a["src"]}" targetRef="{a["tgt"]}" />')
        return out

    def render(self):
        attrs = ''.join(f' {k}={quoteattr(str(v))}' for k, v in self.attrs.items())
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
               '                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"',
               '                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"',
               '                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"',
               '                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
               '                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
               f'                  id="Definitions_{self.pid.replace("-", "_")}" targetNamespace="http://opsflow.io/bpmn"',
               '                  exporter="opsflow bpmngen" exporterVersion="1">']
        for mid, mname in self.messages:
            out.append(f'  <bpmn:message id="{mid}" name="{mname}" />')
        for eid, ename, code in self.errors:
            out.append(f'  <bpmn:error id="{eid}" name={quoteattr(ename)} errorCode="{code}" />')
        out.append(f'  <bpmn:process id="{self.pid}" name={quoteattr(self.name)} isExecutable="true"{attrs}>')
        out += self.xml_children(None, 2)
        out.append('  </bpmn:process>')
        out += self.render_di()
        out.append('</bpmn:definitions>')
        return '\n'.join(out) + '\n'

    def render_di(self):
        out = [f'  <bpmndi:BPMNDiagram id="BPMNDiagram_{self.pid.replace("-", "_")}">',
               f'    <bpmndi:BPMNPlane id="BPMNPlane_{self.pid.replace("-", "_")}" bpmnElement="{self.pid}">']

        def n(v):
            return str(int(round(v)))
        for e in self.elements:
            extra = ''
            if e['kind'] == 'subProcess':
                extra = ' isExpanded="true"'
            if e['kind'] in GATEWAYS:
                extra = ' isMarkerVisible="true"'
            out.append(f'      <bpmndi:BPMNShape id="{e["id"]}_di" bpmnElement="{e["id"]}"{extra}>')
            out.append(f'        <dc:Bounds x="{n(e["x"])}" y="{n(e["y"])}" width="{n(e["w"])}" height="{n(e["h"])}" />')
            if e['name'] and (e['kind'] in EVENTS or e['kind'] in GATEWAYS):
                lw = 110
                lx = e['x'] + e['w'] / 2 - lw / 2
                ly = e['y'] + e['h'] + 4 if e['kind'] != 'boundaryEvent' or e.get('side') != 'top' else e['y'] - 30
                if e['kind'] in GATEWAYS:
                    ly = e['y'] - 30
                if e.get('label_above'):
                    ly = e['y'] - 30
                if e['kind'] == 'boundaryEvent':
                    lx = e['x'] + e['w'] + 2
                    ly = e['y'] + e['h'] - 4 if e.get('side') != 'top' else e['y'] - 24
                out.append(f'        <bpmndi:BPMNLabel><dc:Bounds x="{n(lx)}" y="{n(ly)}" width="{lw}" height="27" /></bpmndi:BPMNLabel>')
            out.append('      </bpmndi:BPMNShape>')
        for f in self.flows:
            pts = self.route(f)
            out.append(f'      <bpmndi:BPMNEdge id="{f["id"]}_di" bpmnElement="{f["id"]}">')
            for (x, y) in pts:
                out.append(f'        <di:waypoint x="{n(x)}" y="{n(y)}" />')
            if f['name']:
                lx, ly = f['label'] if f['label'] else (pts[0][0] + 6, pts[0][1] + (6 if len(pts) > 1 and pts[1][1] > pts[0][1] else -22))
                out.append(f'        <bpmndi:BPMNLabel><dc:Bounds x="{n(lx)}" y="{n(ly)}" width="90" height="27" /></bpmndi:BPMNLabel>')
            out.append('      </bpmndi:BPMNEdge>')
        for a in self.assocs:
            s, t = self.byid[a['src']], self.byid[a['tgt']]
            sx, sy = self.c(s)
            tx, ty = self.c(t)
            pts = a['waypoints'] or [(sx, s['y'] + s['h']), (sx, ty), (t['x'], ty)] if t['x'] > sx else \
                a['waypoints'] or [(sx, s['y'] + s['h']), (sx, ty), (t['x'] + t['w'], ty)]
            if abs(tx - sx) < 60:
                pts = [(sx, s['y'] + s['h']), (sx, t['y'])]
            out.append(f'      <bpmndi:BPMNEdge id="{a["id"]}_di" bpmnElement="{a["id"]}">')
            for (x, y) in pts:
                out.append(f'        <di:waypoint x="{n(x)}" y="{n(y)}" />')
            out.append('      </bpmndi:BPMNEdge>')
        out += ['    </bpmndi:BPMNPlane>', '  </bpmndi:BPMNDiagram>']
        return out


# ---- helpers for camunda extension snippets
def outcome(value, reason_expr=None):
    """End listener setting outcome (and optionally another variable)."""
    s = f'<camunda:executionListener expression="${{execution.setVariable(\'outcome\',\'{value}\')}}" event="end" />'
    if reason_expr:
        s = reason_expr + s
    return s


def set_var_listener(name, expr, event='end'):
    return (f'<camunda:executionListener expression={quoteattr("${execution.setVariable(" + repr(name) + ", " + expr + ")}")} '
            f'event="{event}" />')


def mi(collection, element, sequential, completion=None, async_before=False, async_after=False, exclusive=True):
    attrs = f' camunda:collection="{collection}" camunda:elementVariable="{element}"'
    if async_before:
        attrs += ' camunda:asyncBefore="true"'
    if async_after:
        attrs += ' camunda:asyncAfter="true"'
    if not exclusive:
        attrs += ' camunda:exclusive="false"'
    seq = 'true' if sequential else 'false'
    inner = ''
    if completion:
        inner = f'<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">{escape(completion)}</bpmn:completionCondition>'
    return f'<bpmn:multiInstanceLoopCharacteristics isSequential="{seq}"{attrs}>{inner}</bpmn:multiInstanceLoopCharacteristics>'


def retry_cycle(cycle):
    return f'<camunda:failedJobRetryTimeCycle>{cycle}</camunda:failedJobRetryTimeCycle>'
