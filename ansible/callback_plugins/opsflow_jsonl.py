# -*- coding: utf-8 -*-
# opsflow: machine-readable stdout callback, one JSON object per line, streamed as events happen.
#
# Why our own plugin: ansible-core (the Debian package ansible-core) ships no JSON stdout callback;
# ansible.posix.json / ansible.posix.jsonl come only with the ansible.posix collection. opsflow must work with
# plain ansible-core, so the callback lives next to the playbooks (ansible.cfg: callback_plugins).
#
# Every line is a JSON object with "event" as its first key:
#   {"event":"playbook_start","playbook":"deploy-app.yml","check":false,"diff":false}
#   {"event":"play_start","play":"..."}
#   {"event":"task_start","task":"...","action":"ansible.builtin.file"}
#   {"event":"ok"|"changed"|"skipped"|"failed"|"unreachable","host":"...","task":"...","action":"...",
#    "msg":"..."(failed/unreachable), "ignored":true(failed with ignore_errors), "rc":1(if any)}
#   {"event":"diff","host":"...","task":"...","diff":"unified diff text"}      (with --diff, changed results)
#   {"event":"stats","hosts":{"h":{"ok":1,"changed":0,"failed":0,"unreachable":0,"skipped":0,"rescued":0,
#    "ignored":0}},"check":false}
# Messages are cut at MSG_MAX characters; results are never dumped whole (no_log results are censored by Ansible).
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
    name: opsflow_jsonl
    type: stdout
    short_description: one JSON object per line, for opsflow
    description:
      - Streams playbook events (task results, diffs, final per-host stats) as JSON lines on stdout.
    extends_documentation_fragment:
      - default_callback
    requirements:
      - set as stdout callback (ANSIBLE_STDOUT_CALLBACK=opsflow_jsonl)
'''

import json

from ansible import context
from ansible.plugins.callback import CallbackBase

MSG_MAX = 2000
DIFF_MAX = 65536


def _cut(text, limit):
    if text is None:
        return None
    text = u'%s' % (text,)
    if len(text) > limit:
        return text[:limit] + u'... [%d more characters cut]' % (len(text) - limit)
    return text


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'opsflow_jsonl'

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._check = bool(context.CLIARGS.get('check', False))

    # ---- output --------------------------------------------------------------------------------------------
    def _emit(self, event, **fields):
        record = {'event': event}
        record.update((k, v) for k, v in fields.items() if v is not None)
        self._display.display(json.dumps(record, ensure_ascii=True, sort_keys=False, default=str))

    @staticmethod
    def _task_name(task):
        return task.get_name().strip() if task is not None else None

    @staticmethod
    def _message(res):
        """The reason a task failed, in a few lines: msg, then rc/stderr/stdout of command-like modules."""
        parts = []
        if res.get('msg'):
            parts.append(u'%s' % (res['msg'],))
        if 'results' in res and isinstance(res['results'], list):
            for item in res['results']:
                if isinstance(item, dict) and item.get('failed'):
                    label = item.get('_ansible_item_label', item.get('item'))
                    if item.get('_ansible_no_log'):
                        label = '(censored due to no_log)'
                    parts.append(u'item %s: %s' % (label, item.get('msg', 'failed')))
        if res.get('exception') and not res.get('msg'):
            parts.append(u'%s' % (res['exception'].strip().split('\n')[-1],))
        stderr = res.get('stderr')
        if stderr:
            parts.append(u'stderr: %s' % (stderr.strip()[-MSG_MAX:],))
        if not parts and res.get('stdout'):
            parts.append(u'stdout: %s' % (res['stdout'].strip()[-MSG_MAX:],))
        return _cut(u'\n'.join(parts) or u'failed (no message)', MSG_MAX)

    def _result(self, event, result, **extra):
        res = result._result
        rc = res.get('rc') if isinstance(res.get('rc'), int) else None
        self._emit(event, host=result._host.get_name(), task=self._task_name(result._task),
                   action=result._task.action, rc=rc, **extra)

    # ---- playbook structure --------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        import os
        self._emit('playbook_start', playbook=os.path.basename(playbook._file_name), check=self._check,
                   diff=bool(context.CLIARGS.get('diff', False)))

    def v2_playbook_on_play_start(self, play):
        self._emit('play_start', play=play.get_name().strip())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit('task_start', task=self._task_name(task), action=task.action)

    def v2_playbook_on_handler_task_start(self, task):
        self._emit('task_start', task=self._task_name(task), action=task.action, handler=True)

    def v2_playbook_on_no_hosts_matched(self):
        self._emit('no_hosts_matched')

    def v2_playbook_on_no_hosts_remaining(self):
        self._emit('no_hosts_remaining')

    # ---- per-host results ----------------------------------------------------------------------------------
    def v2_runner_on_ok(self, result):
        changed = bool(result._result.get('changed', False))
        msg = None
        if result._task.action in ('debug', 'ansible.builtin.debug', 'ansible.legacy.debug') \
                and 'msg' in result._result:
            msg = _cut(result._result['msg'], MSG_MAX)
        self._result('changed' if changed else 'ok', result, msg=msg)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result('failed', result, msg=self._message(result._result), ignored=True if ignore_errors else None)

    def v2_runner_on_skipped(self, result):
        self._result('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._result('unreachable', result, msg=self._message(result._result))

    def v2_runner_on_async_failed(self, result):
        self._result('failed', result, msg=self._message(result._result))

    def v2_runner_item_on_failed(self, result):
        pass  # summarised in the task's final failed event (see _message)

    def v2_on_file_diff(self, result):
        res = result._result
        diffs = []
        if result._task.loop and 'results' in res:
            for item in res['results']:
                if isinstance(item, dict) and item.get('diff') and item.get('changed', False):
                    diffs.append(self._get_diff(item['diff']))
        elif res.get('diff') and res.get('changed', False):
            diffs.append(self._get_diff(res['diff']))
        text = u''.join(d for d in diffs if d)
        if text:
            self._emit('diff', host=result._host.get_name(), task=self._task_name(result._task),
                       diff=_cut(text, DIFF_MAX))

    # ---- end -----------------------------------------------------------------------------------------------
    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for h in sorted(stats.processed.keys()):
            s = stats.summarize(h)
            hosts[h] = {'ok': s['ok'], 'changed': s['changed'], 'failed': s['failures'],
                        'unreachable': s['unreachable'], 'skipped': s['skipped'], 'rescued': s['rescued'],
                        'ignored': s['ignored']}
        self._emit('stats', hosts=hosts, check=self._check)
