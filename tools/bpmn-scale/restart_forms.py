import sys
from forms import *
d = sys.argv[1]
form('restart-platform-start', [
    markdown('intro', '### Restart the platform\n**rolling** (default): hosts in batches — drain from the load '
                      'balancer, restart application then proxy (database only if asked), wait healthy, undrain; '
                      'stops at the first failing batch.\n**emergency**: all hosts at once, no drain, only after '
                      'approval.'),
    text('environment', 'Environment', validate={'required': True, 'pattern': '[a-z0-9][a-z0-9-]{0,62}'}),
    select('mode', 'Mode', ['rolling', 'emergency'], default='rolling'),
    number('batchSize', 'Hosts per batch (rolling)', defaultValue=1, validate={'min': 1, 'max': 100}),
    checkbox('includeDatabase', 'Also restart the database (last)'),
    text('reason', 'Reason (required for emergency and where approval is required)', validate={'maxLength': 500}),
], f'{d}/restart-platform-start.form')
form('restart-platform-approval', [
    markdown('intro', '### Approve the platform restart\nAn **emergency** restart takes every host down at once '
                      'without draining: the service will answer errors while it restarts.'),
    ro('environment', 'Environment'), ro('mode', 'Mode'),
    number('batchSize', 'Hosts per batch', readonly=True),
    checkbox('includeDatabase', 'Database included', readonly=True),
    ro('restartPlan', 'Plan (hosts, batches, services in restart order)', area=True),
    ro('reason', 'Reason', area=True), ro('initiator', 'Requested by'),
] + approval_tail(), f'{d}/restart-platform-approval.form')
