"""Helpers for the back-office tests: staff accounts and a signed-in test client."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from shop.admin.models import StaffUser
from shop.admin.service import create_staff
from shop.catalog.models import Product
from shop.unit_of_work import unit_of_work

PASSWORD = "a long enough staff password"


def make_staff(role: str, email: str | None = None) -> StaffUser:
    with unit_of_work():
        return create_staff(email or f"{role}@example.com", role, PASSWORD)


def _open(client, path: str, **kwargs):
    """One request in an app context of its own, as in production.

    The test fixtures keep an app context open for the whole test; requests would
    share it (and its `g`: the signed-in user, the CSRF token) with each other and
    with every other client. A context per request keeps clients apart.
    """
    with client.application.app_context():
        return client.open(path, **kwargs)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in an app context of its own."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def isolated_client(app) -> IsolatedClient:
    """A second browser, say a shopper next to a staff member, that shares nothing
    with the test's own app context."""
    return IsolatedClient(app, app.response_class, use_cookies=True)


def csrf_token(client) -> str:
    """The CSRF token of the client's session, as any back-office page carries it."""
    response = _open(client, "/admin/login")
    if response.status_code == 302:  # signed in already: any back-office page has it
        response = _open(client, "/admin/account")
    html = response.get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


class StaffClient:
    """A test client, signed in as one staff member unless none is given; `post` adds
    the CSRF token."""

    def __init__(self, client, staff: StaffUser | None = None, password: str = PASSWORD):
        self.client = client
        self.staff = staff
        if staff is not None:
            response = self.login(staff.email, password)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]

    @property
    def token(self) -> str:
        return csrf_token(self.client)

    def login(self, email: str, password: str = PASSWORD, **extra):
        return self.post("/admin/login", {"email": email, "password": password, **extra})

    def open(self, path: str, **kwargs):
        return _open(self.client, path, **kwargs)

    def get(self, path: str, **kwargs):
        return _open(self.client, path, method="GET", **kwargs)

    def post(self, path: str, data: dict | None = None, follow: bool = False, **kwargs):
        body = {"csrf_token": self.token, **(data or {})}
        return _open(self.client, path, method="POST", data=body, follow_redirects=follow, **kwargs)

    def html(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1)


def product_form(item: Product, **changes) -> dict:
    """The product edit form as the back office fills it for `item`, with `changes`
    (a value of None leaves that field out)."""
    data = {
        "title": item.title,
        "handle": item.handle,
        "subtitle": item.subtitle,
        "description": item.description,
        "product_type": item.product_type,
        "option_name": item.option_name or "",
        "position": str(item.position),
        "version": str(item.version),
        "is_active": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
