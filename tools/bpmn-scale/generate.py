#!/usr/bin/env python3
"""Regenerates the scale-service, restart-platform and provision-infrastructure BPMN (with DI) and Camunda Forms.

    python3 tools/bpmn-scale/generate.py

The specs (scale.py, restart.py, provision.py, *_forms.py) place every element by its centre; bpmngen.py writes the
semantic XML, the shapes and the edges. The generated files in processes/ are the source of truth: edit them in
Camunda Modeler or change the specs here and regenerate.
"""
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROCESSES = os.path.normpath(os.path.join(HERE, '..', '..', 'processes'))
sys.path.insert(0, HERE)

for spec, out in (('scale.py', 'scale-service.bpmn'), ('restart.py', 'restart-platform.bpmn'),
                  ('provision.py', 'provision-infrastructure.bpmn')):
    sys.argv = [spec, os.path.join(PROCESSES, out)]
    runpy.run_path(os.path.join(HERE, spec), run_name='__main__')
for forms in ('scale_forms.py', 'restart_forms.py', 'provision_forms.py'):
    sys.argv = [forms, PROCESSES]
    runpy.run_path(os.path.join(HERE, forms), run_name='__main__')
print('wrote', PROCESSES)
