#!/usr/bin/env python3
"""bpmn_di.py: (re)writes the BPMN diagram interchange (shapes and edges) of opsflow's hand-written BPMN files.

The process XML is written by hand; this tool lays it out on a grid so Cockpit renders it. Every flow node needs a
grid cell in LAYOUTS (column, row); boundary events sit on the bottom edge of their host (BOUNDARY: host, slot);
every sequence flow and association becomes an orthogonal edge.

Usage: tools/bpmn_di.py processes/backup.bpmn [more.bpmn ...]
"""
import re
import sys
import xml.etree.ElementTree as ET

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

COL_W, ROW_H, X0, Y0 = 160, 130, 150, 100
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}

# process id -> {element id: (col, row)}; boundary events: {id: ("@", host id, slot)}
LAYOUTS = {
    "restore": {
        "Task_Remind": (5, -3), "Event_Reminded": (6, -3),
        "Task_Expire": (6, -2),
        "Task_Approve": (4, -1), "Gateway_Approved": (5, -1), "Gateway_RejectJoin": (6, -1),
        "Task_Rejected": (7, -1), "Event_Rejected": (8, -1),
        "Event_ApprovalReminder": ("@", "Task_Approve", 0, "top"), "Event_ApprovalDeadline": ("@", "Task_Approve", 1, "top"),
        "StartEvent_Requested": (0, 0), "Task_Resolve": (1, 0), "Task_Stage": (2, 0), "Gateway_NeedsApproval": (3, 0),
        "Gateway_ApprovalDone": (6, 0), "Gateway_KindBefore": (7, 0), "Gateway_WritersStopped": (9, 0),
        "Task_Restore": (10, 0), "Task_Verify": (11, 0), "Gateway_KindAfter": (12, 0), "Task_DropScratch": (13, 0),
        "Gateway_Done": (15, 0), "Task_Record": (16, 0), "Task_Cleanup": (17, 0), "Event_Restored": (18, 0),
        "Task_StopWriters": (8, 1), "Task_StartWriters": (13, 1), "Task_HealthCheck": (14, 1),
        "Event_ChecksumMismatch": ("@", "Task_Stage", 0), "Event_VerifyFailed": ("@", "Task_Verify", 0),
        "Event_HealthFailed": ("@", "Task_HealthCheck", 0),
        "Gateway_FailJoin": (15, 3), "Task_RecordFailure": (16, 3), "Event_Failed": (17, 3),
    },
    "migrate-database": {
        "Task_Remind": (9, -3), "Event_Reminded": (10, -3),
        "Task_Expire": (10, -2),
        "Task_Approve": (8, -1), "Gateway_Approved": (9, -1), "Gateway_RejectJoin": (10, -1),
        "Task_Rejected": (11, -1), "Event_Rejected": (12, -1),
        "Event_ApprovalReminder": ("@", "Task_Approve", 0, "top"), "Event_ApprovalDeadline": ("@", "Task_Approve", 1, "top"),
        "StartEvent_Requested": (0, 0), "Task_Plan": (1, 0), "Gateway_Pending": (2, 0), "CallActivity_Backup": (3, 0),
        "Gateway_BackupOk": (4, 0), "Task_HoldLock": (5, 0), "Gateway_LockHeld": (6, 0),
        "Gateway_NeedsApproval": (7, 0), "Gateway_ApprovalDone": (10, 0),
        "Task_Begin": (11, 0), "Task_Run": (12, 0), "Task_Verify": (13, 0), "Event_Migrated": (14, 0),
        "Event_UpToDate": (3, 1), "Gateway_NoBackup": (6, 2), "Task_BackupFailed": (7, 2), "Event_BackupFailed": (8, 2),
        "Event_CompensateBegin": ("@", "Task_Begin", 0),
        "SubProcess_Rollback": ("box", "StartEvent_Rollback", "EndEvent_Rollback"),
        "StartEvent_Rollback": (8, 3), "Task_RollbackStage": (9, 3), "Task_RollbackStopWriters": (10, 3),
        "Task_RollbackRestore": (11, 3), "Task_RollbackVerify": (12, 3), "Task_RollbackStartWriters": (13, 3),
        "EndEvent_Rollback": (14, 3),
        "Event_MigrationFailed": ("@", "Task_Run", 0), "Event_VerifyFailed": ("@", "Task_Verify", 0),
        "Gateway_FailJoin": (14, 1), "Event_Compensate": (15, 1), "Event_RolledBack": (16, 1),
    },
    "backup": {
        "StartEvent_Requested": (0, 0), "Task_Plan": (1, 0), "Gateway_Scope": (2, 0),
        "Task_TryLock": (3, 0), "Gateway_Locked": (4, 0), "Task_Dump": (5, 0), "Task_CopyOffsite": (6, 0),
        "Task_VerifyOffsite": (7, 0), "Task_Record": (8, 0), "Task_Retention": (9, 0), "Task_CleanupHost": (10, 0),
        "Event_Succeeded": (11, 0),
        "Event_CopyCorrupt": ("@", "Task_VerifyOffsite", 0), "Task_Discard": (8, 1), "Event_Failed": (9, 1),
        "Task_Skip": (5, -1), "Event_Skipped": (6, -1),
        "CallActivity_EachTarget": (3, 2), "Task_Summarize": (4, 2), "Event_AllDone": (5, 2),
    },
}


def kind(tag):
    local = tag.split("}")[1]
    if local.endswith("Gateway"):
        return "gateway"
    if local.endswith("Event"):
        return "event"
    return "task"


def main(paths):
    ET.register_namespace("bpmn", BPMN)
    ET.register_namespace("bpmndi", BPMNDI)
    ET.register_namespace("dc", DC)
    ET.register_namespace("di", DI)
    ET.register_namespace("camunda", "http://camunda.org/schema/1.0/bpmn")
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    for path in paths:
        layout_file(path)


def layout_file(path):
    text = open(path, encoding="utf-8").read()
    # drop an existing diagram, keep the hand-written process verbatim
    head = re.sub(r"\s*<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", text, flags=re.S)
    root = ET.fromstring(head.encode("utf-8"))
    out = []
    for process in root.findall("{%s}process" % BPMN):
        out.append(diagram(process))
    head = head.rstrip()
    assert head.endswith("</bpmn:definitions>"), path
    result = head[: -len("</bpmn:definitions>")].rstrip() + "\n" + "\n".join(out) + "\n</bpmn:definitions>\n"
    open(path, "w", encoding="utf-8").write(result)


def diagram(process):
    pid = process.get("id")
    layout = LAYOUTS[pid]
    min_row = min(v[1] for v in layout.values() if v[0] not in ("@", "box"))
    nodes, bounds = {}, {}
    for el in process.iter():
        if el.get("id") is None or el.tag.split("}")[1] in ("process", "sequenceFlow", "association",
                                                            "documentation", "conditionExpression"):
            continue
        local = el.tag.split("}")[1]
        if local.endswith("EventDefinition") or local.startswith("multiInstance"):
            continue
        if el.get("id") not in layout:
            sys.exit("%s: no layout for %s" % (pid, el.get("id")))
        nodes[el.get("id")] = el
    for nid, el in nodes.items():
        cell = layout[nid]
        if cell[0] in ("@", "box"):
            continue
        w, h = SIZES[kind(el.tag)]
        cx = X0 + cell[0] * COL_W + 50
        cy = Y0 + (cell[1] - min_row) * ROW_H + 40
        bounds[nid] = (cx - w / 2, cy - h / 2, w, h)
    for nid, el in nodes.items():
        cell = layout[nid]
        if cell[0] != "box":
            continue
        x1, y1 = bounds[cell[1]][0] - 40, bounds[cell[1]][1] - 60
        x2 = bounds[cell[2]][0] + bounds[cell[2]][2] + 40
        y2 = bounds[cell[2]][1] + bounds[cell[2]][3] + 60
        bounds[nid] = (x1, y1, x2 - x1, y2 - y1)
    for nid, el in nodes.items():
        cell = layout[nid]
        if cell[0] != "@":
            continue
        hx, hy, hw, hh = bounds[cell[1]]
        slot = cell[2]
        top = len(cell) > 3 and cell[3] == "top"
        bounds[nid] = (hx + hw - 36 - 4 - slot * 40, hy - 18 if top else hy + hh - 18, 36, 36)
    lines = ['  <bpmndi:BPMNDiagram id="BPMNDiagram_%s">' % pid,
             '    <bpmndi:BPMNPlane id="BPMNPlane_%s" bpmnElement="%s">' % (pid, pid)]
    for nid in nodes:
        x, y, w, h = bounds[nid]
        extra = ' isMarkerVisible="true"' if kind(nodes[nid].tag) == "gateway" else ""
        if nodes[nid].tag.endswith("}subProcess"):
            extra = ' isExpanded="true"'
        lines.append('      <bpmndi:BPMNShape id="%s_di" bpmnElement="%s"%s>' % (nid, nid, extra))
        lines.append('        <dc:Bounds x="%d" y="%d" width="%d" height="%d"/>' % (x, y, w, h))
        cell = layout[nid]
        if cell[0] == "@" and len(cell) > 3 and cell[3] == "top":
            # label above the event, not inside the task it sits on
            lines.append('        <bpmndi:BPMNLabel>')
            lines.append('          <dc:Bounds x="%d" y="%d" width="%d" height="%d"/>' % (x - 12, y - 18, 60, 14))
            lines.append('        </bpmndi:BPMNLabel>')
        lines.append('      </bpmndi:BPMNShape>')
    for flow in list(process.iter("{%s}sequenceFlow" % BPMN)) + list(process.iter("{%s}association" % BPMN)):
        src, tgt = flow.get("sourceRef"), flow.get("targetRef")
        boundary = layout[src][0] == "@"
        if src not in bounds or tgt not in bounds:
            sys.exit("%s: flow %s refers to an unknown element" % (pid, flow.get("id")))
        pts = route(bounds[src], bounds[tgt], boundary)
        tb = bounds[tgt]
        if layout[tgt][0] == "box" and tb[0] < pts[0][0] < tb[0] + tb[2]:
            pts = [pts[0], (pts[0][0], tb[1])]
        lines.append('      <bpmndi:BPMNEdge id="%s_di" bpmnElement="%s">' % (flow.get("id"), flow.get("id")))
        for px, py in pts:
            lines.append('        <di:waypoint x="%d" y="%d"/>' % (px, py))
        lines.append('      </bpmndi:BPMNEdge>')
    lines.append("    </bpmndi:BPMNPlane>")
    lines.append("  </bpmndi:BPMNDiagram>")
    return "\n".join(lines)


def route(s, t, from_bottom):
    sx, sy, sw, sh = s
    tx, ty, tw, th = t
    scx, scy = sx + sw / 2, sy + sh / 2
    tcx, tcy = tx + tw / 2, ty + th / 2
    if from_bottom or (abs(scy - tcy) > 1 and tcx - scx < 60):
        # leave downwards (or upwards), then horizontally into the target's side
        start = (scx, sy + sh) if tcy > scy else (scx, sy)
        if abs(tcx - scx) < 2:
            return [start, (tcx, ty if tcy > scy else ty + th)]
        end = (tx, tcy) if tcx > scx else (tx + tw, tcy)
        return [start, (scx, tcy), end]
    if abs(scy - tcy) <= 1:
        return [(sx + sw, scy), (tx, tcy)]
    # different rows, target to the right: leave the gateway/task vertically, then go right
    start = (scx, sy + sh) if tcy > scy else (scx, sy)
    return [start, (scx, tcy), (tx, tcy)]


if __name__ == "__main__":
    main(sys.argv[1:])
