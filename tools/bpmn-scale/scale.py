import sys
from common import *

m = Model('scale-service', 'Scale a service', {'camunda:historyTimeToLive': 'P30D', 'camunda:isStartableInTasklist': 'true'})
m.messages.append(('Message_ScaleRequested', 'scale-requested'))
m.errors.append(('Error_ScaleVerifyFailed', 'Scaled pool failed verification', 'SCALE_VERIFY_FAILED'))
Y = 300
m.el('startEvent', 'StartEvent_Requested', 'Scale requested', 150, Y,
     attrs={'camunda:initiator': 'initiator', 'camunda:formRef': 'scale-service-start', 'camunda:formRefBinding': 'deployment'})
m.el('startEvent', 'StartEvent_Alert', 'Alert fired (scale-requested)', 150, Y + 130,
     attrs={'camunda:initiator': 'initiator'}, tail='<bpmn:messageEventDefinition id="MessageEventDefinition_Alert" messageRef="Message_ScaleRequested" />')
m.el('exclusiveGateway', 'Gateway_Started', 'Started', 250, Y)
service(m, 'Task_CheckCooldown', 'Check cooldown', 370, Y, 'scaleCheckCooldown', async_before=False)
m.el('exclusiveGateway', 'Gateway_Cooldown', 'In cooldown?', 500, Y, attrs={'default': 'Flow_NoCooldown'})
end(m, 'Event_EndCooldown', 'Refused: cooldown', 500, Y - 120, 'REJECTED', label_above=True)
service(m, 'Task_Inspect', 'Inspect pool and plan', 630, Y, 'scaleInspect')
m.el('exclusiveGateway', 'Gateway_Direction', 'What to do?', 760, Y, attrs={'default': 'Flow_Change'})
end(m, 'Event_EndRefused', 'Refused', 760, Y - 120, 'REJECTED', label_above=True)
end(m, 'Event_EndNoChange', 'Already at target', 760, Y + 120, 'SUCCEEDED')
m.el('exclusiveGateway', 'Gateway_NeedsApproval', 'Approval required?', 880, Y, attrs={'default': 'Flow_NoApproval'})
approval(m, 'scale-service', 1010, Y, 'scaleRemindApprovers', end_deadline_pos=(1035, Y + 120),
         reminder_pos=(1130, Y - 130), reminder_end_pos=(1260, Y - 130))
m.el('exclusiveGateway', 'Gateway_Approved', 'Approved?', 1140, Y, attrs={'default': 'Flow_Rejected'})
end(m, 'Event_EndRejected', 'Rejected', 1140, Y + 120, 'REJECTED', listener(REJECTED_BY_APPROVER))
m.el('exclusiveGateway', 'Gateway_ApprovalDone', 'Go ahead', 1250, Y)
m.el('exclusiveGateway', 'Gateway_UpOrDown', 'Up or down?', 1350, Y, attrs={'default': 'Flow_Down'})
service(m, 'Task_AddInstances', 'Add instances', 1480, Y - 100, 'scaleAddInstance',
        tail=mi('${addPlacements}', 'placement', True, completion='${scaleAddFailed}'))
service(m, 'Task_RemoveInstances', 'Remove instances', 1480, Y + 100, 'scaleRemoveInstance',
        tail=mi('${removePlacements}', 'placement', True))
m.boundary('Event_CompensateAdd', 'Undo', 'Task_AddInstances', 75, '<bpmn:compensateEventDefinition />', side='top')
m.boundary('Event_CompensateRemove', 'Undo', 'Task_RemoveInstances', 75, '<bpmn:compensateEventDefinition />', side='bottom')
service(m, 'Task_UndoAdd', 'Remove added instance', 1505, Y - 240, 'scaleUndoAdd', async_before=False,
        attrs={'isForCompensation': 'true'})
service(m, 'Task_UndoRemove', 'Start removed instance again', 1505, Y + 240, 'scaleUndoRemove', async_before=False,
        attrs={'isForCompensation': 'true'})
m.assoc('Association_UndoAdd', 'Event_CompensateAdd', 'Task_UndoAdd', waypoints=[(1505, Y - 158), (1505, Y - 200)])
m.assoc('Association_UndoRemove', 'Event_CompensateRemove', 'Task_UndoRemove', waypoints=[(1505, Y + 158), (1505, Y + 200)])
m.el('exclusiveGateway', 'Gateway_Changed', 'Pool changed', 1610, Y)
service(m, 'Task_VerifyDistribution', 'Verify load balancer distribution', 1730, Y, 'scaleVerifyDistribution')
m.boundary('Event_VerifyFailed', 'Verification failed', 'Task_VerifyDistribution', 75,
           '<bpmn:errorEventDefinition errorRef="Error_ScaleVerifyFailed" camunda:errorCodeVariable="failureCode" camunda:errorMessageVariable="failureReason" />')
m.el('intermediateThrowEvent', 'Event_Compensate', 'Revert to previous count', 1755, Y + 120,
     tail='<bpmn:compensateEventDefinition waitForCompletion="true" />')
end(m, 'Event_EndRolledBack', 'Rolled back', 1880, Y + 120, 'ROLLED_BACK')
end(m, 'Event_EndScaled', 'Scaled', 1880, Y, 'SUCCEEDED')

m.flow('Flow_Start', 'StartEvent_Requested', 'Gateway_Started')
m.flow('Flow_AlertStart', 'StartEvent_Alert', 'Gateway_Started')
m.flow('Flow_ToCooldown', 'Gateway_Started', 'Task_CheckCooldown')
m.flow('Flow_CooldownChecked', 'Task_CheckCooldown', 'Gateway_Cooldown')
m.flow('Flow_InCooldown', 'Gateway_Cooldown', 'Event_EndCooldown', name='yes', cond='${cooldownActive}')
m.flow('Flow_NoCooldown', 'Gateway_Cooldown', 'Task_Inspect', name='no')
m.flow('Flow_Inspected', 'Task_Inspect', 'Gateway_Direction')
m.flow('Flow_Refused', 'Gateway_Direction', 'Event_EndRefused', name='refused', cond="${scaleDirection == 'refused'}")
m.flow('Flow_NoChange', 'Gateway_Direction', 'Event_EndNoChange', name='at target', cond="${scaleDirection == 'none'}")
m.flow('Flow_Change', 'Gateway_Direction', 'Gateway_NeedsApproval', name='change')
m.flow('Flow_NeedsApproval', 'Gateway_NeedsApproval', 'Task_Approve', name='yes', cond='${requiresApproval}')
m.flow('Flow_NoApproval', 'Gateway_NeedsApproval', 'Gateway_ApprovalDone', name='no',
       waypoints=[(880, Y + 25), (880, Y + 190), (1250, Y + 190), (1250, Y + 25)], label=(890, Y + 160))
m.flow('Flow_Decided', 'Task_Approve', 'Gateway_Approved')
m.flow('Flow_Approved', 'Gateway_Approved', 'Gateway_ApprovalDone', name='yes',
       cond="${execution.getVariable('approved') == true}")
m.flow('Flow_Rejected', 'Gateway_Approved', 'Event_EndRejected', name='no')
m.flow('Flow_ToDirection', 'Gateway_ApprovalDone', 'Gateway_UpOrDown')
m.flow('Flow_Up', 'Gateway_UpOrDown', 'Task_AddInstances', name='up', cond="${scaleDirection == 'up'}")
m.flow('Flow_Down', 'Gateway_UpOrDown', 'Task_RemoveInstances', name='down')
m.flow('Flow_Added', 'Task_AddInstances', 'Gateway_Changed')
m.flow('Flow_Removed', 'Task_RemoveInstances', 'Gateway_Changed')
m.flow('Flow_ToVerify', 'Gateway_Changed', 'Task_VerifyDistribution')
m.flow('Flow_Verified', 'Task_VerifyDistribution', 'Event_EndScaled')
m.flow('Flow_VerifyFailed', 'Event_VerifyFailed', 'Event_Compensate')
m.flow('Flow_Compensated', 'Event_Compensate', 'Event_EndRolledBack')
write(m, sys.argv[1])
