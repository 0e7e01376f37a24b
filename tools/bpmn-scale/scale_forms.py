import sys
from forms import *
d = sys.argv[1]
form('scale-service-start', [
    markdown('intro', '### Scale a service\nSet the target number of instances of an application behind the '
                      'environment\'s load balancer. New instances run the version that is deployed now.'),
    text('environment', 'Environment', validate={'required': True, 'pattern': '[a-z0-9][a-z0-9-]{0,62}'}),
    text('application', 'Application', validate={'required': True, 'pattern': '[a-z0-9][a-z0-9-]{0,62}'}),
    number('instances', 'Target instances', validate={'required': True, 'min': 1, 'max': 99}),
    text('reason', 'Reason (required where approval is required)', validate={'maxLength': 500}),
    checkbox('ignoreCooldown', 'Ignore the cooldown after the last scale (deliberate operator decision)'),
], f'{d}/scale-service-start.form')
form('scale-service-approval', [
    markdown('intro', '### Approve scaling\nCheck the plan: which instances start or stop, on which hosts.'),
    ro('environment', 'Environment'), ro('application', 'Application'),
    number('previousCount', 'Instances now', readonly=True), number('targetCount', 'Target instances', readonly=True),
    ro('deployedVersion', 'Version'), ro('scalePlan', 'Plan', area=True),
    ro('trigger', 'Triggered by'), ro('metric', 'Alert / metric'), ro('reason', 'Reason', area=True),
    ro('initiator', 'Requested by'),
] + approval_tail(), f'{d}/scale-service-approval.form')
