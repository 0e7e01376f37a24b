from bpmngen import *

REJECTED_BY_APPROVER = ("${execution.setVariable('rejectionReason', execution.getVariable('comment') != null && "
                        "execution.getVariable('comment') != '' ? 'rejected by the approver: '.concat(execution.getVariable('comment')) "
                        ": 'rejected by the approver')}")


def listener(expr, event='end'):
    return f'<camunda:executionListener expression={quoteattr(expr)} event="{event}" />'


def outcome_listener(value):
    return listener("${execution.setVariable('outcome', '" + value + "')}")


def end(m, id, name, x, y, outcome, extra='', parent=None, label_above=False):
    return m.el('endEvent', id, name, x, y, parent=parent, ext=extra + outcome_listener(outcome),
                label_above=label_above)


def service(m, id, name, x, y, bean, parent=None, async_before=True, retry=None, extra_ext='', attrs=None, tail=''):
    a = {'camunda:delegateExpression': '${' + bean + '}'}
    if async_before:
        a['camunda:asyncBefore'] = 'true'
    if attrs:
        a.update(attrs)
    ext = extra_ext + (retry_cycle(retry) if retry else '')
    return m.el('serviceTask', id, name, x, y, parent=parent, attrs=a, ext=ext, tail=tail)


def approval(m, key, x, y, reminder_bean, end_deadline_pos, reminder_pos, reminder_end_pos, ext=''):
    """Task_Approve with reminder (non-interrupting, top) and deadline (interrupting, bottom) timers."""
    m.el('userTask', 'Task_Approve', 'Approve', x, y, ext=ext,
         attrs={'camunda:candidateGroups': '${approverGroup}', 'camunda:formRef': key + '-approval',
                'camunda:formRefBinding': 'deployment'})
    m.boundary('Event_ApprovalReminder', 'Reminder due', 'Task_Approve', 25,
               '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${approvalReminder}'
               '</bpmn:timeDuration></bpmn:timerEventDefinition>', cancel=False, side='top')
    m.boundary('Event_ApprovalDeadline', 'Deadline passed', 'Task_Approve', 75,
               '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${approvalDeadline}'
               '</bpmn:timeDuration></bpmn:timerEventDefinition>', cancel=True, side='bottom')
    service(m, 'Task_RemindApprovers', 'Remind approvers', reminder_pos[0], reminder_pos[1], reminder_bean,
            async_before=False)
    m.el('endEvent', 'Event_ReminderSent', 'Reminder sent', reminder_end_pos[0], reminder_end_pos[1])
    end(m, 'Event_EndDeadline', 'Approval deadline passed', end_deadline_pos[0], end_deadline_pos[1], 'REJECTED',
        listener("${execution.setVariable('rejectionReason', 'approval deadline passed')}"))
    m.flow('Flow_Reminder', 'Event_ApprovalReminder', 'Task_RemindApprovers')
    m.flow('Flow_ReminderSent', 'Task_RemindApprovers', 'Event_ReminderSent')
    m.flow('Flow_Deadline', 'Event_ApprovalDeadline', 'Event_EndDeadline')


def write(m, path):
    with open(path, 'w') as f:
        f.write(m.render())
