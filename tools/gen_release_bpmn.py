#!/usr/bin/env python3
"""Generates processes/release-version.bpmn and processes/deploy-application.bpmn (logic + layout).

Run from the repository root: python3 tools/gen_release_bpmn.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from bpmn_layout import Diagram  # noqa: E402

HOST_RETRY = 'R3/PT30S'
COMP_RETRY = 'R5/PT1M'


def outcome(value, *extra):
    ls = [('start', f"${{execution.setVariable('outcome', '{value}')}}")]
    for (name, expr) in extra:
        ls.append(('start', f"${{execution.setVariable('{name}', {expr})}}"))
    return ls


HOSTS_AFTER_UNCHANGED = ('hostsAfter', "execution.getVariable('hostsBefore')")


def approval_block(d, key, y, evidence_task):
    """Gateway_ApprovalRequired → Task_Approve (reminder, deadline) → Gateway_Approved → Gateway_ApprovalDone."""
    d.add('gateway', 'Gateway_ApprovalRequired', 'Approval required?', 350, y)
    d.flow('Flow_ToApprovalGateway', evidence_task, 'Gateway_ApprovalRequired')
    d.add('user', 'Task_Approve', 'Approve', 470, y - 140, groups='${approverGroup}', form=f'{key}-approval',
          doc='Four-eyes: the initiator can never claim, be assigned or complete this task (platform guard). '
              'Form: approved (boolean), comment (string); evidence read-only.')
    d.flow('Flow_ApprovalRequired', 'Gateway_ApprovalRequired', 'Task_Approve', name='yes',
           cond='${requiresApproval}', exit='t', entry='l')
    d.boundary('Event_ApprovalReminder', 'Reminder', 'Task_Approve', 't', 20,
               event=('timer', '${approvalReminder}'), interrupting=False, label=(-60, -34))
    d.add('service', 'Task_SendReminder', 'Remind approvers', 560, y - 350, bean='releaseApprovalReminder')
    d.flow('Flow_Remind', 'Event_ApprovalReminder', 'Task_SendReminder', exit='t', entry='l')
    d.add('end', 'End_ReminderSent', 'Reminder sent', 680, y - 350)
    d.flow('Flow_Reminded', 'Task_SendReminder', 'End_ReminderSent')
    d.boundary('Event_ApprovalDeadline', 'Deadline passed', 'Task_Approve', 't', 80,
               event=('timer', '${approvalDeadline}'), label=(22, -12))
    d.add('end', 'End_DeadlinePassed', 'Rejected: deadline passed', 680, y - 250,
          listeners=outcome('REJECTED', ('rejectionReason', "'approval deadline passed'"), HOSTS_AFTER_UNCHANGED))
    d.flow('Flow_Deadline', 'Event_ApprovalDeadline', 'End_DeadlinePassed', exit='t', entry='l')
    d.add('gateway', 'Gateway_Approved', 'Approved?', 620, y - 140)
    d.flow('Flow_Decided', 'Task_Approve', 'Gateway_Approved')
    d.add('end', 'End_Rejected', 'Rejected', 620, y - 65,
          listeners=outcome('REJECTED', ('rejectionReason', "'rejected by the approver'"), HOSTS_AFTER_UNCHANGED))
    d.flow('Flow_NotApproved', 'Gateway_Approved', 'End_Rejected', name='no', exit='b', entry='t', default=True)
    d.add('gateway', 'Gateway_ApprovalDone', None, 740, y)
    d.flow('Flow_Approved', 'Gateway_Approved', 'Gateway_ApprovalDone', name='yes',
           cond="${execution.getVariable('approved') == true}", exit='r', entry='t')
    d.flow('Flow_NoApprovalNeeded', 'Gateway_ApprovalRequired', 'Gateway_ApprovalDone', name='no', default=True)


def release_version():
    d = Diagram('release-version', 'Release a new version')
    d.error('Error_ReleaseNotPossible', 'Release not possible', 'RELEASE_NOT_POSSIBLE')
    d.error('Error_HealthCheckFailed', 'Health check failed', 'HEALTH_CHECK_FAILED')
    d.error('Error_RollbackIncomplete', 'Rollback incomplete', 'ROLLBACK_INCOMPLETE')
    Y = 520
    d.add('start', 'StartEvent_Requested', 'Release requested', 110, Y, form='release-version-start', initiator=True)
    d.add('service', 'Task_GatherEvidence', 'Gather evidence', 220, Y, bean='releaseGatherEvidence', asyncb=True, retry=HOST_RETRY,
          doc='Hosts with current version -> target version, batches from batchSize, ansible-playbook deploy-app.yml '
              '--check --diff. Changes nothing.')
    d.flow('Flow_Started', 'StartEvent_Requested', 'Task_GatherEvidence')
    d.boundary('Event_ReleaseNotPossible', 'Not possible', 'Task_GatherEvidence', 'b', 50,
               event=('error', 'Error_ReleaseNotPossible'))
    d.add('end', 'End_NotPossible', 'Failed: not possible', 220, Y + 150,
          listeners=outcome('FAILED', HOSTS_AFTER_UNCHANGED))
    d.flow('Flow_NotPossible', 'Event_ReleaseNotPossible', 'End_NotPossible', exit='b', entry='t')
    approval_block(d, 'release-version', Y, 'Task_GatherEvidence')

    d.add('gateway', 'Gateway_Strategy', 'Strategy?', 840, Y)
    d.flow('Flow_ToStrategy', 'Gateway_ApprovalDone', 'Gateway_Strategy')

    # ---------------------------------------------------------------- rolling and canary
    d.add('subprocess', 'SubProcess_Rollout', 'Rolling / canary rollout', bounds=(950, 260, 1560, 520))
    d.flow('Flow_Rollout', 'Gateway_Strategy', 'SubProcess_Rollout', name='rolling or canary',
           cond="${strategy == 'rolling' || strategy == 'canary'}")
    P = 'SubProcess_Rollout'
    d.add('start', 'StartEvent_Rollout', None, 990, Y, parent=P)
    d.add('subprocess', 'SubProcess_Batch', 'Batch (one per batch, in order)', parent=P,
          bounds=(1040, 285, 1080, 470),
          mi={'cardinality': '${batchCount}', 'completion': '${rollbackRequired}'},
          inputs=[('batchIndex', '${loopCounter}')],
          doc='Sequential multi-instance over the planned batches. batchIndex is a local copy of loopCounter so the '
              'compensation handler of a completed batch sees its own batch. A failed gate compensates this batch, '
              'sets rollbackRequired and the completion condition ends the loop normally, keeping the compensation '
              'subscriptions of the completed batches for the rollout scope.')
    d.flow('Flow_ToBatches', 'StartEvent_Rollout', 'SubProcess_Batch')
    B = 'SubProcess_Batch'
    d.add('start', 'StartEvent_Batch', None, 1090, Y, parent=B)
    d.add('service', 'Task_ActivateBatch', 'Activate version on batch', 1200, Y, parent=B,
          bean='releaseActivateBatch', retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_BatchStart', 'StartEvent_Batch', 'Task_ActivateBatch')
    d.boundary('Event_ActivateBatchCompensation', None, 'Task_ActivateBatch', 't', 50, event=('compensate',))
    d.add('service', 'Task_RestoreBatch', 'Restore previous version on batch', 1200, Y - 130, parent=B,
          bean='releaseRestoreBatch', compensation=True)
    d.association('Association_RestoreBatch', 'Event_ActivateBatchCompensation', 'Task_RestoreBatch')
    d.add('service', 'Task_HealthGate', 'Health gate', 1360, Y, parent=B, bean='releaseHealthGate', retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_Activated', 'Task_ActivateBatch', 'Task_HealthGate')
    d.boundary('Event_BatchUnhealthy', 'Unhealthy', 'Task_HealthGate', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    d.add('gateway', 'Gateway_CanaryBatch', 'Canary batch?', 1490, Y, parent=B)
    d.flow('Flow_GatePassed', 'Task_HealthGate', 'Gateway_CanaryBatch')
    d.add('catch', 'Event_CanaryBake', 'Bake', 1600, Y + 110, parent=B, event=('timer', '${canaryCheckInterval}'))
    d.flow('Flow_Canary', 'Gateway_CanaryBatch', 'Event_CanaryBake', name='yes',
           cond="${strategy == 'canary' && batchIndex == 0}", exit='b', entry='l')
    d.add('service', 'Task_CanaryCheck', 'Canary health check', 1720, Y + 110, parent=B, bean='releaseCanaryCheck',
          retry=HOST_RETRY)
    d.flow('Flow_Baked', 'Event_CanaryBake', 'Task_CanaryCheck')
    d.boundary('Event_CanaryUnhealthy', 'Canary unhealthy', 'Task_CanaryCheck', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    d.add('gateway', 'Gateway_MoreCanaryChecks', 'More checks?', 1860, Y + 110, parent=B)
    d.flow('Flow_CanaryChecked', 'Task_CanaryCheck', 'Gateway_MoreCanaryChecks')
    d.flow('Flow_BakeAgain', 'Gateway_MoreCanaryChecks', 'Event_CanaryBake', name='yes',
           cond='${canaryChecksDone < canaryChecks}', exit='t', entry='t',
           via=[(1860, Y + 65), (1600, Y + 65)])
    d.add('gateway', 'Gateway_BatchDone', None, 1960, Y, parent=B)
    d.flow('Flow_CanaryBaked', 'Gateway_MoreCanaryChecks', 'Gateway_BatchDone', name='no', exit='r', entry='b',
           default=True)
    d.flow('Flow_NotCanary', 'Gateway_CanaryBatch', 'Gateway_BatchDone', name='no', default=True)
    d.add('end', 'End_BatchDone', 'Batch done', 2060, Y, parent=B)
    d.flow('Flow_BatchDone', 'Gateway_BatchDone', 'End_BatchDone')
    d.add('throw', 'Event_CompensateBatch', 'Roll back this batch', 1900, Y + 180, parent=B,
          event=('compensate',), retry=COMP_RETRY, asyncb=True)
    d.flow('Flow_BatchUnhealthy', 'Event_BatchUnhealthy', 'Event_CompensateBatch', exit='b', entry='l')
    d.flow('Flow_CanaryUnhealthy', 'Event_CanaryUnhealthy', 'Event_CompensateBatch', exit='b', entry='l')
    d.add('end', 'End_BatchRolledBack', 'Batch rolled back', 2020, Y + 180, parent=B)
    d.flow('Flow_BatchCompensated', 'Event_CompensateBatch', 'End_BatchRolledBack')

    d.add('gateway', 'Gateway_RolloutRollback', 'Roll back?', 2170, Y, parent=P)
    d.flow('Flow_BatchesDone', 'SubProcess_Batch', 'Gateway_RolloutRollback')
    d.add('service', 'Task_VerifyRolloutThroughLb', 'Verify through load balancer', 2290, Y, parent=P,
          bean='releaseVerifyThroughLoadBalancer', retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_RolloutHealthy', 'Gateway_RolloutRollback', 'Task_VerifyRolloutThroughLb', name='no', default=True)
    d.boundary('Event_RolloutLbUnhealthy', 'Unhealthy', 'Task_VerifyRolloutThroughLb', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    d.add('end', 'End_RolloutDone', 'Rolled out', 2420, Y, parent=P)
    d.flow('Flow_RolloutVerified', 'Task_VerifyRolloutThroughLb', 'End_RolloutDone')
    d.add('throw', 'Event_CompensateRollout', 'Roll back completed batches', 2290, Y + 180, parent=P,
          event=('compensate',), retry=COMP_RETRY, asyncb=True)
    d.flow('Flow_RolloutRollback', 'Gateway_RolloutRollback', 'Event_CompensateRollout', name='yes',
           cond='${rollbackRequired}', exit='b', entry='l')
    d.flow('Flow_RolloutLbUnhealthy', 'Event_RolloutLbUnhealthy', 'Event_CompensateRollout', exit='b', entry='t')
    d.add('end', 'End_RolloutRolledBack', 'Rolled back', 2420, Y + 180, parent=P)
    d.flow('Flow_RolloutCompensated', 'Event_CompensateRollout', 'End_RolloutRolledBack')

    # ---------------------------------------------------------------- blue-green
    G = 1000
    d.add('subprocess', 'SubProcess_BlueGreen', 'Blue-green', bounds=(950, 830, 950, 350))
    d.flow('Flow_BlueGreen', 'Gateway_Strategy', 'SubProcess_BlueGreen', name='blue-green',
           cond="${strategy == 'blue-green'}", exit='b', entry='l')
    Q = 'SubProcess_BlueGreen'
    d.add('start', 'StartEvent_BlueGreen', None, 990, G, parent=Q)
    d.add('service', 'Task_DeployIdle', 'Deploy to idle colour', 1100, G, parent=Q, bean='releaseDeployIdle',
          retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_BlueGreenStart', 'StartEvent_BlueGreen', 'Task_DeployIdle')
    d.boundary('Event_DeployIdleCompensation', None, 'Task_DeployIdle', 't', 50, event=('compensate',))
    d.add('service', 'Task_RestoreIdle', 'Restore idle colour', 1100, G - 120, parent=Q, bean='releaseRestoreIdle',
          compensation=True)
    d.association('Association_RestoreIdle', 'Event_DeployIdleCompensation', 'Task_RestoreIdle')
    d.add('service', 'Task_VerifyIdle', 'Verify idle colour directly', 1260, G, parent=Q, bean='releaseVerifyIdle',
          retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_IdleDeployed', 'Task_DeployIdle', 'Task_VerifyIdle')
    d.boundary('Event_IdleUnhealthy', 'Unhealthy', 'Task_VerifyIdle', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    d.add('service', 'Task_SwitchTraffic', 'Switch load balancer', 1420, G, parent=Q, bean='releaseSwitchTraffic',
          retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_IdleVerified', 'Task_VerifyIdle', 'Task_SwitchTraffic')
    d.boundary('Event_SwitchCompensation', None, 'Task_SwitchTraffic', 't', 50, event=('compensate',))
    d.add('service', 'Task_SwitchBack', 'Switch back to old colour', 1420, G - 120, parent=Q,
          bean='releaseSwitchBack', compensation=True)
    d.association('Association_SwitchBack', 'Event_SwitchCompensation', 'Task_SwitchBack')
    d.add('service', 'Task_VerifyThroughLb', 'Verify through load balancer', 1580, G, parent=Q,
          bean='releaseVerifyThroughLoadBalancer', retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_Switched', 'Task_SwitchTraffic', 'Task_VerifyThroughLb')
    d.boundary('Event_LbUnhealthy', 'Unhealthy', 'Task_VerifyThroughLb', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    d.add('end', 'End_BlueGreenDone', 'Switched', 1720, G, parent=Q)
    d.flow('Flow_LbVerified', 'Task_VerifyThroughLb', 'End_BlueGreenDone')
    d.add('throw', 'Event_CompensateBlueGreen', 'Roll back', 1720, G + 120, parent=Q, event=('compensate',),
          retry=COMP_RETRY, asyncb=True)
    d.flow('Flow_IdleUnhealthy', 'Event_IdleUnhealthy', 'Event_CompensateBlueGreen', exit='b', entry='l')
    d.flow('Flow_LbUnhealthy', 'Event_LbUnhealthy', 'Event_CompensateBlueGreen', exit='b', entry='l')
    d.add('end', 'End_BlueGreenRolledBack', 'Rolled back', 1830, G + 120, parent=Q)
    d.flow('Flow_BlueGreenCompensated', 'Event_CompensateBlueGreen', 'End_BlueGreenRolledBack')

    # ---------------------------------------------------------------- results
    d.add('gateway', 'Gateway_StrategyDone', None, 2580, Y)
    d.flow('Flow_RolloutEnded', 'SubProcess_Rollout', 'Gateway_StrategyDone')
    d.flow('Flow_BlueGreenEnded', 'SubProcess_BlueGreen', 'Gateway_StrategyDone', exit='r', entry='b')
    finish(d, Y, 'Gateway_StrategyDone', 'releaseVerifyRollback', 'Verify rollback')
    return d


def finish(d, Y, source, verify_bean, verify_name):
    src = d.nodes[source]
    d.add('gateway', 'Gateway_RolledBack', 'Rolled back?', src.x + src.w + 80, Y)
    x = d.nodes['Gateway_RolledBack'].cx
    d.flow('Flow_ToOutcome', source, 'Gateway_RolledBack')
    d.add('service', 'Task_RecordResult', 'Record what runs where', x + 120, Y, bean='releaseRecordResult',
          retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_Succeeded', 'Gateway_RolledBack', 'Task_RecordResult', name='no', default=True)
    d.add('end', 'End_Succeeded', 'Succeeded', x + 250, Y, listeners=outcome('SUCCEEDED'))
    d.flow('Flow_Recorded', 'Task_RecordResult', 'End_Succeeded')
    d.add('service', 'Task_VerifyRollback', verify_name, x + 120, Y + 180, bean=verify_bean, retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_RolledBack', 'Gateway_RolledBack', 'Task_VerifyRollback', name='yes', cond='${rollbackRequired}',
           exit='b', entry='l')
    d.add('end', 'End_RolledBack', 'Rolled back', x + 250, Y + 180, listeners=outcome('ROLLED_BACK'))
    d.flow('Flow_RollbackVerified', 'Task_VerifyRollback', 'End_RolledBack')
    d.boundary('Event_RollbackIncomplete', 'Incomplete', 'Task_VerifyRollback', 'b', 50,
               event=('error', 'Error_RollbackIncomplete'))
    d.add('end', 'End_RollbackIncomplete', 'Failed: rollback incomplete', x + 250, Y + 300,
          listeners=outcome('FAILED'))
    d.flow('Flow_RollbackIncomplete', 'Event_RollbackIncomplete', 'End_RollbackIncomplete', exit='b', entry='l')


def deploy_application():
    d = Diagram('deploy-application', 'Deploy an application')
    d.error('Error_AlreadyDeployed', 'Application already deployed', 'APP_ALREADY_DEPLOYED')
    d.error('Error_ReleaseNotPossible', 'Deploy not possible', 'RELEASE_NOT_POSSIBLE')
    d.error('Error_HealthCheckFailed', 'Health check failed', 'HEALTH_CHECK_FAILED')
    d.error('Error_RollbackIncomplete', 'Rollback incomplete', 'ROLLBACK_INCOMPLETE')
    Y = 520
    d.add('start', 'StartEvent_Requested', 'Deployment requested', 110, Y, form='deploy-application-start',
          initiator=True)
    d.add('service', 'Task_GatherEvidence', 'Gather evidence', 220, Y, bean='deployGatherEvidence',
          retry=HOST_RETRY,
          doc='Refuses when the application is already on a host of the environment; plans one blue instance per '
              'host; ansible-playbook deploy-app.yml --check --diff. Changes nothing.', asyncb=True)
    d.flow('Flow_Started', 'StartEvent_Requested', 'Task_GatherEvidence')
    d.boundary('Event_AlreadyDeployed', 'Already deployed', 'Task_GatherEvidence', 'b', 20,
               event=('error', 'Error_AlreadyDeployed'), label=(-108, 6))
    d.boundary('Event_DeployNotPossible', 'Not possible', 'Task_GatherEvidence', 'b', 80,
               event=('error', 'Error_ReleaseNotPossible'), label=(14, 6))
    d.add('end', 'End_NotPossible', 'Failed: not possible', 290, Y + 150,
          listeners=outcome('FAILED', HOSTS_AFTER_UNCHANGED))
    d.flow('Flow_AlreadyDeployed', 'Event_AlreadyDeployed', 'End_NotPossible', exit='b', entry='l')
    d.flow('Flow_NotPossible', 'Event_DeployNotPossible', 'End_NotPossible', exit='b', entry='t',
           via=[(260, Y + 100), (290, Y + 100)])
    approval_block(d, 'deploy-application', Y, 'Task_GatherEvidence')

    d.add('subprocess', 'SubProcess_Deploy', 'Deploy', bounds=(820, 310, 1140, 420))
    d.flow('Flow_ToDeploy', 'Gateway_ApprovalDone', 'SubProcess_Deploy')
    S = 'SubProcess_Deploy'
    d.add('start', 'StartEvent_Deploy', None, 860, Y, parent=S)
    d.add('service', 'Task_ConfigureHosts', 'Configure hosts (Ansible)', 960, Y, parent=S,
          bean='deployConfigureHosts', retry=HOST_RETRY,
          doc='configure-host.yml: idempotent host baseline (users, directories, runtime); kept on rollback.', asyncb=True)
    d.flow('Flow_DeployStart', 'StartEvent_Deploy', 'Task_ConfigureHosts')
    steps = [
        ('Task_InstallApp', 'Install release', 'deployInstall', 'Task_RemoveApp', 'Remove application',
         'deployRemove'),
        ('Task_StartInstances', 'Start instances', 'deployStart', 'Task_StopInstances', 'Stop instances',
         'deployStop'),
    ]
    prev, x = 'Task_ConfigureHosts', 1100
    for (tid, name, bean, cid, cname, cbean) in steps:
        d.add('service', tid, name, x, Y, parent=S, bean=bean, retry=HOST_RETRY, asyncb=True)
        d.flow(f'Flow_To{tid[5:]}', prev, tid)
        d.boundary(f'Event_{tid[5:]}Compensation', None, tid, 't', 50, event=('compensate',))
        d.add('service', cid, cname, x, Y - 130, parent=S, bean=cbean, compensation=True)
        d.association(f'Association_{cid[5:]}', f'Event_{tid[5:]}Compensation', cid)
        prev, x = tid, x + 140
    d.add('service', 'Task_HealthCheck', 'Health check instances', x, Y, parent=S, bean='deployHealthCheck',
          retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_ToHealthCheck', prev, 'Task_HealthCheck')
    d.boundary('Event_InstancesUnhealthy', 'Unhealthy', 'Task_HealthCheck', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    x += 140
    d.add('service', 'Task_RegisterBackends', 'Register behind load balancer', x, Y, parent=S,
          bean='deployRegister', retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_ToRegister', 'Task_HealthCheck', 'Task_RegisterBackends')
    d.boundary('Event_RegisterCompensation', None, 'Task_RegisterBackends', 't', 50, event=('compensate',))
    d.add('service', 'Task_DeregisterBackends', 'Deregister from load balancer', x, Y - 130, parent=S,
          bean='deployDeregister', compensation=True)
    d.association('Association_DeregisterBackends', 'Event_RegisterCompensation', 'Task_DeregisterBackends')
    x += 140
    d.add('service', 'Task_VerifyThroughLb', 'Verify through load balancer', x, Y, parent=S,
          bean='releaseVerifyThroughLoadBalancer', retry=HOST_RETRY, asyncb=True)
    d.flow('Flow_ToVerifyLb', 'Task_RegisterBackends', 'Task_VerifyThroughLb')
    d.boundary('Event_LbUnhealthy', 'Unhealthy', 'Task_VerifyThroughLb', 'b', 50,
               event=('error', 'Error_HealthCheckFailed'))
    d.add('end', 'End_DeployDone', 'Deployed', x + 120, Y, parent=S)
    d.flow('Flow_Deployed', 'Task_VerifyThroughLb', 'End_DeployDone')
    d.add('throw', 'Event_CompensateDeploy', 'Remove what was installed', x, Y + 160, parent=S,
          event=('compensate',), retry=COMP_RETRY, asyncb=True)
    d.flow('Flow_InstancesUnhealthy', 'Event_InstancesUnhealthy', 'Event_CompensateDeploy', exit='b', entry='l')
    d.flow('Flow_LbUnhealthy', 'Event_LbUnhealthy', 'Event_CompensateDeploy', exit='b', entry='t')
    d.add('end', 'End_DeployRolledBack', 'Rolled back', x + 120, Y + 160, parent=S)
    d.flow('Flow_DeployCompensated', 'Event_CompensateDeploy', 'End_DeployRolledBack')

    finish(d, Y, 'SubProcess_Deploy', 'deployVerifyRemoval', 'Verify nothing is left')
    return d


def main():
    root = os.path.join(os.path.dirname(__file__), '..', 'processes')
    os.makedirs(root, exist_ok=True)
    for d in (release_version(), deploy_application()):
        with open(os.path.join(root, f'{d.process_id}.bpmn'), 'w') as f:
            f.write(d.xml())
        print('wrote', d.process_id)


if __name__ == '__main__':
    main()
