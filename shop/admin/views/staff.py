"""Staff accounts, for the owner: create, change role, switch off, set a password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from shop.admin import service
from shop.admin.access import Area, signed_in_staff, staff_required
from shop.admin.forms import PasswordForm, StaffCreateForm, StaffEditForm
from shop.admin.views.blueprint import bp

owner_only = staff_required(*Area.STAFF)


@bp.get("/staff")
@owner_only
def staff_list():
    return render_template("admin/staff/list.html", accounts=service.list_staff())


@bp.route("/staff/new", methods=["GET", "POST"])
@owner_only
def staff_new():
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            account = service.create_staff(
                form.email.data,
                form.role.data,
                form.password.data,
                created_by=signed_in_staff(),
            )
        except service.StaffAccountError as error:
            message = str(error)
            target = form.password if "password" in message else form.email
            target.errors = [*target.errors, message[:1].upper() + message[1:] + "."]
        else:
            flash(f"Created the {account.role} account for {account.email}.", "success")
            return redirect(url_for("admin.staff_list"))
    form.password.data = form.confirm.data = ""
    return render_template("admin/staff/new.html", form=form), 422 if form.errors else 200


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@owner_only
def staff_edit(staff_id: int):
    account = service.get_staff(staff_id)
    if account is None:
        abort(404, description="There is no such staff account.")
    form = StaffEditForm(obj=account, is_active=account.is_active_account)
    password_form = PasswordForm(formdata=None)
    if form.validate_on_submit():
        try:
            service.update_staff(
                account.id,
                form.role.data,
                bool(form.is_active.data),
                signed_in_staff(),
            )
        except service.StaffAccountError as error:
            message = str(error)
            form.form_errors.append(message[:1].upper() + message[1:] + ".")
        else:
            flash(f"Saved the account of {account.email}.", "success")
            return redirect(url_for("admin.staff_list"))
    return render_template(
        "admin/staff/edit.html", account=account, form=form, password_form=password_form
    ), 422 if form.errors else 200


@bp.post("/staff/<int:staff_id>/password")
@owner_only
def staff_password(staff_id: int):
    account = service.get_staff(staff_id)
    if account is None:
        abort(404, description="There is no such staff account.")
    password_form = PasswordForm()
    if password_form.validate_on_submit():
        try:
            service.set_password(account.id, password_form.password.data, signed_in_staff())
        except service.StaffAccountError as error:
            password_form.password.errors = [str(error)]
        else:
            flash(f"Set a new password for {account.email}.", "success")
            return redirect(url_for("admin.staff_list"))
    password_form.password.data = password_form.confirm.data = ""
    form = StaffEditForm(obj=account, is_active=account.is_active_account, formdata=None)
    return render_template(
        "admin/staff/edit.html", account=account, form=form, password_form=password_form
    ), 422
