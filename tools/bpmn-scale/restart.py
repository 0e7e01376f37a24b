import sys
from common import *

m = Model('restart-platform', 'Restart the platform', {'camunda:historyTimeToLive': 'P30D', 'camunda:isStartableInTasklist': 'true'})
Y = 300
m.el('startEvent', 'StartEvent_Requested', 'Restart requested', 150, Y,
     attrs={'camunda:initiator': 'initiator', 'camunda:formRef': 'restart-platform-start', 'camunda:formRefBinding': 'deployment'})
service(m, 'Task_PlanRestart', 'Plan batches', 280, Y, 'restartPlan')
m.el('exclusiveGateway', 'Gateway_NeedsApproval', 'Approval required?', 410, Y, attrs={'default': 'Flow_NoApproval'})
approval(m, 'restart-platform', 540, Y, 'restartRemindApprovers', end_deadline_pos=(565, Y + 120),
         reminder_pos=(660, Y - 130), reminder_end_pos=(790, Y - 130))
m.el('exclusiveGateway', 'Gateway_Approved', 'Approved?', 670, Y, attrs={'default': 'Flow_Rejected'})
end(m, 'Event_EndRejected', 'Rejected', 670, Y + 120, 'REJECTED', listener(REJECTED_BY_APPROVER))
m.el('exclusiveGateway', 'Gateway_ApprovalDone', 'Go ahead', 780, Y)
m.el('exclusiveGateway', 'Gateway_Mode', 'Mode?', 880, Y, attrs={'default': 'Flow_Rolling'})

# rolling: one sequential multi-instance subprocess per batch
m.el('subProcess', 'SubProcess_Batch', 'Restart batch (one batch at a time)', 960, Y - 110, w=920, h=310,
     tail=mi('${batches}', 'batch', True))
SP = 'SubProcess_Batch'
m.el('startEvent', 'StartEvent_Batch', 'Batch', 1000, Y, parent=SP)
service(m, 'Task_DrainBatch', 'Drain batch from load balancer', 1100, Y, 'restartDrainBatch', parent=SP)
service(m, 'Task_RestartHost', 'Restart host services', 1240, Y, 'restartHost', parent=SP,
        attrs={'camunda:asyncAfter': 'true', 'camunda:exclusive': 'false'},
        tail=mi('${batch}', 'host', False))
service(m, 'Task_CheckBatch', 'Check batch healthy', 1380, Y, 'restartCheckBatch', parent=SP)
m.el('exclusiveGateway', 'Gateway_BatchHealthy', 'Batch healthy?', 1500, Y, parent=SP, attrs={'default': 'Flow_BatchFailed'})
service(m, 'Task_HoldFailedBatch', 'Hold: failed batch (incident until fixed)', 1500, Y + 130, 'restartHoldFailedBatch',
        parent=SP, retry='R3/PT30S')
m.el('exclusiveGateway', 'Gateway_BatchOk', 'Healthy', 1610, Y, parent=SP)
service(m, 'Task_UndrainBatch', 'Undrain batch', 1720, Y, 'restartUndrainBatch', parent=SP)
m.el('endEvent', 'EndEvent_Batch', 'Batch done', 1830, Y, parent=SP)
end(m, 'Event_EndRestarted', 'Platform restarted', 1960, Y, 'SUCCEEDED')

# emergency: everything at once, no drain
Y2 = Y + 280
service(m, 'Task_RestartAll', 'Restart all hosts at once (no drain)', 1010, Y2, 'restartHost',
        attrs={'camunda:asyncAfter': 'true', 'camunda:exclusive': 'false'}, tail=mi('${hosts}', 'host', False))
BATCH_ALL = '<camunda:inputOutput><camunda:inputParameter name="batch">${hosts}</camunda:inputParameter></camunda:inputOutput>'
service(m, 'Task_CheckAll', 'Check all hosts healthy', 1160, Y2, 'restartCheckBatch', extra_ext=BATCH_ALL)
m.el('exclusiveGateway', 'Gateway_AllHealthy', 'All healthy?', 1280, Y2, attrs={'default': 'Flow_AllFailed'})
service(m, 'Task_HoldFailedAll', 'Hold: failed hosts (incident until fixed)', 1280, Y2 + 130, 'restartHoldFailedBatch',
        retry='R3/PT30S', extra_ext=BATCH_ALL)
m.el('exclusiveGateway', 'Gateway_AllOk', 'Healthy', 1390, Y2)
end(m, 'Event_EndEmergency', 'Platform restarted (emergency)', 1490, Y2, 'SUCCEEDED')

m.flow('Flow_Start', 'StartEvent_Requested', 'Task_PlanRestart')
m.flow('Flow_Planned', 'Task_PlanRestart', 'Gateway_NeedsApproval')
m.flow('Flow_NeedsApproval', 'Gateway_NeedsApproval', 'Task_Approve', name='yes',
       cond="${mode == 'emergency' || requiresApproval}")
m.flow('Flow_NoApproval', 'Gateway_NeedsApproval', 'Gateway_ApprovalDone', name='no',
       waypoints=[(410, Y + 25), (410, Y + 190), (780, Y + 190), (780, Y + 25)], label=(420, Y + 160))
m.flow('Flow_Decided', 'Task_Approve', 'Gateway_Approved')
m.flow('Flow_Approved', 'Gateway_Approved', 'Gateway_ApprovalDone', name='yes',
       cond="${execution.getVariable('approved') == true}")
m.flow('Flow_Rejected', 'Gateway_Approved', 'Event_EndRejected', name='no')
m.flow('Flow_ToMode', 'Gateway_ApprovalDone', 'Gateway_Mode')
m.flow('Flow_Rolling', 'Gateway_Mode', 'SubProcess_Batch', name='rolling', waypoints=[(905, Y), (960, Y)],
       label=(912, Y - 22))
m.flow('Flow_Emergency', 'Gateway_Mode', 'Task_RestartAll', name='emergency', cond="${mode == 'emergency'}",
       label=(820, Y + 230))
m.flow('Flow_BatchStart', 'StartEvent_Batch', 'Task_DrainBatch')
m.flow('Flow_Drained', 'Task_DrainBatch', 'Task_RestartHost')
m.flow('Flow_HostsRestarted', 'Task_RestartHost', 'Task_CheckBatch')
m.flow('Flow_Checked', 'Task_CheckBatch', 'Gateway_BatchHealthy')
m.flow('Flow_BatchHealthy', 'Gateway_BatchHealthy', 'Gateway_BatchOk', name='yes', cond='${batchHealthy}')
m.flow('Flow_BatchFailed', 'Gateway_BatchHealthy', 'Task_HoldFailedBatch', name='no')
m.flow('Flow_FixedByOperator', 'Task_HoldFailedBatch', 'Gateway_BatchOk', name='fixed')
m.flow('Flow_ToUndrain', 'Gateway_BatchOk', 'Task_UndrainBatch')
m.flow('Flow_Undrained', 'Task_UndrainBatch', 'EndEvent_Batch')
m.flow('Flow_AllBatches', 'SubProcess_Batch', 'Event_EndRestarted', waypoints=[(1880, Y), (1942, Y)])
m.flow('Flow_AllRestarted', 'Task_RestartAll', 'Task_CheckAll')
m.flow('Flow_AllChecked', 'Task_CheckAll', 'Gateway_AllHealthy')
m.flow('Flow_AllHealthy', 'Gateway_AllHealthy', 'Gateway_AllOk', name='yes', cond='${batchHealthy}')
m.flow('Flow_AllFailed', 'Gateway_AllHealthy', 'Task_HoldFailedAll', name='no')
m.flow('Flow_AllFixed', 'Task_HoldFailedAll', 'Gateway_AllOk', name='fixed')
m.flow('Flow_ToEmergencyEnd', 'Gateway_AllOk', 'Event_EndEmergency')
write(m, sys.argv[1])
