import sys
from common import *

m = Model('provision-infrastructure', 'Provision infrastructure', {'camunda:historyTimeToLive': 'P30D', 'camunda:isStartableInTasklist': 'true'})
m.errors.append(('Error_PlanMismatch', 'Plan is not the approved plan', 'PLAN_MISMATCH'))
Y = 300
m.el('startEvent', 'StartEvent_Requested', 'Provisioning requested', 150, Y,
     attrs={'camunda:initiator': 'initiator', 'camunda:formRef': 'provision-infrastructure-start', 'camunda:formRefBinding': 'deployment'})
service(m, 'Task_Prepare', 'Prepare variables and policy', 270, Y, 'provisionPrepare', async_before=False)
service(m, 'Task_TerraformInit', 'terraform init', 400, Y, 'provisionInit')
service(m, 'Task_TerraformPlan', 'terraform plan (evidence, SHA-256)', 530, Y, 'provisionPlan')
m.el('exclusiveGateway', 'Gateway_HasChanges', 'Changes?', 660, Y, attrs={'default': 'Flow_Changes'})
end(m, 'Event_EndNoChanges', 'No changes', 660, Y - 120, 'SUCCEEDED', label_above=True)
m.el('exclusiveGateway', 'Gateway_NeedsApproval', 'Approval required?', 770, Y, attrs={'default': 'Flow_NoApproval'})
approval(m, 'provision-infrastructure', 900, Y, 'provisionRemindApprovers', end_deadline_pos=(925, Y + 120),
         reminder_pos=(1020, Y - 130), reminder_end_pos=(1150, Y - 130),
         ext='<camunda:inputOutput><camunda:outputParameter name="approvedPlanSha256">${tfPlanSha256}</camunda:outputParameter></camunda:inputOutput>')
m.el('exclusiveGateway', 'Gateway_Approved', 'Approved?', 1030, Y, attrs={'default': 'Flow_Rejected'})
end(m, 'Event_EndRejected', 'Rejected', 1030, Y + 120, 'REJECTED', listener(REJECTED_BY_APPROVER))
m.el('exclusiveGateway', 'Gateway_ApprovalDone', 'Go ahead', 1140, Y)
service(m, 'Task_TerraformApply', 'terraform apply (exactly the approved plan)', 1260, Y, 'provisionApply')
m.boundary('Event_PlanMismatch', 'Plan mismatch', 'Task_TerraformApply', 75,
           '<bpmn:errorEventDefinition errorRef="Error_PlanMismatch" camunda:errorCodeVariable="failureCode" camunda:errorMessageVariable="failureReason" />')
end(m, 'Event_EndPlanMismatch', 'Refused: not the approved plan', 1285, Y + 120, 'FAILED')
service(m, 'Task_TerraformOutputs', 'terraform output', 1400, Y, 'provisionOutputs')
service(m, 'Task_UpdateFleet', 'Update fleet from outputs', 1540, Y, 'provisionUpdateFleet')
m.el('exclusiveGateway', 'Gateway_NewHosts', 'New hosts?', 1670, Y, attrs={'default': 'Flow_NoNewHosts'})
end(m, 'Event_EndApplied', 'Applied', 1670, Y + 120, 'SUCCEEDED')
service(m, 'Task_ConfigureHosts', 'Configure new hosts (Ansible)', 1790, Y, 'provisionConfigureHosts')
service(m, 'Task_CheckHosts', 'Check new hosts', 1930, Y, 'provisionCheckHosts')
end(m, 'Event_EndProvisioned', 'Provisioned', 2060, Y, 'SUCCEEDED')

m.flow('Flow_Start', 'StartEvent_Requested', 'Task_Prepare')
m.flow('Flow_Prepared', 'Task_Prepare', 'Task_TerraformInit')
m.flow('Flow_Initialised', 'Task_TerraformInit', 'Task_TerraformPlan')
m.flow('Flow_Planned', 'Task_TerraformPlan', 'Gateway_HasChanges')
m.flow('Flow_NoChanges', 'Gateway_HasChanges', 'Event_EndNoChanges', name='none', cond='${!tfHasChanges}')
m.flow('Flow_Changes', 'Gateway_HasChanges', 'Gateway_NeedsApproval', name='yes')
m.flow('Flow_NeedsApproval', 'Gateway_NeedsApproval', 'Task_Approve', name='yes', cond='${needsApproval}')
m.flow('Flow_NoApproval', 'Gateway_NeedsApproval', 'Gateway_ApprovalDone', name='no',
       ext=listener("${execution.setVariable('approvedPlanSha256', tfPlanSha256)}", event='take'),
       waypoints=[(770, Y + 25), (770, Y + 190), (1140, Y + 190), (1140, Y + 25)], label=(780, Y + 160))
m.flow('Flow_Decided', 'Task_Approve', 'Gateway_Approved')
m.flow('Flow_Approved', 'Gateway_Approved', 'Gateway_ApprovalDone', name='yes',
       cond="${execution.getVariable('approved') == true}")
m.flow('Flow_Rejected', 'Gateway_Approved', 'Event_EndRejected', name='no')
m.flow('Flow_ToApply', 'Gateway_ApprovalDone', 'Task_TerraformApply')
m.flow('Flow_PlanMismatch', 'Event_PlanMismatch', 'Event_EndPlanMismatch')
m.flow('Flow_Applied', 'Task_TerraformApply', 'Task_TerraformOutputs')
m.flow('Flow_Outputs', 'Task_TerraformOutputs', 'Task_UpdateFleet')
m.flow('Flow_FleetUpdated', 'Task_UpdateFleet', 'Gateway_NewHosts')
m.flow('Flow_NewHosts', 'Gateway_NewHosts', 'Task_ConfigureHosts', name='yes',
       cond="${action == 'apply' && newHosts.size() > 0}")
m.flow('Flow_NoNewHosts', 'Gateway_NewHosts', 'Event_EndApplied', name='none')
m.flow('Flow_Configured', 'Task_ConfigureHosts', 'Task_CheckHosts')
m.flow('Flow_Checked', 'Task_CheckHosts', 'Event_EndProvisioned')
write(m, sys.argv[1])
