/*
 * opsflow: "Step logs" tab of Cockpit's process instance view (Camunda 7 frontend plugin API, an ES module).
 *
 * Lists every step log of the run (GET /api/runs/{id}/logs, refreshed while the tab is open) and shows one, growing
 * live: server-sent events from /api/runs/{id}/logs/{activityInstanceId}/stream. Which one: the newest running log
 * (else the newest), or the newest log of the activity clicked in the diagram, or the row clicked in the list.
 * Requests carry the browser's Cockpit session; the server applies the same authorization as for /api/runs.
 * Everything from the server is shown as text (textContent), never as HTML.
 */

const LIST_REFRESH_MS = 2000;
/** A long log is shown from its last 512 KB; the whole log is one click away (its link). */
const SHOWN_BYTES = 512 * 1024;

/** Set by the tab while it is shown; called by the diagram plugin with the clicked element's id. */
let onActivityClicked = () => {};
let current = null;

function apiRoot() {
  const base = document.querySelector("base");
  const appRoot = (base && base.getAttribute("app-root")) || "";
  // the webapps live under <context>/camunda, opsflow's API under <context>/api
  return appRoot.replace(/\/camunda\/?$/, "");
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) {
    e.className = cls;
  }
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

function size(bytes) {
  if (bytes < 1024) {
    return bytes + " B";
  }
  if (bytes < 1024 * 1024) {
    return (bytes / 1024).toFixed(1) + " KB";
  }
  return (bytes / 1024 / 1024).toFixed(1) + " MB";
}

function time(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString();
}

class StepLogsView {
  constructor(node, processInstanceId) {
    this.pi = processInstanceId;
    this.entries = [];
    this.mode = { kind: "auto" };
    this.shown = null;
    this.source = null;
    this.stopped = false;

    this.root = el("div", "opsflow-step-logs");
    const side = el("div", "opsflow-step-logs-list");
    this.table = el("table", "cam-table opsflow-step-logs-table");
    const head = this.table.createTHead().insertRow();
    for (const h of ["Step", "Started", "Size", ""]) {
      head.appendChild(el("th", null, h));
    }
    this.rows = this.table.createTBody();
    this.hint = el("p", "opsflow-step-logs-hint",
      "Click an activity in the diagram to follow its log; a row to pin one.");
    side.appendChild(this.table);
    side.appendChild(this.hint);

    const main = el("div", "opsflow-step-logs-main");
    this.title = el("div", "opsflow-step-logs-title", "No step log yet.");
    this.status = el("span", "opsflow-step-logs-status");
    this.link = el("a", "opsflow-step-logs-raw", "whole log");
    this.link.target = "_blank";
    this.link.rel = "noopener";
    const bar = el("div", "opsflow-step-logs-bar");
    bar.appendChild(this.title);
    bar.appendChild(this.status);
    bar.appendChild(this.link);
    this.text = el("pre", "opsflow-step-logs-text");
    main.appendChild(bar);
    main.appendChild(this.text);

    this.root.appendChild(side);
    this.root.appendChild(main);
    node.appendChild(this.root);

    this.refresh();
    this.timer = setInterval(() => this.refresh(), LIST_REFRESH_MS);
  }

  async refresh() {
    if (this.stopped) {
      return;
    }
    try {
      const res = await fetch(`${apiRoot()}/api/runs/${encodeURIComponent(this.pi)}/logs`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      });
      if (!res.ok) {
        this.title.textContent = res.status === 404
          ? "No step logs you may read for this run."
          : `Step logs unavailable (HTTP ${res.status}).`;
        return;
      }
      this.entries = await res.json();
    } catch (e) {
      return; // next refresh
    }
    this.renderList();
    const target = this.target();
    if (target && (!this.shown || this.shown.activityInstanceId !== target.activityInstanceId)) {
      this.follow(target);
    } else if (!target && this.mode.kind === "activity") {
      this.closeStream();
      this.shown = null;
      this.title.textContent = `No step log of ${this.mode.activityId} yet.`;
      this.status.textContent = "";
      this.text.textContent = "";
      this.link.removeAttribute("href");
    }
  }

  /** The log to show under the current mode. */
  target() {
    const newestFirst = this.entries.slice().reverse();
    switch (this.mode.kind) {
      case "instance":
        return this.entries.find(e => e.activityInstanceId === this.mode.activityInstanceId) || null;
      case "activity":
        return newestFirst.find(e => e.activityId === this.mode.activityId) || null;
      default:
        return newestFirst.find(e => !e.ended) || newestFirst[0] || null;
    }
  }

  renderList() {
    this.rows.textContent = "";
    for (const e of this.entries) {
      const row = this.rows.insertRow();
      row.className = "opsflow-step-logs-row";
      row.setAttribute("data-activity-instance-id", e.activityInstanceId);
      if (this.shown && this.shown.activityInstanceId === e.activityInstanceId) {
        row.classList.add("selected");
      }
      const name = el("td", null, e.activityId || e.activityInstanceId);
      name.title = e.activityInstanceId;
      row.appendChild(name);
      row.appendChild(el("td", null, time(e.firstWritten)));
      row.appendChild(el("td", null, size(e.bytes)));
      row.appendChild(el("td", e.ended ? "ended" : "running", e.ended ? "ended" : "running"));
      row.addEventListener("click", () => {
        this.mode = { kind: "instance", activityInstanceId: e.activityInstanceId };
        this.refresh();
      });
    }
  }

  /** An activity clicked in the diagram: follow its newest log (and its next one); anything else: the run. */
  selectActivity(activityId) {
    this.mode = activityId ? { kind: "activity", activityId } : { kind: "auto" };
    this.refresh();
  }

  follow(entry) {
    this.closeStream();
    this.shown = entry;
    this.renderList();
    this.text.textContent = "";
    this.title.textContent = `${entry.activityId || "step"} · ${entry.activityInstanceId}`;
    this.status.textContent = "following…";
    this.status.className = "opsflow-step-logs-status running";
    this.link.href = entry.href;
    const from = Math.max(0, entry.bytes - SHOWN_BYTES);
    if (from > 0) {
      this.text.appendChild(document.createTextNode(`… the first ${size(from)} are in the whole log\n`));
    }
    const source = new EventSource(`${entry.href}/stream?offset=${from}`, { withCredentials: true });
    this.source = source;
    source.addEventListener("log", ev => {
      const data = JSON.parse(ev.data);
      const atBottom = this.text.scrollTop + this.text.clientHeight >= this.text.scrollHeight - 20;
      this.text.appendChild(document.createTextNode(data.text));
      if (atBottom) {
        this.text.scrollTop = this.text.scrollHeight;
      }
    });
    source.addEventListener("end", () => {
      source.close();
      if (this.source === source) {
        this.status.textContent = "ended";
        this.status.className = "opsflow-step-logs-status ended";
      }
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        this.status.textContent = "cannot follow this log";
        this.status.className = "opsflow-step-logs-status failed";
      }
    });
  }

  closeStream() {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.closeStream();
  }
}

const tab = {
  id: "opsflow-step-logs-tab",
  pluginPoint: "cockpit.processInstance.runtime.tab",
  priority: 5,
  render: (node, { processInstanceId }) => {
    if (current) {
      current.stop();
    }
    current = new StepLogsView(node, processInstanceId);
    const view = current;
    onActivityClicked = id => view.selectActivity(id);
  },
  unmount: () => {
    if (current) {
      current.stop();
      current = null;
    }
    onActivityClicked = () => {};
  },
  properties: {
    label: "Step logs"
  }
};

const diagram = {
  id: "opsflow-step-logs-diagram",
  pluginPoint: "cockpit.processInstance.diagram.plugin",
  priority: 0,
  render: viewer => {
    viewer.get("eventBus").on("element.click", event => {
      const element = event.element;
      const isActivity = element && element.type && /Task$|CallActivity$|SubProcess$/.test(element.type);
      onActivityClicked(isActivity ? element.id : null);
    });
  }
};

export default [tab, diagram];
