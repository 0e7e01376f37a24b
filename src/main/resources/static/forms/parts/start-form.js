// opsflow start forms: the choices and the submit of every static/forms/*-start.html except restore-start.html.
// Each form's cam-script fetches this file and calls it as a function of ($scope, $http, camForm, base, spec); spec
// is the form's field list: {name, kind, label, required, default, help, ...} with kind one of environment,
// application, version (offered from GET /api/environments and GET /api/environments/{env}/applications: what the
// environment's artifact store holds, newest first), backupTarget (GET /api/environments/{env}/backup-targets),
// choice (options), integer (min, max), text (pattern, maxLength), textarea (maxLength), boolean.
// The variables are created at submit with the types the runbook declares (Integer, Boolean, String); an empty
// optional field is not sent, so the runbook's default applies. The server validates everything again.
var form = {
  fields: spec.fields,
  values: {},
  options: {},
  applications: [],
  state: {},
  message: ''
};
$scope.opsflow = form;

function fieldOf(kind) {
  return spec.fields.filter(function (f) { return f.kind === kind; })[0];
}

function api(path) {
  return base + '/api/environments' + path;
}

function refused(what, res) {
  return 'GET ' + what + ' answered ' + res.status + ': ' + ((res.data && res.data.message) || res.statusText
    || 'no answer');
}

// offers items (objects with value and label) in the field's select and keeps its value if offered, else the
// field's default if offered, else nothing
function offer(f, items) {
  if (!f) { return; }
  var values = items.map(function (o) { return o.value; });
  var value = form.values[f.name];
  form.options[f.name] = items;
  form.values[f.name] = value && values.indexOf(value) >= 0 ? value
    : f['default'] && values.indexOf(f['default']) >= 0 ? f['default'] : null;
}

function plain(v) {
  return { value: v, label: v };
}

spec.fields.forEach(function (f) {
  if (f.kind === 'choice') {
    form.options[f.name] = f.options;
    form.values[f.name] = f['default'] !== undefined ? f['default'] : null;
  } else if (['environment', 'application', 'version', 'backupTarget'].indexOf(f.kind) >= 0) {
    form.options[f.name] = [];
  } else if (f.kind === 'boolean') {
    form.values[f.name] = f['default'] === true;
  } else if (f['default'] !== undefined) {
    form.values[f.name] = f['default'];
  }
});

form.placeholder = function (f) {
  if (f.kind === 'choice') { return f.required ? '(choose)' : '(the runbook\'s default)'; }
  if (f.kind === 'environment') { return form.options[f.name].length ? '(choose)' : '(loading the environments…)'; }
  if (!form.values.environment) { return '(choose an environment first)'; }
  if (f.kind === 'version') {
    if (!form.values.application) { return '(choose an application first)'; }
    return form.options[f.name].length ? '(choose a version)' : '(no version in the artifact store)';
  }
  if (f.kind === 'backupTarget') { return '(every target)'; }
  return f.required ? '(choose)' : '(all)';
};

form.changed = function (f) {
  if (f.kind === 'environment') { environmentChanged(); }
  if (f.kind === 'application') { applicationChanged(); }
};

function applicationChanged() {
  var f = fieldOf('version');
  var app = form.applications.filter(function (a) { return a.name === form.values.application; })[0];
  if (f) {
    offer(f, (app ? app.versions : []).map(plain));
    form.state[f.name] = app ? app.versions.length + ' version(s) of ' + app.name + ' in the artifact store of '
      + form.values.environment + ', newest first.' : '';
  }
}

function environmentChanged() {
  var env = form.values.environment;
  var appField = fieldOf('application');
  var targetField = fieldOf('backupTarget');
  form.applications = [];
  offer(appField, []);
  offer(targetField, []);
  form.message = '';
  applicationChanged();
  if (!env) { return; }
  if (appField) {
    form.state[appField.name] = '(reading the artifact store of ' + env + '…)';
    $http.get(api('/' + encodeURIComponent(env) + '/applications')).then(function (res) {
      if (form.values.environment !== env) { return; }
      form.applications = res.data.applications || [];
      offer(appField, form.applications.map(function (a) { return plain(a.name); }));
      form.state[appField.name] = form.applications.length ? '' : 'The artifact store of ' + env
        + ' holds no application.';
      applicationChanged();
    }, function (res) {
      form.state[appField.name] = refused('the applications of ' + env, res);
    });
  }
  if (targetField) {
    $http.get(api('/' + encodeURIComponent(env) + '/backup-targets')).then(function (res) {
      if (form.values.environment !== env) { return; }
      offer(targetField, (res.data.targets || []).map(function (t) {
        return { value: t.name, label: t.name + ' (' + t.kind + ')' };
      }));
    }, function (res) {
      form.state[targetField.name] = refused('the backup targets of ' + env, res);
    });
  }
}

$http.get(api('')).then(function (res) {
  offer(fieldOf('environment'), (res.data || []).map(function (e) {
    return { value: e.name, label: e.name + (e.requiresApproval ? ' (approval required)' : '') };
  }));
  environmentChanged();
}, function (res) {
  form.message = refused('/api/environments', res);
});

camForm.on('submit', function () {
  var vm = camForm.variableManager;
  spec.fields.forEach(function (f) {
    var value = form.values[f.name];
    var type = f.kind === 'integer' ? 'Integer' : f.kind === 'boolean' ? 'Boolean' : 'String';
    if (f.kind === 'boolean') {
      value = value === true;
    } else if (value === undefined || value === null || value === '') {
      if (vm.variables[f.name]) { vm.variables[f.name].value = null; }
      return;
    }
    if (vm.variables[f.name]) {
      vm.variables[f.name].value = value;
      vm.variables[f.name].type = type;
    } else {
      vm.createVariable({ name: f.name, type: type, value: value });
    }
  });
});
