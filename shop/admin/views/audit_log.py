"""The audit log, for the owner: read only. There is deliberately no route that
changes or deletes an entry."""

from __future__ import annotations

from flask import abort, render_template, request

from shop.admin import audit
from shop.admin.access import Area, staff_required
from shop.admin.forms import AuditFilterForm, options
from shop.admin.views.blueprint import bp
from shop.input_rules import parse_whole_number

owner_only = staff_required(*Area.AUDIT)


@bp.get("/audit")
@owner_only
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    types, actions = audit.known_values()
    form.staff.choices = options(
        [("", "Anyone")] + [(str(account.id), account.email) for account in audit.staff_accounts()]
    )
    form.entity_type.choices = options([("", "Anything")] + [(kind, kind) for kind in types])
    form.action.choices = options([("", "Any action")] + [(name, name) for name in actions])
    form.validate()
    filters = audit.AuditFilters(
        staff_id=form.staff.data if not form.staff.errors else None,
        entity_type=form.entity_type.data or None,
        entity_id=(request.args.get("entity_id") or "").strip()[:60] or None,
        action=form.action.data or None,
        since=form.since.data if not form.since.errors else None,
        until=form.until.data if not form.until.errors else None,
    )
    page = audit.list_entries(filters, request.args.get("page", 1, type=parse_whole_number))
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template(
        "admin/audit/list.html",
        form=form,
        page=page,
        args=args,
        changes=audit.changes,
        entity_id=filters.entity_id,
    )


@bp.get("/audit/<int:entry_id>")
@owner_only
def audit_entry(entry_id: int):
    entry = audit.get_entry(entry_id)
    if entry is None:
        abort(404, description="There is no such audit entry.")
    return render_template("admin/audit/entry.html", entry=entry, changes=audit.changes(entry))
