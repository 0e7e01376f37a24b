import sys
from forms import *
d = sys.argv[1]
form('provision-infrastructure-start', [
    markdown('intro', '### Provision infrastructure\nPlans the environment\'s Terraform root; the plan (counts, '
                      'resources, SHA-256) is shown to the approver and exactly that plan is applied. New hosts '
                      'are configured with Ansible (configure-host.yml).\n**destroy** removes everything the root '
                      'manages and always needs approval.'),
    text('environment', 'Environment', validate={'required': True, 'pattern': '[a-z0-9][a-z0-9-]{0,62}'}),
    select('action', 'Action', ['apply', 'destroy'], default='apply'),
    number('hostCount', 'Host count (Terraform variable host_count)', validate={'min': 0, 'max': 50}),
    comp('textarea', 'tfVars', 'Other Terraform variables (JSON object, optional)', validate={'maxLength': 2000}),
    text('reason', 'Reason', validate={'required': True, 'maxLength': 500}),
], f'{d}/provision-infrastructure-start.form')
form('provision-infrastructure-approval', [
    markdown('intro', '### Approve the Terraform plan\nApproving applies **exactly** this plan (its SHA-256 is '
                      'checked before apply). For **destroy**, every resource listed below is destroyed.'),
    ro('environment', 'Environment'), ro('action', 'Action'),
    ro('tfPlanSummary', 'Plan', area=True),
    ro('tfResourceChanges', 'Resources (+ create, - destroy, ~ update, -/+ replace)', area=True),
    number('tfAdd', 'To add', readonly=True), number('tfChange', 'To change', readonly=True),
    number('tfDestroy', 'To destroy', readonly=True),
    ro('tfPlanSha256', 'Plan SHA-256'), ro('terraformVars', 'Terraform variables'),
    ro('reason', 'Reason', area=True), ro('initiator', 'Requested by'),
] + approval_tail(), f'{d}/provision-infrastructure-approval.form')
