import json


def comp(type_, key, label, **kw):
    c = {'label': label, 'type': type_, 'key': key, 'id': 'Field_' + key}
    c.update(kw)
    return c


def text(key, label, **kw):
    return comp('textfield', key, label, **kw)


def ro(key, label, area=False):
    return comp('textarea' if area else 'textfield', key, label, readonly=True)


def number(key, label, **kw):
    return comp('number', key, label, **kw)


def select(key, label, values, default=None, **kw):
    c = comp('select', key, label, values=[{'label': v, 'value': v} for v in values], **kw)
    if default is not None:
        c['defaultValue'] = default
    return c


def checkbox(key, label, **kw):
    return comp('checkbox', key, label, **kw)


def markdown(id_, text_):
    return {'type': 'text', 'text': text_, 'id': 'Text_' + id_}


def form(form_id, components, path):
    f = {'components': components, 'type': 'default', 'id': form_id, 'schemaVersion': 16,
         'executionPlatform': 'Camunda Platform', 'executionPlatformVersion': '7.24.0',
         'exporter': {'name': 'opsflow', 'version': '0.1.0'}}
    with open(path, 'w') as out:
        json.dump(f, out, indent=2)
        out.write('\n')


def approval_tail():
    return [checkbox('approved', 'Approve (leave unticked to reject)'),
            text('comment', 'Comment (shown as the reason when you reject)', validate={'maxLength': 500})]
